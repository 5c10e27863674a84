"""Accounts across schools: a school grants membership of itself only, and nobody but the
person sets or learns the password of an account that exists or is pending elsewhere."""

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app import auth
from app.models import AuthSession, Invitation, Membership, Person, Role
from tests.factories import PASSWORD, add_membership, make_person, unique
from tests.test_pages import (
    browser,
    csrf_of,
    fresh,
    log_in,
    login_cookie,
    post,
    school_with_admin,
)

LINK = re.compile(r'class="link-box" type="text" readonly value="[^"]*(/uitnodiging/[^"]+)"')


def invite(client: TestClient, token: str, name: str, email: str, *roles: str) -> Any:
    return post(
        client, "/beheer/mensen", token, {"name": name, "email": email, "roles": list(roles)}
    )


def link_in(html: str) -> str:
    found = LINK.search(html)
    assert found, "the page shows no invitation link"
    return found.group(1)


def set_password(client: TestClient, path: str, password: str) -> Any:
    page = client.get(path)
    if page.status_code != 200 or 'name="password_again"' not in page.text:
        return page
    return client.post(
        path,
        data={
            "password": password,
            "password_again": password,
            "csrf_token": login_cookie(client, path="/uitnodiging"),
        },
        follow_redirects=False,
    )


def membership(session: Session, school_id: Any, person_id: Any) -> Membership | None:
    return session.exec(
        select(Membership).where(
            Membership.school_id == school_id, Membership.person_id == person_id
        )
    ).first()


def test_an_admin_of_another_school_cannot_take_over_a_pending_invitation(
    session: Session, make_client: Any
) -> None:
    school_a, admin_a = school_with_admin(session)
    school_b, admin_b = school_with_admin(session)
    email = f"{unique('nieuw')}@demo.example"
    a = browser(make_client)
    token_a = log_in(a, admin_a)
    made = invite(a, token_a, "Nieuwe Collega", email, "teacher", "admin")
    link_a = link_in(made.text)

    b = browser(make_client)
    token_b = log_in(b, admin_b)
    attempt = invite(b, token_b, "Wie Dan Ook", email, "teacher")
    assert attempt.status_code == 200
    assert "Nieuwe Collega" not in attempt.text
    link_b = link_in(attempt.text)

    # The attacker opens their own link: it sets no password and grants nothing.
    thief = browser(make_client)
    page = thief.get(link_b)
    assert page.status_code == 200
    assert 'name="password"' not in page.text and "Log in" in page.text
    forced = thief.post(
        link_b,
        data={"password": "overgenomen!!", "password_again": "overgenomen!!", "csrf_token": "x"},
        follow_redirects=False,
    )
    assert forced.status_code in (403, 404)
    fresh(session)
    person = session.exec(select(Person).where(Person.email == email)).one()
    assert person.password_hash is None
    assert membership(session, school_b.id, person.id) is None
    assert membership(session, school_a.id, person.id) is not None

    # The rightful person sets the password with school A's link, then accepts B's.
    owner = browser(make_client)
    done = set_password(owner, link_a, "mijn-eigen-wachtwoord")
    assert done.status_code == 303
    fresh(session)
    set_hash = session.get(Person, person.id).password_hash  # type: ignore[union-attr]
    assert set_hash is not None
    join = owner.get(link_b)
    assert join.status_code == 200 and "Accepteren" in join.text
    accepted = post(owner, link_b + "/accepteren", csrf_of(join.text))
    assert accepted.status_code == 303
    fresh(session)
    joined = membership(session, school_b.id, person.id)
    assert joined is not None and joined.roles == [Role.teacher]
    # Neither link changed the password again.
    assert session.get(Person, person.id).password_hash == set_hash  # type: ignore[union-attr]
    assert set_password(browser(make_client), link_a, "nog-een-keer!!").status_code == 404


def test_an_existing_account_joins_another_school_only_by_accepting_its_link(
    session: Session, make_client: Any
) -> None:
    school_a, _admin_a = school_with_admin(session)
    school_b, admin_b = school_with_admin(session)
    coach = make_person(session, school_a, [Role.coach], name=unique("Echte Naam"))
    b = browser(make_client)
    token_b = log_in(b, admin_b)
    answer = invite(b, token_b, "Getypte Naam", coach.email, "coach")
    assert answer.status_code == 200
    assert coach.name not in answer.text and "Getypte Naam" in answer.text
    listing = b.get("/beheer/mensen").text
    assert coach.name not in listing
    assert "Wacht op acceptatie" in listing and "Getypte Naam" in listing
    fresh(session)
    assert membership(session, school_b.id, coach.id) is None
    # B cannot reach the account through the person pages either.
    assert b.get(f"/beheer/mensen/{coach.id}").status_code == 404

    # The coach, logged in, accepts; only then is B one of their schools.
    mine = browser(make_client)
    log_in(mine, coach)
    switch = mine.post(
        "/api/me/school",
        json={"school_id": str(school_b.id)},
        headers={"X-CSRF-Token": csrf_of(mine.get("/").text)},
    )
    assert switch.status_code == 403
    link = link_in(answer.text)
    page = mine.get(link)
    accepted = post(mine, link + "/accepteren", csrf_of(page.text))
    assert accepted.status_code == 303
    fresh(session)
    assert membership(session, school_b.id, coach.id) is not None
    assert coach.name in b.get("/beheer/mensen").text


def test_only_the_invited_person_can_accept_a_join_link(session: Session, make_client: Any) -> None:
    school_a, _admin_a = school_with_admin(session)
    school_b, admin_b = school_with_admin(session)
    coach = make_person(session, school_a, [Role.coach])
    b = browser(make_client)
    token_b = log_in(b, admin_b)
    link = link_in(invite(b, token_b, "X", coach.email, "coach").text)
    page = b.get(link)
    assert "ander account" in page.text and "Accepteren" not in page.text
    refused = post(b, link + "/accepteren", token_b)
    assert refused.status_code == 403
    fresh(session)
    assert membership(session, school_b.id, coach.id) is None
    assert (
        session.exec(
            select(Invitation).where(
                Invitation.person_id == coach.id, col(Invitation.used_at).is_not(None)
            )
        ).first()
        is None
    )


def test_switching_someone_off_ends_only_their_membership_of_that_school(
    session: Session, make_client: Any
) -> None:
    school_a, _admin_a = school_with_admin(session)
    school_b, admin_b = school_with_admin(session)
    shared = make_person(session, school_a, [Role.coach])
    add_membership(session, school_b, shared, [Role.coach])
    in_a = browser(make_client)
    log_in(in_a, shared)
    b = browser(make_client)
    token_b = log_in(b, admin_b)
    for _ in range(3):
        off = post(b, f"/beheer/mensen/{shared.id}/actief", token_b, {"actief": "nee"})
        assert off.status_code == 303
        on = post(b, f"/beheer/mensen/{shared.id}/actief", token_b, {"actief": "ja"})
        assert on.status_code == 303
    post(b, f"/beheer/mensen/{shared.id}/actief", token_b, {"actief": "nee"})
    # Still logged in and working in school A.
    home = in_a.get("/")
    assert home.status_code == 200 and "Uitloggen" in home.text
    fresh(session)
    assert session.get(Person, shared.id).active  # type: ignore[union-attr]
    assert membership(session, school_a.id, shared.id).active  # type: ignore[union-attr]
    assert not membership(session, school_b.id, shared.id).active  # type: ignore[union-attr]
    # A session in school B ends, and B is gone from the school choice.
    assert (
        session.exec(
            select(AuthSession).where(
                AuthSession.person_id == shared.id, AuthSession.school_id == school_b.id
            )
        ).first()
        is None
    )
    again = browser(make_client)
    log_in(again, shared, PASSWORD)
    switch = again.post(
        "/api/me/school",
        json={"school_id": str(school_b.id)},
        headers={"X-CSRF-Token": csrf_of(again.get("/").text)},
    )
    assert switch.status_code == 403


def test_a_person_in_several_schools_has_one_password_that_no_school_resets(
    session: Session, make_client: Any
) -> None:
    school_a, admin_a = school_with_admin(session)
    school_b, _admin_b = school_with_admin(session)
    shared = make_person(session, school_a, [Role.teacher])
    add_membership(session, school_b, shared, [Role.teacher])
    a = browser(make_client)
    token_a = log_in(a, admin_a)
    again = post(a, f"/beheer/mensen/{shared.id}/uitnodiging", token_a)
    assert again.status_code == 422 and "/uitnodiging/" not in again.text
    re_added = invite(a, token_a, "Andere Naam", shared.email, "teacher", "coach")
    assert re_added.status_code == 200 and "/uitnodiging/" not in re_added.text
    fresh(session)
    assert session.get(Person, shared.id).password_hash is not None  # type: ignore[union-attr]
    assert session.get(Person, shared.id).name == shared.name  # type: ignore[union-attr]
    assert auth.verify_password(session.get(Person, shared.id), PASSWORD)
