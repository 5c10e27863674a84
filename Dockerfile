# Coulisse in production: PostgreSQL through COULISSE_DATABASE_URL, a real COULISSE_SECRET_KEY.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COULISSE_ENVIRONMENT=production

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin coulisse
WORKDIR /srv/coulisse

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY web ./web
COPY service-worker ./service-worker
RUN pip install -e . && mkdir -p var && chown coulisse:coulisse var

USER coulisse
EXPOSE 8000
VOLUME ["/srv/coulisse/var"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

# Migrations run at start; the app refuses to serve a schema that is not at head.
CMD ["sh", "-c", "coulisse migrate && exec coulisse serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2}"]
