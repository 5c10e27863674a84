"""Overload is an answer, not an error (design.md, guarantee 10): when the database cannot take
a request now, the server says so at once with 503 and ``Retry-After``, applies nothing, and
the same request later is applied once.

On SQLite the wait is for the process's write turn (the gate in app/db.py); on PostgreSQL for a
connection of the process's bounded pool, or for a server that refuses new connections. The
tests fill these from inside the test process, as a concurrent request would. The elapsed times
they check are not speed measurements: they tell an answer given after the gate's bound (half a
second here) from one that waited out SQLite's busy timeout or SQLAlchemy's pool timeout (30 s
each), which is what happened before."""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select, text

from app import db
from app.errors import Invalid
from app.models import Moment, Observation, Person, Role, Share, SyncDevice
from app.settings import get_settings
from tests.factories import ClientFactory, login, make_person, make_school
from tests.test_pages import HTML, log_in, post
from tests.test_sharing import lesson_and_colleague
from tests.test_sync import count, moment_add, mutations_of, obs_put, statuses

SQLITE = get_settings().is_sqlite
sqlite_only = pytest.mark.skipif(not SQLITE, reason="the write gate is SQLite's")
postgres_only = pytest.mark.skipif(SQLITE, reason="connection budgets are PostgreSQL's")

WAIT = 0.5  # the bound on waiting for the database in these tests
RETRY_AFTER = 7  # distinct from the default, so the header is seen to come from the setting
ANSWERED_WITHIN = 10.0  # seconds: well below the 30 s that a request used to wait


EngineFor = Callable[..., sa.Engine]


@pytest.fixture
def engine_for(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineFor]:
    """``engine_for(**settings)``: an engine of its own for this process's app under other
    settings, for this test; the usual one again afterwards, left as it was (disposing it would
    strand the connection the test's ``session``, asked for first, holds)."""
    built: list[sa.Engine] = []

    def build(**values: Any) -> sa.Engine:
        for name, value in values.items():
            monkeypatch.setattr(get_settings(), name, value)
        engine = db.make_engine(get_settings().database_url)
        built.append(engine)
        monkeypatch.setattr(db, "get_engine", lambda: engine)
        return engine

    yield build
    monkeypatch.undo()
    for engine in built:
        engine.dispose()


@pytest.fixture
def small_engine(engine_for: EngineFor) -> sa.Engine:
    """Short waits and, on PostgreSQL, a pool of one connection, so that a test can fill it."""
    return engine_for(
        write_wait_seconds=WAIT,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout=WAIT,
        retry_after_seconds=RETRY_AFTER,
    )


@contextmanager
def database_full() -> Iterator[None]:
    """Hold what the next request needs, from this process: on SQLite the write turn (a write
    transaction on a session of its own, as a concurrent push would), on PostgreSQL the only
    connection of the pool."""
    if SQLITE:
        with db.new_session(write=True) as writer:
            writer.connection()  # BEGIN IMMEDIATE: this session has the write turn
            yield
    else:
        with db.get_engine().connect() as held:
            held.exec_driver_sql("SELECT 1")
            yield


def assert_busy(response: Any, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER)
    assert elapsed < ANSWERED_WITHIN


def lesson_batch(teacher: Person, moments: int = 3) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    """An observation and its moments, as a tablet's first push sends them."""
    obs_id = uuid.uuid4()
    batch = [obs_put(1, obs_id, teacher)]
    batch += [moment_add(i + 2, uuid.uuid4(), obs_id, offset_ms=1000 * i) for i in range(moments)]
    return obs_id, batch


def test_a_push_to_a_full_database_is_answered_503_and_applied_once_later(
    session: Session, make_client: ClientFactory, small_engine: sa.Engine
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    client = login(make_client(), coach)
    device = uuid.uuid4()
    obs_id, batch = lesson_batch(teacher)
    body = {"device_id": str(device), "schema_version": 1, "mutations": batch}

    with database_full():
        started = time.monotonic()
        refused = client.post("/api/sync/push", json=body)
        assert_busy(refused, time.monotonic() - started)
    assert refused.json()["code"] == "busy"
    assert "druk" in refused.json()["detail"]
    # Nothing of the batch is on the server: not the device, no outcome, no record.
    assert count(session, SyncDevice, col(SyncDevice.id) == device) == 0
    assert mutations_of(session, device) == []
    assert count(session, Observation, col(Observation.id) == obs_id) == 0

    applied = client.post("/api/sync/push", json=body)
    assert applied.status_code == 200, applied.text
    assert statuses(applied.json()) == ["applied"] * 4
    again = client.post("/api/sync/push", json=body)
    assert statuses(again.json()) == ["duplicate"] * 4
    assert [m.seq for m in mutations_of(session, device)] == [1, 2, 3, 4]
    assert count(session, Moment, col(Moment.observation_id) == obs_id) == 3
    stored = session.get(SyncDevice, device)
    assert stored is not None and stored.last_seq == 4


def test_a_form_posted_to_a_full_database_gets_the_503_page_not_a_500(
    session: Session, make_client: ClientFactory, small_engine: sa.Engine
) -> None:
    _coach, teacher, colleague, obs = lesson_and_colleague(session)
    client = make_client()
    client.headers.update(HTML)
    token = log_in(client, teacher)
    path = f"/observaties/{obs.id}/delen"

    with database_full():
        started = time.monotonic()
        refused = post(client, path, token, {"person_id": str(colleague.id)})
        assert_busy(refused, time.monotonic() - started)
    assert refused.headers["content-type"].startswith("text/html")
    assert "Het is even druk op de server" in refused.text
    shares = select(Share).where(Share.observation_id == obs.id)
    session.commit()
    assert session.exec(shares).all() == []

    sent = post(client, path, token, {"person_id": str(colleague.id)})
    assert sent.status_code == 303, sent.text
    session.commit()
    assert [s.person_id for s in session.exec(shares)] == [colleague.id]


@sqlite_only
def test_reading_never_waits_for_the_write_turn(
    session: Session, make_client: ClientFactory, small_engine: sa.Engine
) -> None:
    coach = make_person(session, make_school(session), [Role.coach])
    client = login(make_client(), coach)
    with database_full():
        assert client.get("/api/sync/pull?cursor=0").status_code == 200


# --- the write gate itself (SQLite) ----------------------------------------------------------


def writer_refused() -> bool:
    """Whether a new write transaction is refused now, after waiting the gate's bound."""
    with db.new_session(write=True) as other:
        try:
            other.connection()
        except db.NoWriteTurn:
            return True
        return False


def one_writer_at_a_time() -> bool:
    """A writer gets the turn (it was given back), and while it holds it, nobody else does
    (it was given back once, not twice)."""
    with db.new_session(write=True) as first:
        first.connection()
        return writer_refused()


@sqlite_only
def test_a_savepoint_neither_takes_nor_gives_back_the_write_turn(small_engine: sa.Engine) -> None:
    with db.new_session(write=True) as s:
        s.connection()
        with s.begin_nested():
            s.execute(text("SELECT 1"))
        with pytest.raises(Invalid), s.begin_nested():
            s.execute(text("SELECT 1"))
            raise Invalid("refused alone")
        assert writer_refused()
        s.commit()
    assert one_writer_at_a_time()


def end_by_commit() -> None:
    with db.new_session(write=True) as s:
        s.connection()
        s.commit()


def end_by_rollback() -> None:
    with db.new_session(write=True) as s:
        s.connection()
        s.rollback()


def end_by_closing_the_session() -> None:
    with db.new_session(write=True) as s:
        s.connection()


def end_by_a_failed_use_case() -> None:
    with db.new_session(write=True) as s, pytest.raises(Invalid), db.transaction(s):
        s.connection()
        raise Invalid("refused")


def end_by_closing_the_connection() -> None:
    conn = db.get_engine().connect().execution_options(**{db.WRITE: True})
    conn.begin()
    conn.close()


def end_by_losing_the_connection() -> None:
    conn = db.get_engine().connect().execution_options(**{db.WRITE: True})
    conn.begin()
    conn.invalidate()
    conn.close()


@sqlite_only
@pytest.mark.parametrize(
    "end",
    [
        end_by_commit,
        end_by_rollback,
        end_by_closing_the_session,
        end_by_a_failed_use_case,
        end_by_closing_the_connection,
        end_by_losing_the_connection,
    ],
)
def test_the_write_turn_is_given_back_once_however_the_transaction_ends(
    end: Any, small_engine: sa.Engine
) -> None:
    end()
    assert one_writer_at_a_time()
    assert one_writer_at_a_time()


# --- connections as a budget (PostgreSQL) ----------------------------------------------------


@postgres_only
def test_the_pool_is_as_large_as_the_settings_say(small_engine: sa.Engine) -> None:
    pool: Any = small_engine.pool
    assert (pool.size(), pool._max_overflow, pool.timeout()) == (1, 0, WAIT)


@pytest.fixture
def refusing_role(small_engine: sa.Engine) -> Iterator[str]:
    """A database URL whose role the server refuses every connection ("too many connections",
    as when max_connections is reached): its connection limit is 0."""
    url = sa.make_url(db.normalise_url(get_settings().database_url))
    role = f"coulisse_refused_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    try:
        yield url.set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


@postgres_only
def test_a_database_that_refuses_new_connections_is_answered_503(
    session: Session,
    make_client: ClientFactory,
    engine_for: EngineFor,
    refusing_role: str,
) -> None:
    coach = make_person(session, make_school(session), [Role.coach])
    client: TestClient = login(make_client(), coach)
    engine_for(database_url=refusing_role)
    started = time.monotonic()
    refused = client.get("/api/sync/pull?cursor=0")
    assert_busy(refused, time.monotonic() - started)
    assert refused.json()["code"] == "busy"
    assert_busy(client.get("/healthz"), 0)
