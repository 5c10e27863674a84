"""The application: routes, error handling, static files, and the start-up schema check."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from app import db
from app.errors import Busy, DomainError, describe_validation_error
from app.i18n import _
from app.settings import get_settings, over_https
from app.web.api import api, router
from app.web.headers import SecurityHeaders, protect
from app.web.limits import BodyLimits
from app.web.pwa import pwa
from app.web.templating import render

log = logging.getLogger("coulisse")
security_log = logging.getLogger("coulisse.security")


class CompressPublic:
    """Gzip for what holds no secret: the recording screen's files (its budget counts bytes on
    the wire) and the large API answers it loads. Pages and answers that carry a session's
    CSRF token stay uncompressed, so that their length can never be used to guess the token
    (BREACH)."""

    PREFIXES = ("/static/", "/api/codebook", "/api/people", "/api/sync/pull")
    PATHS = frozenset({"/opnemen", "/offline", "/manifest.webmanifest", "/service-worker.js"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path in self.PATHS or path.startswith(self.PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path == "/healthz":
        return True
    return "text/html" not in request.headers.get("accept", "")


def error_response(
    request: Request,
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"detail": message, "code": code, **extra}, status_code=status, headers=headers
        )
    if status == 401:
        target = request.url.path
        if request.method == "GET" and target not in ("/", "/inloggen"):
            return RedirectResponse(f"/inloggen?volgende={quote(target)}", status_code=303)
        return RedirectResponse("/inloggen", status_code=303)
    response = render(request, "error.html", status_code=status, status=status, message=message)
    response.headers.update(headers or {})  # a page's 503 carries its Retry-After too
    return response


def allowed_methods(request: Request) -> str:
    """Every method the requested path takes, for a 405's ``Allow``. Starlette names only the
    methods of the first route that matched the path, and each method of an API path is a
    route of its own. (A mounted app, which takes every path below it, answers for itself.)"""
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    path = {"type": "http", "path": request.url.path, "root_path": "", "headers": []}
    return ", ".join(
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**path, "method": method})[0] == Match.FULL for route in routes)
    )


def create_app(*, check_schema: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if check_schema:
            db.check_schema_at_head()
        yield

    settings = get_settings()
    app = FastAPI(
        title="Coulisse",
        summary="Lesobservaties gecodeerd op mechanismen, voor de coulissen-ruimte van het team.",
        version="0.1.0",
        lifespan=lifespan,
        # No interactive docs page: FastAPI's loads scripts from a CDN and runs inline code,
        # which the content security policy refuses in this origin. The schema is public.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.add_middleware(CompressPublic)
    app.add_middleware(BodyLimits)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if exc.status_code in (401, 403):
            actor = getattr(request.state, "actor", None)
            security_log.info(
                "refused %s %s %s person=%s address=%s",
                exc.status_code,
                request.method,
                request.url.path,
                actor.person.id if actor else "anonymous",
                request.client.host if request.client else "unknown",
            )
        message = exc.message
        if isinstance(exc, Busy) and not wants_json(request):
            message = exc.page_message
        return error_response(request, exc.status_code, message, exc.code, exc.headers, **exc.extra)

    # Overload is an answer, not an error (design.md, guarantee 10): no turn to write within
    # the bound (SQLite), no free connection in the pool, or a database that refuses new
    # connections (PostgreSQL's "too many clients") is answered as Busy: 503 with Retry-After,
    # which the tablet honours. Any other operational error is a fault, and goes on to _bug.
    async def _overloaded(request: Request, exc: Exception) -> Response:
        if not db.overloaded(exc):
            raise exc
        # The driver's message, not SQLAlchemy's, which would add the statement's parameters.
        cause = getattr(exc, "orig", None) or exc
        log.warning("busy: %s %s answered 503: %s", request.method, request.url.path, cause)
        return await _domain(request, Busy())

    app.add_exception_handler(OperationalError, _overloaded)
    app.add_exception_handler(PoolTimeout, _overloaded)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        messages = [describe_validation_error(dict(e)) for e in errors[:5]]
        message = _("Controleer de invoer: {details}", details=" ".join(dict.fromkeys(messages)))
        return error_response(
            request,
            422,
            message,
            "invalid",
            fields=[".".join(str(p) for p in e.get("loc", ())) for e in errors],
        )

    # Safety nets for what the database itself refuses: a unique key that a concurrent request
    # took first (409), or a value the database cannot store, such as a NUL character (422).
    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.info("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(
            request,
            409,
            _("Dit bestaat al, of iemand anders veranderde het net. Laad de pagina opnieuw."),
            "conflict",
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        log.info("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(
            request,
            422,
            _("Deze invoer bevat tekens of waarden die niet bewaard kunnen worden."),
            "invalid",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        known = {
            400: _("Wat je stuurde kon niet worden gelezen (geen geldige JSON of geen UTF-8)."),
            404: _("Deze pagina bestaat niet."),
            405: _("Deze handeling is hier niet mogelijk."),
            413: _("Wat je stuurde is te groot."),
        }
        message = known.get(exc.status_code) or str(exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405 and headers and "Allow" in headers:
            headers["Allow"] = allowed_methods(request) or headers["Allow"]
        return error_response(request, exc.status_code, message, "http_error", headers)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = error_response(
            request,
            500,
            _("Er ging iets mis aan onze kant. Probeer het zo nog eens."),
            "server_error",
        )
        # Sent from outside the middleware stack: it gets the browser policy here.
        protect(response.headers, request.url.path, 500, over_https(request.url.scheme))
        return response

    app.include_router(router)
    app.include_router(api)
    from app.web.admin import admin_pages
    from app.web.pages import pages

    app.include_router(pages)
    app.include_router(admin_pages)
    from app.web.lessons import lesson_pages

    app.include_router(lesson_pages)
    from app.web.coulissen import coulissen_pages

    app.include_router(coulissen_pages)
    app.include_router(pwa)
    app.mount("/static", StaticFiles(directory=settings.web_dir), name="static")
    return app
