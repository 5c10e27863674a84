"""The database: one engine per process, one session per request.

SQLite (the embedded default) runs in WAL mode with foreign keys on, a busy timeout, and
``synchronous=FULL``: a commit is on disk before the server acknowledges it, which the sync
protocol relies on (an acknowledged mutation must survive a power cut). WAL keeps readers from
blocking the single writer. Write transactions start with ``BEGIN IMMEDIATE`` so that two writers
queue instead of one failing when it upgrades a read lock.

They queue in the process's write gate (:class:`WriteGate`), not on the busy timeout: SQLite has
one writer anyway, and a wait in the gate has a short bound (``write_wait_seconds``), after which
the write is refused with :class:`NoWriteTurn` and the request answered 503 with Retry-After
(``app/main.py``). Waiting on the busy timeout instead, 200 tablets pushing at once queued for
30 s and then failed with a 500. The busy timeout stays for writers in other processes (the
command line).

PostgreSQL (production) is reached through psycopg 3. Each process's pool is a budget set by
``db_pool_size`` and ``db_max_overflow`` (all processes together must stay below the server's
max_connections); a request that finds no free connection within ``db_pool_timeout``, or whose
new connection the server refuses (:class:`NoConnection`), is answered 503 the same way.

Alembic owns the schema; :func:`check_schema_at_head` refuses to serve a database that is
behind (or ahead of) the code.
"""

import threading
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


class NoWriteTurn(sa.exc.OperationalError):
    """No turn to write came within the bound. An OperationalError like SQLite's own "database
    is locked", of which it is the early, in-process form: code that copes with a busy database
    (a session refresh that can wait for the next request) copes with this too."""

    def __init__(self, wait: float) -> None:
        super().__init__("BEGIN IMMEDIATE", None, TimeoutError(f"no turn to write within {wait} s"))


class NoConnection(sa.exc.OperationalError):
    """The database refused a new connection, or could not be reached: too many clients,
    starting up or shutting down, gone."""


_TURN = "coulisse_write_turn"  # in the pool's info of the connection that holds the turn


class WriteGate:
    """One write transaction at a time in this process, and a bounded wait for the turn.

    Taken when a write transaction begins (before its ``BEGIN IMMEDIATE``) and given back when
    it ends: at its commit (once the COMMIT is done, so that the next writer never meets the
    lock still held), at its rollback, or, whatever else happened to the transaction, when its
    connection goes back to the pool. Which connection holds the turn is noted in the pool's
    record of it, so the turn is given back exactly once. Savepoints begin and end inside a
    transaction and leave the turn alone. A plain lock, not an RLock: a request may begin its
    transaction in one worker thread and end it in another."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._lock = threading.Lock()

    def take(self, info: dict[Any, Any]) -> None:
        if not self._lock.acquire(timeout=self.wait):
            raise NoWriteTurn(self.wait)
        info[_TURN] = True

    def give_back(self, info: dict[Any, Any]) -> None:
        if info.pop(_TURN, False):
            self._lock.release()


def overloaded(exc: BaseException) -> bool:
    """Whether an error means "the database cannot take this now; the same request later
    will do", which is answered 503 with Retry-After rather than as a fault."""
    if isinstance(exc, (NoWriteTurn, NoConnection, sa.exc.TimeoutError)):
        return True
    # SQLite's busy timeout ran out: another process held the write lock all along.
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlite_errorname", None) == "SQLITE_BUSY"


def make_engine(url: str) -> sa.Engine:
    url = normalise_url(url)
    settings = get_settings()
    if not url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )

        @sa.event.listens_for(engine, "handle_error")
        def _on_error(context: sa.engine.ExceptionContext) -> BaseException | None:
            # No connection yet means the connect itself failed. (A failed pre-ping is the
            # pool's to handle: it reconnects.)
            if context.connection is not None or context.is_pre_ping:
                return None
            if not isinstance(context.sqlalchemy_exception, sa.exc.OperationalError):
                return None
            return NoConnection(
                None,
                None,
                context.original_exception,
                connection_invalidated=context.is_disconnect,
            )

        return engine

    ensure_sqlite_folder(url)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_timeout=settings.db_pool_timeout,
    )
    gate = WriteGate(settings.write_wait_seconds)

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
        if not conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN")
            return
        gate.take(conn.info)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.give_back(conn.info)
            raise

    @sa.event.listens_for(engine, "commit")
    def _on_commit(conn: sa.Connection) -> None:
        if _TURN in conn.info:
            # Commit here rather than in the driver's commit() that follows (which then has
            # nothing left to do), so that the turn is given back only once the COMMIT,
            # with its fsync, is done. If it fails, the turn goes back with the connection.
            conn.exec_driver_sql("COMMIT")
            gate.give_back(conn.info)

    @sa.event.listens_for(engine, "rollback")
    def _on_rollback(conn: sa.Connection) -> None:
        # A lost connection has no info to read now; its record goes back to the pool.
        if not conn.invalidated:
            gate.give_back(conn.info)

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        gate.give_back(record.info)  # only if nothing above did: a failed COMMIT, a lost connection

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
