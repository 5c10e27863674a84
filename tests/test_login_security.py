"""Logging in under attack: guessing is slowed without locking out the rightful person, a
client cannot choose the address it is counted under, slow password hashes never hold the
database's write lock, and a session's refresh never turns a request into an error."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app import auth, db, people
from app.models import AuthSession, Role, utcnow
from tests.conftest import _free_port
from tests.factories import PASSWORD, ClientFactory, login, make_person, make_school, unique
from tests.test_pages import browser, fresh, log_in, login_cookie


def test_the_first_request_after_five_minutes_refreshes_the_session_without_an_error(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session), [Role.teacher, Role.coach])
    client = browser(make_client)
    log_in(client, person)
    for path in ["/", "/lessen", "/api/me", "/coulissen", "/api/sync/pull?cursor=0"]:
        fresh(session)
        row = session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).one()
        old = utcnow() - auth.TOUCH_EVERY - timedelta(seconds=5)
        row.last_seen_at = old
        session.add(row)
        session.commit()
        assert client.get(path).status_code == 200, path
        fresh(session)
        refreshed = session.get(AuthSession, row.id)
        assert refreshed is not None and refreshed.last_seen_at > old, path


def test_someone_guessing_a_colleagues_password_does_not_lock_the_colleague_out(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session), [Role.coach])
    own_tablet = login(make_client(), person)  # logged in before: carries the device cookie
    own_tablet.post("/api/auth/logout")
    attacker = make_client()
    free = auth.get_settings().login_free_failures_per_account
    for _ in range(free + 3):
        attacker.post("/api/auth/login", json={"email": person.email, "password": "geraden!"})
    blocked = attacker.post("/api/auth/login", json={"email": person.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert own_tablet.cookies.get(auth.DEVICE_COOKIE, path="/api/auth/login")
    back = own_tablet.post("/api/auth/login", json={"email": person.email, "password": PASSWORD})
    assert back.status_code == 200
    # The device cookie names the account it was earned for, and cannot be forged.
    other = make_person(session, make_school(session), [Role.coach])
    for _ in range(free + 3):
        attacker.post("/api/auth/login", json={"email": other.email, "password": "geraden!"})
    cookie = own_tablet.cookies.get(auth.DEVICE_COOKIE, path="/api/auth/login")
    borrowed = make_client()
    borrowed.cookies.set(auth.DEVICE_COOKIE, cookie, path="/api/auth/login")
    refused = borrowed.post("/api/auth/login", json={"email": other.email, "password": PASSWORD})
    assert refused.status_code == 429
    forged = make_client()
    forged.cookies.set(auth.DEVICE_COOKIE, "abc.def.0123", path="/api/auth/login")
    assert (
        forged.post(
            "/api/auth/login", json={"email": other.email, "password": PASSWORD}
        ).status_code
        == 429
    )


def test_a_device_keeps_guesses_at_its_own_account_slow(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session), [Role.coach])
    tablet = login(make_client(), person)
    tablet.post("/api/auth/logout")
    free = auth.get_settings().login_free_failures_per_account
    answers = [
        tablet.post(
            "/api/auth/login", json={"email": person.email, "password": "fout-fout"}
        ).status_code
        for _ in range(free + 2)
    ]
    assert answers[:free] == [401] * free and answers[-1] == 429


@contextmanager
def coulisse_serve(**env: str) -> Iterator[str]:
    """The production entry point, ``coulisse serve``, on loopback."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("coulisse serve stopped")
            import time

            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _guess_with_forwarded_addresses(url: str, email: str, n: int) -> list[int]:
    with httpx.Client(base_url=url) as client:
        return [
            client.post(
                "/api/auth/login",
                json={"email": f"{i}-{email}", "password": "geraden!"},
                headers={"X-Forwarded-For": f"198.51.100.{i % 250}"},
            ).status_code
            for i in range(n)
        ]


def test_forwarded_addresses_are_believed_only_from_configured_proxies() -> None:
    settings = {"COULISSE_LOGIN_FREE_FAILURES_PER_ADDRESS": "4"}
    with coulisse_serve(**settings) as url:
        answers = _guess_with_forwarded_addresses(url, "iemand@school.example", 8)
    assert answers[:4] == [401] * 4 and 429 in answers[4:]
    with coulisse_serve(**settings, COULISSE_TRUSTED_PROXIES="127.0.0.1") as url:
        answers = _guess_with_forwarded_addresses(url, "iemand-anders@school.example", 8)
    assert answers == [401] * 8  # each forwarded address is its own, through the proxy


@pytest.fixture
def write_lock_probe() -> Any:
    """Whether another connection can start a write right now, without waiting."""
    engine = db.get_engine()

    def free() -> bool:
        if engine.dialect.name == "sqlite":
            raw = sa.create_engine(engine.url, connect_args={"timeout": 0})
            try:
                with raw.connect() as conn:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    conn.exec_driver_sql("ROLLBACK")
                return True
            except sa.exc.OperationalError:
                return False
            finally:
                raw.dispose()
        with engine.connect() as conn:
            busy = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                )
            ).scalar_one()
        return busy == 0

    return free


def test_a_login_hashes_the_password_with_no_transaction_open(
    session: Session, make_client: ClientFactory, monkeypatch: Any, write_lock_probe: Any
) -> None:
    person = make_person(session, make_school(session), [Role.coach])
    session.commit()
    seen: list[bool] = []
    real = auth.verify_password

    def watched(who: Any, password: str) -> bool:
        seen.append(write_lock_probe())
        return real(who, password)

    monkeypatch.setattr(auth, "verify_password", watched)
    client = make_client()
    assert (
        client.post("/api/auth/login", json={"email": person.email, "password": "fout"})
    ).status_code == 401
    assert client.post("/api/auth/login", json={"email": person.email, "password": PASSWORD})
    form = browser(make_client)
    form.get("/inloggen")
    form.post(
        "/inloggen",
        data={"email": person.email, "password": "fout", "csrf_token": login_cookie(form)},
    )
    assert seen == [True, True, True]


def test_accepting_an_invitation_hashes_the_password_with_no_transaction_open(
    session: Session, make_client: ClientFactory, monkeypatch: Any, write_lock_probe: Any
) -> None:
    school = make_school(session)
    invited = people.invite(
        session,
        school_id=school.id,
        email=f"{unique('nieuw')}@school.example",
        name="Nieuwe Docent",
        roles=[Role.teacher],
    )
    session.commit()
    assert invited.link
    path = "/uitnodiging/" + invited.link.rsplit("/uitnodiging/", 1)[1]
    seen: list[bool] = []
    real = auth.hash_password

    def watched(password: str) -> str:
        seen.append(write_lock_probe())
        return real(password)

    monkeypatch.setattr(auth, "hash_password", watched)
    client = browser(make_client)
    client.get(path)
    done = client.post(
        path,
        data={
            "password": "een-goed-wachtwoord",
            "password_again": "een-goed-wachtwoord",
            "csrf_token": login_cookie(client, path="/uitnodiging"),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert seen == [True]


def test_security_events_are_logged_without_secrets(
    session: Session, make_client: ClientFactory, caplog: Any
) -> None:
    import logging

    person = make_person(session, make_school(session), [Role.coach], name="Geheime Naam")
    client = make_client()
    with caplog.at_level(logging.INFO, logger="coulisse.security"):
        client.post("/api/auth/login", json={"email": person.email, "password": "fout-gok-123"})
        login(client, person)
        client.get("/api/coulissen", headers={"X-CSRF-Token": ""})
        client.post("/api/auth/logout", headers={"X-CSRF-Token": "verkeerd"})
        client.post("/api/auth/logout")
    lines = [r.getMessage() for r in caplog.records if r.name == "coulisse.security"]
    text = "\n".join(lines)
    assert f"login failed person={person.id}" in text
    assert f"login person={person.id}" in text
    assert "refused 403 POST /api/auth/logout" in text
    assert f"logout person={person.id}" in text
    for secret in ("fout-gok-123", PASSWORD, person.email, "Geheime Naam"):
        assert secret not in text
