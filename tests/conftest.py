"""Test set-up: a real database built by ``alembic upgrade head``, real HTTP through the ASGI app.

The database is SQLite in a temporary folder unless ``COULISSE_TEST_DATABASE_URL`` names a
PostgreSQL database; each pytest-xdist worker gets a database of its own. Tests never rely on
each other's rows: each makes its own school, with unique names and addresses, through
:mod:`tests.factories`.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # for annotations only: the app may be imported once the environment is set
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from playwright.sync_api import Browser

    from tests.factories import ClientFactory

_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
_tmp = Path(tempfile.mkdtemp(prefix=f"coulisse-test-{_worker}-"))
_base_url = os.environ.get("COULISSE_TEST_DATABASE_URL", "")


def _worker_database(create: bool) -> str:
    """This worker's own PostgreSQL database beside the one named: made fresh, or dropped."""
    import sqlalchemy as sa

    from app.db import normalise_url

    url = sa.make_url(normalise_url(_base_url))
    name = f"{url.database}_{_worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _database_url() -> str:
    if not _base_url:
        return f"sqlite:///{_tmp / 'test.sqlite3'}"
    return _worker_database(create=True)


os.environ["COULISSE_ENVIRONMENT"] = "test"
os.environ["COULISSE_DATABASE_URL"] = _database_url()
os.environ.setdefault("COULISSE_SECRET_KEY", "test-only-secret-key-not-for-production-use")

from app import db  # noqa: E402
from app.settings import ROOT, get_settings  # noqa: E402

get_settings.cache_clear()
db.reset_engine()


@pytest.fixture(scope="session", autouse=True)
def migrated() -> Iterator[None]:
    db.migrate()
    yield
    db.reset_engine()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave nothing behind: each process (the xdist controller too, which made its database on
    import) drops its database and its temporary folder."""
    db.reset_engine()
    if _base_url:
        _worker_database(create=False)
    shutil.rmtree(_tmp, ignore_errors=True)


@pytest.fixture
def session() -> Iterator[db.Session]:
    """The test's own session. Its transactions start deferred, like a request's reads, so it
    never holds SQLite's write lock while the app handles a request. On SQLite a transaction
    reads from a snapshot: to see what a request or another process wrote since this session
    last read, end the transaction first (``session.commit()``; factories commit)."""
    with db.new_session(write=False) as s:
        yield s


@pytest.fixture(scope="session")
def app() -> "FastAPI":
    from app.main import create_app

    return create_app()


@pytest.fixture
def client(app: "FastAPI") -> Iterator["TestClient"]:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_client(app: "FastAPI") -> Iterator["ClientFactory"]:
    """Make as many independent clients (cookie jars) as a test needs."""
    from fastapi.testclient import TestClient

    clients: list[TestClient] = []

    def make() -> TestClient:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(**env: str) -> Iterator[str]:
    """The app served by a real uvicorn process on loopback, on the test database, with these
    extra settings in its environment; stopped on leaving."""
    import subprocess
    import sys
    import time

    import httpx

    port = _free_port()
    log_path = _tmp / f"uvicorn-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-proxy-headers"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(log_path.read_text())
            time.sleep(0.05)
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(migrated: None) -> Iterator[str]:
    """The app served by a real uvicorn process on loopback, on the test database."""
    with serving() as url:
        yield url


@pytest.fixture
def web_copy(tmp_path: Path) -> Path:
    """A copy of web/ that a test may change (a new version of the app, say)."""
    copy = tmp_path / "web"
    shutil.copytree(ROOT / "web", copy)
    return copy


@pytest.fixture
def server_on_copy(web_copy: Path, migrated: None) -> Iterator[str]:
    """A live server of its own that serves its static files from `web_copy`."""
    with serving(COULISSE_WEB_DIR=str(web_copy)) as url:
        yield url


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """Debian's Chromium, driven by Playwright; never a downloaded browser. One per module:
    while Playwright's synchronous API runs it holds an event loop and greenlets in this
    process, which the other tests of the same worker must not run beside."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()
