"""No sequence of admin actions reveals the figures of one lesson or one teacher: a semester's
dates move only over days without lessons, a semester with lessons stays, a team's figures
count the members the semester began with, and dates lie in years a school can have."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from app import coulissen
from app.models import ObservationStatus, Role, Semester, Team, TeamMember
from app.settings import get_settings
from tests.factories import make_moment, make_observation, make_person, make_school, unique
from tests.test_pages import browser, fresh, log_in, post


def lesson_on(session: Session, school: Any, coach: Any, teacher: Any, day: date) -> Any:
    start = datetime.combine(day, time(10), get_settings().tz).astimezone(UTC)
    obs = make_observation(
        session,
        school,
        coach,
        teacher,
        started_at=start,
        ended_at=start + timedelta(minutes=50),
        status=ObservationStatus.ready,
    )
    make_moment(session, obs)
    return obs


def test_moving_a_semester_end_by_one_day_and_back_cannot_single_out_a_lesson(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    admin = make_person(session, school, [Role.admin], name=unique("Schoolleider"))
    coach = make_person(session, school, [Role.coach])
    semester = Semester(
        school_id=school.id,
        name="Proef",
        starts_on=date(2025, 2, 3),
        ends_on=date(2025, 6, 30),
    )
    session.add(semester)
    session.commit()
    for _ in range(6):
        teacher = make_person(session, school, [Role.teacher])
        lesson_on(session, school, coach, teacher, date(2025, 3, 10))
    named = make_person(session, school, [Role.teacher], name="Eén Docent")
    lesson_on(session, school, coach, named, date(2025, 7, 1))  # the day after the end

    before = coulissen.build(session, school_id=school.id, semester_id=semester.id)
    assert before.visible
    client = browser(make_client)
    token = log_in(client, admin)
    path = f"/beheer/semesters/{semester.id}"
    moved = post(
        client,
        path,
        token,
        {"name": "Proef", "starts_on": "2025-02-03", "ends_on": "2025-07-01"},
    )
    assert moved.status_code == 422
    assert "geobserveerde lessen" in moved.text
    assert 'value="2025-07-01"' in moved.text  # what the admin typed stays in the form
    fresh(session)
    stored = session.get(Semester, semester.id)
    assert stored is not None and stored.ends_on == date(2025, 6, 30)
    after = coulissen.build(session, school_id=school.id, semester_id=semester.id)
    assert after.overview == before.overview

    # Nor by deleting it and adding it again with other dates.
    gone = post(client, f"{path}/verwijderen", token)
    assert gone.status_code == 422 and "blijft daarom bestaan" in gone.text
    fresh(session)
    assert session.get(Semester, semester.id) is not None

    # Over days without lessons the dates move freely.
    ok = post(
        client,
        path,
        token,
        {"name": "Proef", "starts_on": "2025-01-20", "ends_on": "2025-06-29"},
    )
    assert ok.status_code == 303
    fresh(session)
    stored = session.get(Semester, semester.id)
    assert stored is not None and stored.starts_on == date(2025, 1, 20)


def test_a_semester_in_year_1_or_9999_is_refused_with_a_clear_message(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    admin = make_person(session, school, [Role.admin])
    client = browser(make_client)
    token = log_in(client, admin)
    for starts, ends in [("0001-01-01", "0001-06-30"), ("9999-01-01", "9999-12-31")]:
        answer = post(
            client,
            "/beheer/semesters",
            token,
            {"name": "Vreemd", "starts_on": starts, "ends_on": ends},
        )
        assert answer.status_code == 422, answer.text
        assert "Kies datums tussen" in answer.text
    assert client.get("/coulissen").status_code == 200


def test_moving_a_teacher_into_a_team_and_out_again_never_changes_its_figures(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    admin = make_person(session, school, [Role.admin], name=unique("Schoolleider"))
    coach = make_person(session, school, [Role.coach])
    today = datetime.now(get_settings().tz).date()
    semester = Semester(
        school_id=school.id,
        name="Lopend",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=60),
    )
    session.add(semester)
    team = Team(school_id=school.id, name=unique("Onderbouw"))
    session.add(team)
    session.commit()
    members = []
    for _ in range(5):
        teacher = make_person(session, school, [Role.teacher])
        session.add(TeamMember(team_id=team.id, person_id=teacher.id))
        lesson_on(session, school, coach, teacher, today - timedelta(days=10))
        members.append(teacher)
    for _ in range(5):  # others outside the team, so that school minus team hides nobody
        lesson_on(session, school, coach, make_person(session, school), today - timedelta(days=9))
    outsider = make_person(session, school, [Role.teacher], name="Eén Docent")
    lesson_on(session, school, coach, outsider, today - timedelta(days=5))
    session.commit()

    def figures(team_id: Any) -> Any:
        fresh(session)
        return coulissen.build(
            session, school_id=school.id, semester_id=semester.id, team_id=team_id
        )

    before = figures(team.id)
    assert before.visible and before.overview.lessons.value == 5
    client = browser(make_client)
    token = log_in(client, admin)
    everyone = [str(p.id) for p in [*members, outsider]]
    added = post(client, f"/beheer/teams/{team.id}/leden", token, {"members": everyone})
    assert added.status_code == 303
    assert figures(team.id).overview == before.overview
    without_one = [str(p.id) for p in members[1:]]
    removed = post(client, f"/beheer/teams/{team.id}/leden", token, {"members": without_one})
    assert removed.status_code == 303
    assert figures(team.id).overview == before.overview

    # A new team with the same people says nothing about this semester.
    made = post(client, "/beheer/teams", token, {"name": unique("Kopie")})
    copy_id = uuid.UUID(made.headers["location"].split("/beheer/teams/", 1)[1].split("?", 1)[0])
    post(client, f"/beheer/teams/{copy_id}/leden", token, {"members": everyone})
    copy = figures(copy_id)
    assert not copy.visible and copy.overview.lessons.value is None

    # Nor can the semester's first day be moved past the day the teams changed.
    later = post(
        client,
        f"/beheer/semesters/{semester.id}",
        token,
        {
            "name": "Lopend",
            "starts_on": (today + timedelta(days=2)).isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat(),
        },
    )
    assert later.status_code == 422 and "team" in later.text
