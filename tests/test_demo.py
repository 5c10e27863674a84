"""The demo school: accounts that work, a realistic spread of lessons, and a clean refresh.

Each test builds the demo itself (it replaces the previous one), so no test relies on another.
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app import codebook, demo, people, schools
from app.models import (
    Comment,
    Membership,
    Moment,
    Observation,
    Person,
    Reflection,
    Role,
    School,
    Semester,
    Share,
    Team,
    TeamMember,
)
from tests import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACCOUNTS = {
    "coach@demo.example": {Role.coach},
    "docent@demo.example": {Role.teacher},
    "ontwikkelgroep@demo.example": {Role.teacher, Role.development_group},
    "schoolleider@demo.example": {Role.admin},
}
# Common Dutch first names, capitalised as in running text; a note carrying one is suspect.
FIRST_NAMES = {
    "Sanne",
    "Mark",
    "Lotte",
    "Daan",
    "Sophie",
    "Ruben",
    "Noor",
    "Thijs",
    "Anouk",
    "Iris",
    "Eva",
    "Jeroen",
    "Fatima",
    "Mohamed",
    "Emre",
    "Youssef",
    "Marloes",
    "Lisa",
    "Emma",
    "Julia",
    "Sem",
    "Lucas",
    "Milan",
    "Levi",
    "Finn",
    "Tess",
    "Fleur",
    "Bram",
    "Jesse",
    "Anna",
    "Sara",
    "Ayoub",
    "Yasmina",
    "Kevin",
    "Tim",
    "Lars",
    "Femke",
    "Sven",
    "Mees",
    "Luuk",
    "Zoë",
    "Nina",
}


def _school(session: Session) -> School:
    school = session.exec(select(School).where(School.slug == demo.SLUG)).one()
    return school


def _observations(session: Session, school: School) -> list[Observation]:
    return list(session.exec(select(Observation).where(Observation.school_id == school.id)))


def _moments(session: Session, school: School) -> list[Moment]:
    return list(session.exec(select(Moment).where(Moment.school_id == school.id)))


def _log_in(make_client: Callable[[], TestClient], email: str) -> dict[str, Any]:
    response = make_client().post("/api/auth/login", json={"email": email, "password": "demo"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _counts(session: Session, school: School) -> dict[str, int]:
    def count(model: type, *where: Any) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    return {
        "schools": count(School, School.slug == demo.SLUG),
        "demo people": count(Person, col(Person.email).endswith("@demo.example")),
        "memberships": count(Membership, Membership.school_id == school.id),
        "teams": count(Team, Team.school_id == school.id),
        "observations": count(Observation, Observation.school_id == school.id),
        "moments": count(Moment, Moment.school_id == school.id),
        "reflections": count(
            Reflection,
            col(Reflection.observation_id).in_(
                select(Observation.id).where(Observation.school_id == school.id)
            ),
        ),
        "shares": count(
            Share,
            col(Share.observation_id).in_(
                select(Observation.id).where(Observation.school_id == school.id)
            ),
        ),
        "remarks": count(
            Comment,
            col(Comment.observation_id).in_(
                select(Observation.id).where(Observation.school_id == school.id)
            ),
        ),
    }


def test_demo_accounts_log_in_with_password_demo_and_have_their_roles(
    session: Session, make_client: Callable[[], TestClient]
) -> None:
    summary = demo.build()
    assert "Demo College" in summary

    for email, roles in ACCOUNTS.items():
        me = _log_in(make_client, email)
        assert set(me["roles"]) == {r.value for r in roles}, email
        assert me["current_school_id"] == str(_school(session).id)


def test_demo_has_two_coaches_enough_teachers_and_three_teams_above_the_minimum(
    session: Session,
) -> None:
    demo.build()
    school = _school(session)
    members = session.exec(select(Membership).where(Membership.school_id == school.id)).all()
    assert sum(m.is_coach for m in members) >= 2
    assert sum(m.is_teacher for m in members) >= 8 + 2

    teams = session.exec(select(Team).where(Team.school_id == school.id)).all()
    assert len(teams) == 3
    in_teams: defaultdict[uuid.UUID, int] = defaultdict(int)
    for team in teams:
        member_ids = schools.team_member_ids(session, team.id)
        assert len(member_ids) >= school.aggregate_minimum, team.name
        for pid in member_ids:
            in_teams[pid] += 1
    assert max(in_teams.values()) == 2  # someone is in two teams

    docent = session.exec(select(Person).where(Person.email == "docent@demo.example")).one()
    assert in_teams[docent.id] >= 1
    names = session.exec(
        select(Person.email)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(Membership.school_id == school.id, col(Membership.is_teacher))
    ).all()
    assert sum(re.fullmatch(r"[a-z]+\.[a-z]+@demo\.example", e) is not None for e in names) >= 8


@pytest.mark.parametrize("today", [date(2026, 3, 11), date(2025, 10, 8), None])
def test_lessons_fall_in_exactly_two_semesters_the_later_holding_today(
    session: Session, today: date | None
) -> None:
    demo.build(today)
    school = _school(session)
    day = today or datetime.now(AMSTERDAM).date()
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), AMSTERDAM)
    now = min(datetime.now(UTC), end_of_day)
    semesters = schools.semesters(session, school.id)
    observations = _observations(session, school)
    assert len(observations) >= 150

    used: defaultdict[uuid.UUID, int] = defaultdict(int)
    for obs in observations:
        assert obs.ended_at is not None
        assert obs.ended_at <= now, "no lesson in the future"
        start, end = obs.started_at.astimezone(AMSTERDAM), obs.ended_at.astimezone(AMSTERDAM)
        assert start.weekday() < 5
        assert start.time() >= time(8, 30) and end.time() <= time(16, 0)
        assert end - start in (timedelta(minutes=45), timedelta(minutes=50))
        assert obs.observer_id != obs.observed_teacher_id
        holding = [s for s in semesters if s.starts_on <= start.date() <= s.ends_on]
        assert len(holding) == 1
        used[holding[0].id] += 1

    assert len(used) == 2
    later: Semester = max((s for s in semesters if s.id in used), key=lambda s: s.starts_on)
    assert later.starts_on <= day <= later.ends_on

    docent = session.exec(select(Person).where(Person.email == "docent@demo.example")).one()
    docent_semesters = {
        s.id
        for obs in observations
        if obs.observed_teacher_id == docent.id
        for s in semesters
        if s.starts_on <= obs.started_at.astimezone(AMSTERDAM).date() <= s.ends_on
    }
    assert docent_semesters == set(used)


def test_team_aggregates_have_enough_observed_teachers_in_both_semesters(
    session: Session,
) -> None:
    demo.build(date(2026, 3, 11))
    school = _school(session)
    semesters = schools.semesters(session, school.id)
    observed: defaultdict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]] = defaultdict(set)
    rows = session.exec(
        select(TeamMember.team_id, Observation)
        .join(Observation, col(Observation.observed_teacher_id) == TeamMember.person_id)
        .where(Observation.school_id == school.id, ~col(Observation.excluded_from_team))
    ).all()
    for team_id, obs in rows:
        local = obs.started_at.astimezone(AMSTERDAM).date()
        semester = next(s for s in semesters if s.starts_on <= local <= s.ends_on)
        observed[(team_id, semester.id)].add(obs.observed_teacher_id)
    assert len(observed) == 3 * 2
    assert all(len(v) >= school.aggregate_minimum for v in observed.values())


def test_moments_use_the_codebook_and_carry_the_recorded_details(session: Session) -> None:
    demo.build()
    school = _school(session)
    keys = codebook.known_keys(session, school.id)
    book = {c["key"] for c in codebook.default_book()["codes"]}
    moments = _moments(session, school)
    observations = {o.id: o for o in _observations(session, school)}

    assert {m.code for m in moments} <= keys & book
    family = {c["key"]: c["family"] for c in codebook.default_book()["codes"]}
    families = {f["key"] for f in codebook.default_book()["families"]}
    assert {family[m.code] for m in moments} == families

    live: defaultdict[uuid.UUID, int] = defaultdict(int)
    for m in moments:
        obs = observations[m.observation_id]
        assert obs.ended_at is not None
        assert 0 <= m.offset_ms <= (obs.ended_at - obs.started_at).total_seconds() * 1000
        assert m.phase in obs.phases
        assert m.created_by_id == obs.observer_id
        live[m.observation_id] += m.deleted_at is None
    assert min(live.values()) >= 12
    assert all(
        12 <= n <= 40
        for n in [sum(m.observation_id == o for m in moments) for o in list(observations)[:20]]
    )
    assert 0 < sum(m.deleted_at is not None for m in moments) < len(moments) * 0.06
    assert 0.2 < sum(m.zone is not None for m in moments) / len(moments) < 0.4
    assert any(m.note_shareable for m in moments)

    phase_order = {p: i for i, p in enumerate(school.phases)}
    for obs_id in list(observations)[:30]:
        ordered = sorted(
            (m for m in moments if m.observation_id == obs_id and m.deleted_at is None),
            key=lambda m: m.offset_ms,
        )
        phases = [phase_order[m.phase] for m in ordered if m.phase is not None]
        assert phases == sorted(phases)


def test_reflections_shares_and_exclusions_are_present(session: Session) -> None:
    demo.build()
    school = _school(session)
    observations = {o.id: o for o in _observations(session, school)}
    reflections = session.exec(
        select(Reflection).where(col(Reflection.observation_id).in_(list(observations)))
    ).all()
    shares = session.exec(
        select(Share).where(col(Share.observation_id).in_(list(observations)))
    ).all()
    docent = session.exec(select(Person).where(Person.email == "docent@demo.example")).one()

    assert reflections and shares
    remarks = session.exec(
        select(Comment).where(col(Comment.observation_id).in_(list(observations)))
    ).all()
    assert remarks
    people_of_lesson = {o.id: {o.observer_id, o.observed_teacher_id} for o in observations.values()}
    assert all(c.author_id in people_of_lesson[c.observation_id] for c in remarks)
    docent_lessons = {o.id for o in observations.values() if o.observed_teacher_id == docent.id}
    assert any(c.observation_id in docent_lessons for c in remarks)
    assert all(
        r.author_id == observations[r.observation_id].observed_teacher_id for r in reflections
    )
    assert any(r.author_id == docent.id for r in reflections)
    assert all(
        s.created_by_id == observations[s.observation_id].observed_teacher_id
        and s.person_id != s.created_by_id
        for s in shares
    )
    assert 1 <= sum(o.excluded_from_team for o in observations.values()) <= 2
    assert sum(o.status == "ready" for o in observations.values()) > 0.9 * len(observations)
    assert any(o.status == "ended" for o in observations.values())


def test_building_twice_replaces_the_demo_without_duplicates(
    session: Session, make_client: Callable[[], TestClient]
) -> None:
    demo.build(date(2026, 3, 11))
    first_school = _school(session)
    first_school_id = first_school.id
    first = _counts(session, first_school)
    first_ids = {o.id for o in _observations(session, first_school)}
    session.rollback()
    session.expunge_all()

    demo.build(date(2026, 3, 11))
    school = _school(session)
    assert school.id != first_school_id
    assert _counts(session, school) == first
    assert first_ids.isdisjoint(o.id for o in _observations(session, school))
    assert (
        session.exec(
            select(func.count()).select_from(Observation).where(col(Observation.id).in_(first_ids))
        ).one()
        == 0
    )
    for email in ACCOUNTS:
        _log_in(make_client, email)


def test_refresh_keeps_a_demo_account_that_also_belongs_to_another_school(
    session: Session, make_client: Callable[[], TestClient]
) -> None:
    # The second coach, not one of the four advertised accounts: other tests (the browser's)
    # expect those to belong to Demo College alone. The other school is removed at the end.
    shared_email = "youssef.elamrani@demo.example"
    demo.build()
    coach = session.exec(select(Person).where(Person.email == shared_email)).one()
    teacher = session.exec(select(Person).where(Person.email == "lotte.visser@demo.example")).one()
    other = factories.make_school(session)
    factories.add_membership(session, other, coach, [Role.coach])
    coach_id, teacher_id, other_id = coach.id, teacher.id, other.id
    session.rollback()
    session.expunge_all()
    try:
        demo.build()
        assert session.get(Person, coach_id) is not None
        assert session.get(Person, teacher_id) is None  # demo-only: deleted and made anew
        assert session.exec(select(Person).where(Person.email == "lotte.visser@demo.example")).one()
        schools_of_coach = set(
            session.exec(select(Membership.school_id).where(Membership.person_id == coach_id))
        )
        assert schools_of_coach == {other_id, _school(session).id}
        _log_in(make_client, shared_email)
    finally:
        session.rollback()
        other_school = session.get(School, other_id)
        if other_school is not None:
            session.delete(other_school)
            session.commit()


def test_a_failing_refresh_leaves_the_old_demo_intact(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.build()
    before = _school(session)
    before_id, counts = before.id, _counts(session, before)
    session.rollback()

    def broken(self: object, lessons: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo._Builder, "_shares", broken)
    with pytest.raises(RuntimeError):
        demo.build()
    session.rollback()
    after = _school(session)
    assert after.id == before_id
    assert _counts(session, after) == counts


def test_notes_and_summaries_carry_no_first_names(session: Session) -> None:
    demo.build()
    school = _school(session)
    demo_names = {p.name.split()[0] for p, _m in people.people_of(session, school.id)}
    names = FIRST_NAMES | demo_names
    texts = [m.note for m in _moments(session, school) if m.note]
    assert len(texts) > 100
    texts += [o.summary for o in _observations(session, school) if o.summary]
    for text in texts:
        words = set(re.findall(r"[A-ZÀ-Ý][\wÀ-ÿ]*", text))
        assert not words & names, text


def test_a_tablet_pulls_the_demo_lessons_it_may_see(make_client: Callable[[], TestClient]) -> None:
    demo.build()
    coach = make_client()
    _log_in(lambda: coach, "coach@demo.example")
    listed = {o["id"] for o in coach.get("/api/observations", params={"limit": 500}).json()}
    changes, cursor, more = [], 0, True
    while more:
        page = coach.get("/api/sync/pull", params={"cursor": cursor, "limit": 1000}).json()
        changes += page["changes"]
        cursor, more = page["cursor"], page["has_more"]
    observations = {c["id"] for c in changes if c["entity"] == "observation" and not c["deleted"]}
    assert listed and observations == listed
    moments = [c for c in changes if c["entity"] == "moment"]
    assert len(moments) >= 10 * len(listed)
