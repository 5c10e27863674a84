"""My account: a person changes their own password (proving the current one), sees where they
are logged in, and logs out elsewhere after proving their password again."""

from typing import Any

from sqlmodel import Session, select

from app import auth
from app.models import AuthSession, Person, Role
from tests.factories import PASSWORD, make_person, make_school
from tests.test_pages import browser, csrf_of, fresh, log_in, post

NEW = "Zomer-in-Zeeland-7"


def change(
    client: Any, token: str, current: str, new: str, again: str | None = None, **kw: Any
) -> Any:
    data = {"current": current, "new": new, "again": new if again is None else again, **kw}
    return post(client, "/mijn-account/wachtwoord", token, data)


def test_a_person_changes_their_password_and_their_other_devices_are_logged_out(
    session: Session, make_client: Any
) -> None:
    person = make_person(session, make_school(session), [Role.teacher])
    tablet = browser(make_client)
    log_in(tablet, person)
    laptop = browser(make_client)
    token = log_in(laptop, person)
    page = laptop.get("/mijn-account")
    assert (
        page.status_code == 200
        and "dit apparaat" in page.text
        and "Wachtwoord wijzigen" in page.text
    )
    done = change(laptop, token, PASSWORD, NEW, elders_uitloggen="ja")
    assert done.status_code == 303
    assert laptop.get("/").status_code == 200  # this device stays logged in
    assert tablet.get("/", follow_redirects=False).headers["location"].startswith("/inloggen")
    fresh(session)
    assert auth.verify_password(session.get(Person, person.id), NEW)
    assert not auth.verify_password(session.get(Person, person.id), PASSWORD)


def test_a_wrong_current_password_a_mismatch_or_a_common_password_changes_nothing(
    session: Session, make_client: Any
) -> None:
    school = make_school(session, name="Het Lyceum")
    person = make_person(session, school, [Role.teacher], name="Jan Jansen")
    client = browser(make_client)
    token = log_in(client, person)
    cases = [
        (("niet-mijn-wachtwoord", NEW), "huidige wachtwoord klopt niet"),
        ((PASSWORD, NEW, "iets-anders-123"), "niet gelijk"),
        ((PASSWORD, "password123"), "veelgebruikte"),
        ((PASSWORD, "JanJansen2026"), "makkelijk te raden"),
        ((PASSWORD, "lyceum!!2026"), "makkelijk te raden"),
        ((PASSWORD, "kort"), "minstens"),
    ]
    for args, message in cases:
        answer = change(client, token, *args)
        assert answer.status_code == 422, args
        assert message in answer.text, args
    fresh(session)
    assert auth.verify_password(session.get(Person, person.id), PASSWORD)


def test_guessing_the_current_password_on_the_account_page_is_slowed_down(
    session: Session, make_client: Any
) -> None:
    person = make_person(session, make_school(session), [Role.teacher])
    client = browser(make_client)
    token = log_in(client, person)
    free = auth.get_settings().login_free_failures_per_account
    answers = [change(client, token, f"gok-{i}-gok", NEW).status_code for i in range(free + 2)]
    assert answers[:free] == [422] * free and answers[-1] == 429


def test_logging_out_another_device_needs_the_password_and_ends_only_that_session(
    session: Session, make_client: Any
) -> None:
    person = make_person(session, make_school(session), [Role.coach])
    tablet, phone, laptop = (browser(make_client) for _ in range(3))
    for c in (tablet, phone):
        log_in(c, person)
    token = log_in(laptop, person)
    fresh(session)
    rows = session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).all()
    assert len(rows) == 3
    page = laptop.get("/mijn-account").text
    assert page.count('name="sessies"') == 2
    tablet_id = str(sorted(rows, key=lambda r: r.created_at)[0].id)
    wrong = post(
        laptop, "/mijn-account/apparaten", token, {"sessies": tablet_id, "password": "fout"}
    )
    assert wrong.status_code == 422 and "er is niemand uitgelogd" in wrong.text
    right = post(
        laptop, "/mijn-account/apparaten", token, {"sessies": tablet_id, "password": PASSWORD}
    )
    assert right.status_code == 303
    assert tablet.get("/", follow_redirects=False).status_code == 303
    assert phone.get("/").status_code == 200 and laptop.get("/").status_code == 200
    everyone = post(laptop, "/mijn-account/apparaten", token, {"alle": "ja", "password": PASSWORD})
    assert everyone.status_code == 303
    assert phone.get("/", follow_redirects=False).status_code == 303
    assert laptop.get("/").status_code == 200
    assert csrf_of(laptop.get("/mijn-account").text) == token


def test_nobody_can_log_out_someone_elses_session(session: Session, make_client: Any) -> None:
    school = make_school(session)
    me, other = make_person(session, school, [Role.coach]), make_person(session, school)
    theirs = browser(make_client)
    log_in(theirs, other)
    mine = browser(make_client)
    token = log_in(mine, me)
    fresh(session)
    their_id = session.exec(select(AuthSession).where(AuthSession.person_id == other.id)).one().id
    answer = post(
        mine, "/mijn-account/apparaten", token, {"sessies": str(their_id), "password": PASSWORD}
    )
    assert answer.status_code == 303
    assert theirs.get("/").status_code == 200
    assert str(their_id) not in mine.get("/mijn-account").text
