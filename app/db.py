"""The database: one engine per process, one session per request.

SQLite (the embedded default) runs in WAL mode with foreign keys on, a busy timeout, and
``synchronous=FULL``: a commit is on disk before the server acknowledges it, which the sync
protocol relies on (an acknowledged mutation must survive a power cut). WAL keeps readers from
blocking the single writer. Write transactions start with ``BEGIN IMMEDIATE`` so that two writers
queue on the busy timeout instead of one failing when it upgrades a read lock.

PostgreSQL (production) is reached through psycopg 3 with the driver's defaults.

Alembic owns the schema; :func:`check_schema_at_head` refuses to serve a database that is
behind (or ahead of) the code.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.settings import ROOT, get_settings

MIGRATIONS = ROOT / "migrations"
WRITE = "coulisse_write"


class SchemaNotAtHead(RuntimeError):
    pass


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def ensure_sqlite_folder(url: str) -> None:
    """SQLite makes the file but not its folder (``var/`` on a fresh clone)."""
    if url.startswith("sqlite") and "///" in url:
        path = url.split("///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> sa.Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    ensure_sqlite_folder(url)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN"
        )

    return engine


@lru_cache
def get_engine() -> sa.Engine:
    return make_engine(get_settings().database_url)


def reset_engine() -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def new_session(*, write: bool = False, engine: sa.Engine | None = None) -> Session:
    engine = engine or get_engine()
    bind = engine.execution_options(**{WRITE: True}) if write else engine
    return Session(bind, expire_on_commit=False)


_DEPTH = "coulisse_transaction_depth"


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The one shape of a write: a use case runs its whole body in this block, and its changes
    commit together when the block ends, or roll back together when it raises (a domain error
    included), so no caller ever commits or rolls back after it.

    A use case called inside another's block joins it: only the outermost block commits. A sync
    batch opens one block around many mutations, and each mutation's use case runs as part of
    it (its own failure is undone by a savepoint in :mod:`app.sync`, not here).
    """
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth:
            session.flush()
        else:
            session.commit()
    except BaseException:
        if not depth:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def insert_once(session: Session, record: Any) -> Any | None:
    """Insert a record under its own id; None if it went in, or the stored record if the id
    was taken (a repeated request). The insert runs in a savepoint, so a clash leaves the
    surrounding transaction usable."""
    # A record this session already holds (an earlier mutation of the same sync batch) cannot
    # be added again under the same key: SQLAlchemy refuses before the database can.
    cached = session.identity_map.get(session.identity_key(type(record), record.id))
    if cached is not None:
        return cached
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
        return None
    except IntegrityError:
        existing = session.get(type(record), record.id)
        if existing is None:  # the clash was some other constraint
            raise
        return existing


@contextmanager
def session_scope(*, write: bool = True) -> Iterator[Session]:
    """A session for code outside a request (CLI, demo), as one transaction."""
    with new_session(write=write) as session, transaction(session):
        yield session


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", normalise_url(url or get_settings().database_url).replace("%", "%%")
    )
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema_at_head(engine: sa.Engine | None = None) -> None:
    engine = engine or get_engine()
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaNotAtHead(
            f"The database schema is at revision {current or 'none (empty database)'}, "
            f"the code expects {head}. Run `coulisse migrate` first."
        )


def migrate(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    ensure_sqlite_folder(url or get_settings().database_url)
    command.upgrade(alembic_config(url), revision)


def request_session(request: Request) -> Iterator[Session]:
    """One session per request; changes (anything but GET/HEAD/OPTIONS) take the write lock
    at BEGIN on SQLite. Each use case commits its own :func:`transaction`; whatever none
    committed is rolled back when the session closes."""
    with new_session(write=request.method not in {"GET", "HEAD", "OPTIONS"}) as session:
        yield session


SessionDep = Annotated[Session, Depends(request_session)]
