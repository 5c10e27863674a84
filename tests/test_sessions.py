"""Login sessions: server-side, ended by logout and deactivation, slowed down after failures."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import auth
from app.models import AuthSession, LoginThrottle, Role, utcnow
from tests.factories import PASSWORD, ClientFactory, login, make_person, make_school


def test_login_sets_an_httponly_cookie_with_a_long_random_token(
    session: Session, client: TestClient
) -> None:
    school = make_school(session)
    person = make_person(session, school, [Role.coach])
    response = client.post(
        "/api/auth/login", json={"email": person.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = client.cookies[auth.SESSION_COOKIE]
    assert len(token) >= 43  # 32 random bytes, base64
    stored = session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).one()
    assert stored.token_hash == auth.token_hash(token) != token


def test_wrong_password_gets_401_with_a_message(session: Session, client: TestClient) -> None:
    person = make_person(session, make_school(session))
    response = client.post("/api/auth/login", json={"email": person.email, "password": "nee"})
    assert response.status_code == 401
    assert "wachtwoord" in response.json()["detail"]
    assert auth.SESSION_COOKIE not in client.cookies


def test_each_login_gets_a_new_token(session: Session, make_client: ClientFactory) -> None:
    person = make_person(session, make_school(session))
    c = make_client()
    login(c, person)
    first = c.cookies[auth.SESSION_COOKIE]
    login(c, person)
    second = c.cookies[auth.SESSION_COOKIE]
    assert first != second
    stale = make_client()
    stale.cookies.set(auth.SESSION_COOKIE, first)
    assert stale.get("/api/me").status_code == 401


def test_logout_ends_the_session_on_the_server(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session))
    c = login(make_client(), person)
    token = c.cookies[auth.SESSION_COOKIE]
    assert c.post("/api/auth/logout").status_code == 204
    replay = make_client()
    replay.cookies.set(auth.SESSION_COOKIE, token)
    assert replay.get("/api/me").status_code == 401
    assert session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).all() == []


def test_deactivating_an_account_ends_its_sessions_at_once(
    session: Session, make_client: ClientFactory
) -> None:
    school = make_school(session)
    admin = make_person(session, school, [Role.admin])
    teacher = make_person(session, school, [Role.teacher])
    tablet, laptop = login(make_client(), teacher), login(make_client(), teacher)
    assert tablet.get("/api/me").status_code == 200

    from app import people

    people.set_active(session, school_id=school.id, person_id=teacher.id, active=False, by=admin.id)
    assert tablet.get("/api/me").status_code == 401
    assert laptop.get("/api/me").status_code == 401
    again = make_client().post(
        "/api/auth/login", json={"email": teacher.email, "password": PASSWORD}
    )
    assert again.status_code == 401


def test_an_idle_session_expires(session: Session, make_client: ClientFactory) -> None:
    person = make_person(session, make_school(session))
    c = login(make_client(), person)
    row = session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).one()
    row.last_seen_at = utcnow() - timedelta(days=auth.get_settings().session_idle_days, minutes=1)
    session.add(row)
    session.commit()
    assert c.get("/api/me").status_code == 401


def test_a_session_past_its_lifetime_expires(session: Session, make_client: ClientFactory) -> None:
    person = make_person(session, make_school(session))
    c = login(make_client(), person)
    row = session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert c.get("/api/me").status_code == 401


def test_repeated_failed_logins_are_slowed_down_then_lapse(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session))
    c = make_client()
    free = auth.get_settings().login_free_failures_per_account
    for _ in range(free):
        assert (
            c.post(
                "/api/auth/login", json={"email": person.email, "password": "fout-fout"}
            ).status_code
            == 401
        )
    assert (
        c.post("/api/auth/login", json={"email": person.email, "password": "fout-fout"}).status_code
        == 401
    )
    # Now even the right password has to wait, and is told how long.
    blocked = c.post("/api/auth/login", json={"email": person.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert "Probeer het over" in blocked.json()["detail"]

    # The wait lapses by itself: nobody is locked out for good.
    row = session.get(LoginThrottle, f"account:{person.email}")
    assert row is not None
    row.blocked_until = utcnow() - timedelta(seconds=1)
    session.add(row)
    address = session.get(LoginThrottle, "address:testclient")
    if address is not None:
        session.delete(address)
    session.commit()
    assert (
        c.post("/api/auth/login", json={"email": person.email, "password": PASSWORD}).status_code
        == 200
    )
    session.expire_all()
    assert session.get(LoginThrottle, f"account:{person.email}") is None


def test_changes_without_the_csrf_token_are_refused(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session), [Role.coach])
    c = login(make_client(), person)
    token = c.headers.pop("X-CSRF-Token")
    assert c.post("/api/auth/logout").status_code == 403
    c.headers["X-CSRF-Token"] = "not-the-token"
    assert c.post("/api/auth/logout").status_code == 403
    c.headers["X-CSRF-Token"] = token
    assert c.post("/api/auth/logout").status_code == 204


def test_a_request_from_another_site_is_refused_even_with_the_token(
    session: Session, make_client: ClientFactory
) -> None:
    person = make_person(session, make_school(session), [Role.coach])
    c = login(make_client(), person)
    r = c.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = c.post("/api/auth/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert c.get("/api/me").status_code == 200


def test_switching_off_a_coach_in_one_school_leaves_their_other_school(
    session: Session, make_client: ClientFactory
) -> None:
    from app import people
    from tests.factories import add_membership

    a, b = make_school(session), make_school(session)
    admin_a = make_person(session, a, [Role.admin])
    coach = make_person(session, a, [Role.coach])
    add_membership(session, b, coach, [Role.coach])
    tablet = login(make_client(), coach)

    people.set_active(session, school_id=a.id, person_id=coach.id, active=False, by=admin_a.id)
    assert tablet.get("/api/me").status_code == 401, "switching off ends sessions at once"

    again = login(make_client(), coach)
    me = again.get("/api/me").json()
    assert me["current_school_id"] == str(b.id)
    assert [s["id"] for s in me["schools"]] == [str(b.id)]
    assert again.post("/api/me/school", json={"school_id": str(a.id)}).status_code == 403
