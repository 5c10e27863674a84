"""The coulissen dashboard (app/coulissen.py) on the real database.

Every figure type is checked against numbers worked out by hand (the arithmetic is in the
comments), the suppression rule against the attacks it exists for (each test writes out the
attacker's sum), and two property tests check, on random data, that no set of lessons of fewer
than the minimum of teachers, and no hidden population, can be computed from what is shown:
one on the plan alone with many examples, one through ``build`` on the database.
"""

import itertools
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from app import codebook, coulissen, schools
from app.errors import NotFound
from app.models import (
    Moment,
    Observation,
    ObservationStatus,
    Person,
    Role,
    School,
    Semester,
    Team,
    utcnow,
)
from tests.factories import make_moment, make_person, make_school, make_team

PREVIOUS = (date(2020, 8, 1), date(2021, 1, 31))
CURRENT = (date(2021, 2, 1), date(2021, 7, 31))


def at(day: int, hour: int = 9, month: int = 3, year: int = 2021) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def lesson(
    session: Session,
    school: School,
    observer: Person,
    teacher: Person,
    subject: str,
    group: str,
    start: datetime,
    minutes: int | None = 60,
    moments: Sequence[tuple[str, str | None, str | None]] = (),
    **fields: Any,
) -> Observation:
    """A finished lesson (unless ``fields`` say otherwise) with moments (code, phase, zone)."""
    fields.setdefault("status", ObservationStatus.ready)
    obs = Observation(
        id=uuid.uuid4(),
        school_id=school.id,
        observer_id=observer.id,
        observed_teacher_id=teacher.id,
        subject=subject,
        group_label=group,
        started_at=start,
        ended_at=None if minutes is None else start + timedelta(minutes=minutes),
        **fields,
    )
    session.add(obs)
    session.commit()
    for i, (code, phase, zone) in enumerate(moments):
        make_moment(session, obs, code, offset_ms=i * 60_000, phase=phase, zone=zone)
    return obs


def semesters(session: Session, school: School) -> tuple[Semester, Semester]:
    previous = schools.add_semester(
        session, school_id=school.id, name="2020-2021 semester 1", starts_on=PREVIOUS[0],
        ends_on=PREVIOUS[1],
    )  # fmt: skip
    current = schools.add_semester(
        session, school_id=school.id, name="2020-2021 semester 2", starts_on=CURRENT[0],
        ends_on=CURRENT[1],
    )  # fmt: skip
    return previous, current


def set_minimum(session: Session, school: School, minimum: int) -> None:
    school.aggregate_minimum = minimum
    session.add(school)
    session.commit()


def cells(data: Any) -> list[dict[str, Any]]:
    """Every cell in a dashboard's JSON."""
    if isinstance(data, dict):
        found = [data] if "suppressed" in data and "n_teachers" in data else []
        return found + [c for v in data.values() for c in cells(v)]
    if isinstance(data, list):
        return [c for v in data for c in cells(v)]
    return []


# --- the hand-computed school -----------------------------------------------------------------


@dataclass
class World:
    school: School
    coach: Person
    teachers: list[Person]
    team: Team
    previous: Semester
    current: Semester


@pytest.fixture
def world(session: Session) -> World:
    """Six teachers, seven counted lessons this semester, four the semester before (minimum 3).

    This semester (hours in brackets; moments as code/phase/zone):
    L1 T1 Engels "2B havo" (1)   suc-s-succes/instructie/groen, lud-s-chillen/start/oranje,
                                 lud-u-meer-regels/start/rood, suc-p-aanmoediging/verwerking,
                                 and a deleted suc-s-succes/instructie/groen
    L2 T2 Engels "3 havo" (1)    suc-s-succes/verwerking/groen, ver-p-hoge-verwachting/instructie
    L3 T3 " engels" "4 havo" (½) lud-s-chillen/start, ver-u-lage-verwachting/instructie/rood
    L4 T1 Engels "5 havo" (1½)   suc-s-succes/afsluiting/groen, suc-s-succes/verwerking/groen,
                                 bel-s-gezien-erkend/start
    L5 T4 wiskunde "gym 5" (1)   lud-p-spelgevoel-gezag/start/groen,
                                 suc-u-talige-instructie/instructie/oranje
    L6 T5 wiskunde "3 vwo" (1)   suc-s-succes/verwerking, bel-u-wegkijken/verwerking,
                                 suc-p-aanmoediging/verwerking/groen
    L7 T6 wiskunde "4 vwo" (1)   lud-s-chillen (no phase, no zone); starts 31 January 23:30 UTC,
                                 which is 1 February in Amsterdam: this semester
    Not counted: an excluded lesson, a lesson still in progress (with an end time), a finished
    one without an end time, a deleted one; all with moments that would show if counted.
    The team "Sectie Engels" is T1, T2, T3.
    """
    school = make_school(session)
    set_minimum(session, school, 3)
    previous, current = semesters(session, school)
    coach = make_person(session, school, [Role.coach])
    t = [make_person(session, school, [Role.teacher]) for _ in range(6)]
    team = make_team(session, school, [t[0], t[1], t[2]])
    new: dict[str, Any] = {"session": session, "school": school, "observer": coach}

    first = lesson(**new, teacher=t[0], subject="Engels", group="2B havo", start=at(10), moments=[
        ("suc-s-succes", "instructie", "groen"), ("lud-s-chillen", "start", "oranje"),
        ("lud-u-meer-regels", "start", "rood"), ("suc-p-aanmoediging", "verwerking", None),
    ])  # fmt: skip
    gone = make_moment(session, first, "suc-s-succes", 5 * 60_000, phase="instructie", zone="groen")
    gone.deleted_at = utcnow()
    session.add(gone)
    session.commit()
    lesson(**new, teacher=t[1], subject="Engels", group="3 havo", start=at(11), moments=[
        ("suc-s-succes", "verwerking", "groen"), ("ver-p-hoge-verwachting", "instructie", None),
    ])  # fmt: skip
    lesson(**new, teacher=t[2], subject=" engels", group="4 havo", start=at(12), minutes=30,
        moments=[
            ("lud-s-chillen", "start", None), ("ver-u-lage-verwachting", "instructie", "rood"),
        ],
    )  # fmt: skip
    lesson(**new, teacher=t[0], subject="Engels", group="5 havo", start=at(15), minutes=90,
        moments=[
            ("suc-s-succes", "afsluiting", "groen"), ("suc-s-succes", "verwerking", "groen"),
            ("bel-s-gezien-erkend", "start", None),
        ],
    )  # fmt: skip
    lesson(**new, teacher=t[3], subject="wiskunde", group="gym 5", start=at(16), moments=[
        ("lud-p-spelgevoel-gezag", "start", "groen"),
        ("suc-u-talige-instructie", "instructie", "oranje"),
    ])  # fmt: skip
    lesson(**new, teacher=t[4], subject="wiskunde", group="3 vwo", start=at(17), moments=[
        ("suc-s-succes", "verwerking", None), ("bel-u-wegkijken", "verwerking", None),
        ("suc-p-aanmoediging", "verwerking", "groen"),
    ])  # fmt: skip
    lesson(**new, teacher=t[5], subject="wiskunde", group="4 vwo",
        start=datetime(2021, 1, 31, 23, 30, tzinfo=UTC), moments=[("lud-s-chillen", None, None)],
    )  # fmt: skip
    # Not counted.
    three_red = [("suc-s-succes", "start", "rood")] * 3
    lesson(**new, teacher=t[3], subject="wiskunde", group="3 vwo", start=at(18),
        moments=three_red, excluded_from_team=True)  # fmt: skip
    lesson(**new, teacher=t[4], subject="wiskunde", group="3 vwo", start=at(19),
        moments=three_red, status=ObservationStatus.in_progress)  # fmt: skip
    lesson(**new, teacher=t[5], subject="wiskunde", group="4 vwo", start=at(22), minutes=None,
        moments=three_red)  # fmt: skip
    lesson(**new, teacher=t[1], subject="Engels", group="3 havo", start=at(23), moments=three_red,
        deleted_at=utcnow())  # fmt: skip

    # The semester before: 4 lessons of T1, T2, T4, T5, an hour each.
    lesson(**new, teacher=t[0], subject="Engels", group="2A havo", start=at(5, month=10, year=2020),
        moments=[("suc-s-succes", "start", None), ("lud-s-chillen", "start", None)])  # fmt: skip
    lesson(**new, teacher=t[1], subject="Engels", group="3 havo", start=at(6, month=10, year=2020),
        moments=[("lud-s-chillen", "instructie", None)])  # fmt: skip
    lesson(**new, teacher=t[3], subject="wiskunde", group="3 vwo", start=at(7, month=10, year=2020),
        moments=[("suc-s-succes", "verwerking", "groen"),
                 ("ver-u-lage-verwachting", "instructie", "rood")])  # fmt: skip
    lesson(**new, teacher=t[4], subject="wiskunde", group="4 vwo", start=at(8, month=10, year=2020),
        moments=[("ver-u-lage-verwachting", "verwerking", None)] * 2)  # fmt: skip
    return World(school, coach, t, team, previous, current)


def family(d: coulissen.Dashboard, key: str) -> coulissen.FamilyFigures:
    return next(f for f in d.families if f.key == key)


def code(d: coulissen.Dashboard, key: str) -> coulissen.CodeFigures:
    return next(c for f in d.families for c in f.codes if c.key == key)


def face(d: coulissen.Dashboard, key: str) -> coulissen.FaceBalance:
    return next(f for f in d.faces if f.face == key)


def zone(d: coulissen.Dashboard, key: str) -> coulissen.ZoneFigures:
    return next(z for z in d.zones.zones if z.zone == key)


def phase_row(d: coulissen.Dashboard, key: str | None) -> dict[str, float | None]:
    row = next(r for r in d.phases.rows if r.family == key)
    return {pc.phase: pc.cell.value for pc in row.phases}


def test_every_figure_of_the_school_view_matches_the_hand_count(
    session: Session, world: World
) -> None:
    d = coulissen.build(session, school_id=world.school.id, semester_id=world.current.id)
    assert d.visible
    assert d.scope.semester.id == world.current.id
    assert d.scope.previous_semester is not None
    assert d.scope.previous_semester.id == world.previous.id
    assert d.scope.minimum == 3 and d.scope.team is None and d.scope.codebook_version == 1

    # Overview: 7 lessons of 6 teachers; 1 + 1 + ½ + 1½ + 1 + 1 + 1 = 7 hours;
    # moments 4 + 2 + 2 + 3 + 2 + 3 + 1 = 17 (the deleted one and the uncounted lessons' not).
    o = d.overview
    assert (o.lessons.value, o.lessons.n_teachers, o.lessons.n_lessons) == (7, 6, 7)
    assert o.hours.value == 7.0
    assert o.moments.value == 17
    # 17 / 7 = 2.43; the semester before: 7 moments / 4 hours = 1.75.
    assert (o.moments_per_hour.value, o.moments_per_hour.previous) == (2.43, 1.75)
    assert o.moments_per_hour.direction == "hoger"

    # Families: ludificering 3 + 1 + 1 = 5 moments (5/7 = 0.71 an hour) in L1, L3, L5, L7
    # (4/7 = 0.5714 of the lessons); before: 2 moments in 4 hours = 0.5.
    lud = family(d, "ludificering")
    assert (lud.moments.value, lud.per_hour.value, lud.share_of_lessons.value) == (5, 0.71, 0.5714)
    assert (lud.per_hour.previous, lud.per_hour.direction) == (0.5, "hoger")
    # succeservaringen 5 + 2 + 1 = 8 (8/7 = 1.14) in L1, L2, L4, L5, L6 (5/7 = 0.7143).
    suc = family(d, "succeservaringen")
    assert (suc.moments.value, suc.per_hour.value, suc.share_of_lessons.value) == (8, 1.14, 0.7143)
    # verwachtingscues 2 (2/7 = 0.29) in L2, L3 (0.2857); before 1 + 2 = 3 in 4 hours = 0.75.
    ver = family(d, "verwachtingscues")
    assert (ver.moments.value, ver.per_hour.value, ver.share_of_lessons.value) == (2, 0.29, 0.2857)
    assert (ver.per_hour.previous, ver.per_hour.direction) == (0.75, "lager")
    bel = family(d, "belonging-signalen")
    assert (bel.moments.value, bel.per_hour.value, bel.share_of_lessons.value) == (2, 0.29, 0.2857)
    assert (bel.per_hour.previous, bel.per_hour.direction) == (0.0, "hoger")

    # Codes: suc-s-succes 1 + 1 + 2 + 1 = 5 moments (0.71 an hour) in 4 of 7 lessons (0.5714).
    s = code(d, "suc-s-succes")
    assert (s.moments.value, s.per_hour.value, s.share_of_lessons.value) == (5, 0.71, 0.5714)
    # The semester before: 2 in 4 hours = 0.5, in 2 of 4 lessons.
    assert (s.per_hour.previous, s.share_of_lessons.previous) == (0.5, 0.5)
    c = code(d, "lud-s-chillen")  # L1, L3, L7: 3 moments, 3 lessons
    assert (c.moments.value, c.per_hour.value, c.share_of_lessons.value) == (3, 0.43, 0.4286)
    a = code(d, "suc-p-aanmoediging")  # L1, L6
    assert (a.moments.value, a.per_hour.value, a.share_of_lessons.value) == (2, 0.29, 0.2857)
    never = code(d, "bel-p-common-ground")  # 0 now, 0 before
    assert (never.per_hour.value, never.per_hour.previous, never.per_hour.direction) == (
        0.0, 0.0, "gelijk",
    )  # fmt: skip
    assert sum(c.moments.value or 0 for f in d.families for c in f.codes) == 17

    # Faces: ludificering 1 productive (spelgevoel) and 1 unproductive (meer regels): 1/2.
    lf = face(d, "ludificering")
    assert (lf.productive.value, lf.unproductive.value) == (1, 1)
    assert (lf.productive_per_hour.value, lf.unproductive_per_hour.value) == (0.14, 0.14)
    assert lf.productive_share.value == 0.5
    # No reflexes before: no share to compare with, so no direction.
    assert (lf.productive_share.previous, lf.productive_share.direction) == (None, None)
    # Mattheus-effect (succeservaringen + verwachtingscues): productive aanmoediging 2 + hoge
    # verwachting 1 = 3, unproductive talige instructie 1 + lage verwachting 1 = 2: 3/5 = 0.6;
    # per hour 3/7 = 0.43 and 2/7 = 0.29. Before: 0 productive, 3 unproductive: 0.0.
    mf = face(d, "mattheus-effect")
    assert (mf.productive.value, mf.unproductive.value, mf.productive_share.value) == (3, 2, 0.6)
    assert (mf.productive_per_hour.value, mf.unproductive_per_hour.value) == (0.43, 0.29)
    assert (mf.productive_share.previous, mf.productive_share.direction) == (0.0, "hoger")
    sf = face(d, "sense-of-belonging")  # wegkijken only
    assert (sf.productive.value, sf.unproductive.value, sf.productive_share.value) == (0, 1, 0.0)

    # Success experiences in L1, L2, L4, L6: 4 of 7 = 0.5714; before 2 of 4 = 0.5.
    assert d.success.lessons_with.value == 4
    assert (d.success.share.value, d.success.share.previous) == (0.5714, 0.5)
    assert d.success.share.direction == "hoger"
    assert "minstens één succeservaring" in d.success.principle

    # Zones: groen L1 1 + L2 1 + L4 2 + L5 1 + L6 1 = 6, oranje L1 + L5 = 2, rood L1 + L3 = 2;
    # 10 of 17 moments carry a zone (0.5882). Before: 1 groen, 1 rood.
    assert d.zones.with_zone.value == 10 and d.zones.share_with_zone.value == 0.5882
    assert [(z.zone, z.moments.value, z.share.value) for z in d.zones.zones] == [
        ("groen", 6, 0.6), ("oranje", 2, 0.2), ("rood", 2, 0.2),
    ]  # fmt: skip
    assert (zone(d, "groen").share.previous, zone(d, "groen").share.direction) == (0.5, "hoger")
    assert (zone(d, "rood").share.previous, zone(d, "rood").share.direction) == (0.5, "lager")

    # Phases: the school's four, in its order.
    assert d.phases.phases == ["start", "instructie", "verwerking", "afsluiting"]
    # ludificering: 4 moments with a phase, all at the start (L7's has none).
    assert phase_row(d, "ludificering") == {
        "start": 1.0, "instructie": 0.0, "verwerking": 0.0, "afsluiting": 0.0,
    }  # fmt: skip
    # succeservaringen: instructie L1 + L5 = 2, verwerking L1 + L2 + L4 + L6 + L6 = 5,
    # afsluiting L4 = 1: of 8, 0.25 / 0.625 / 0.125.
    assert phase_row(d, "succeservaringen") == {
        "start": 0.0, "instructie": 0.25, "verwerking": 0.625, "afsluiting": 0.125,
    }  # fmt: skip
    assert phase_row(d, "belonging-signalen")["start"] == 0.5
    # All families: start 4 + 1 = 5, instructie 2 + 2 = 4, verwerking 5 + 1 = 6, afsluiting 1;
    # of 16: 0.3125 / 0.25 / 0.375 / 0.0625.
    assert phase_row(d, None) == {
        "start": 0.3125, "instructie": 0.25, "verwerking": 0.375, "afsluiting": 0.0625,
    }  # fmt: skip

    # By subject: " engels" is Engels. Engels L1-L4: 4 lessons, 4 hours, 4 + 2 + 2 + 3 = 11
    # moments (2.75 an hour), success in L1, L2, L4 (0.75); per hour ludificering 3/4 = 0.75,
    # succeservaringen 5/4 = 1.25, verwachtingscues 2/4 = 0.5, belonging 1/4 = 0.25.
    assert d.subjects is not None and d.levels is not None
    engels, wiskunde = d.subjects.rows
    assert (engels.label, engels.lessons.value, engels.lessons.n_teachers) == ("Engels", 4, 3)
    assert (engels.hours.value, engels.moments_per_hour.value, engels.success_share.value) == (
        4.0, 2.75, 0.75,
    )  # fmt: skip
    assert [fc.cell.value for fc in engels.family_per_hour] == [0.75, 1.25, 0.5, 0.25]
    # wiskunde L5-L7: 3 lessons, 3 hours, 2 + 3 + 1 = 6 moments (2.0), success L6 (1/3);
    # ludificering 2/3 = 0.67, succeservaringen 3/3 = 1.0, verwachtingscues 0, belonging 0.33.
    assert (wiskunde.label, wiskunde.lessons.value, wiskunde.moments_per_hour.value) == (
        "wiskunde", 3, 2.0,
    )  # fmt: skip
    assert wiskunde.success_share.value == 0.3333
    assert [fc.cell.value for fc in wiskunde.family_per_hour] == [0.67, 1.0, 0.0, 0.33]
    assert d.subjects.rest is None and not d.subjects.merged
    # By level: "gym 5" is vwo; havo is L1-L4 and vwo L5-L7, the same lessons as the subjects.
    assert [(r.label, r.lessons.value, r.moments_per_hour.value) for r in d.levels.rows] == [
        ("havo", 4, 2.75), ("vwo", 3, 2.0),
    ]  # fmt: skip


def test_the_team_view_counts_its_members_lessons_and_has_no_breakdown(
    session: Session, world: World
) -> None:
    d = coulissen.build(
        session, school_id=world.school.id, semester_id=world.current.id, team_id=world.team.id
    )
    # T1, T2, T3: L1-L4; the rest of the school (T4, T5, T6) has 3 teachers, so it is shown.
    assert d.visible and d.scope.team == world.team.name and d.scope.team_id == world.team.id
    assert (d.overview.lessons.value, d.overview.lessons.n_teachers) == (4, 3)
    assert (d.overview.hours.value, d.overview.moments.value) == (4.0, 11)
    assert d.overview.moments_per_hour.value == 2.75
    # The team's semester before rests on T1 and T2 only: no trend, rather than a leak.
    assert (d.overview.moments_per_hour.previous, d.overview.moments_per_hour.direction) == (
        None, None,
    )  # fmt: skip
    assert d.subjects is None and d.levels is None
    counted = coulissen.counted_lessons(
        session, school_id=world.school.id, semester_id=world.current.id, team_id=world.team.id
    )
    team_lessons = session.exec(
        select(Observation.id).where(
            Observation.school_id == world.school.id,
            col(Observation.observed_teacher_id).in_([p.id for p in world.teachers[:3]]),
            col(Observation.started_at) >= at(1),
            col(Observation.started_at) < at(16),
        )
    ).all()
    assert sorted(counted) == sorted(team_lessons) and len(counted) == 4


def test_labels_come_from_the_newest_codebook_version_and_retired_unused_codes_go(
    session: Session, world: World
) -> None:
    codebook.rename_code(
        session, school_id=world.school.id, by=None, key="suc-s-succes",
        label="Succes zichtbaar (hernoemd)", description="Een leerling laat merken dat iets lukt.",
    )  # fmt: skip
    codebook.set_retired(
        session, school_id=world.school.id, by=None, key="lud-s-humor-buitensluitend", retired=True
    )
    d = coulissen.build(session, school_id=world.school.id, semester_id=world.current.id)
    assert d.scope.codebook_version == 3
    assert d.success.label == "Succes zichtbaar (hernoemd)"
    assert code(d, "suc-s-succes").label == "Succes zichtbaar (hernoemd)"
    assert code(d, "suc-s-succes").moments.value == 5  # the same key, counted across versions
    keys = [c.key for f in d.families for c in f.codes]
    assert "lud-s-humor-buitensluitend" not in keys and "lud-s-chillen" in keys


def test_no_name_or_address_of_anyone_appears_in_the_json_or_the_csv(
    session: Session, world: World
) -> None:
    views = [None, world.team.id]
    text = ""
    for team_id in views:
        d = coulissen.build(
            session, school_id=world.school.id, semester_id=world.current.id, team_id=team_id
        )
        text += json.dumps(d.model_dump(mode="json")) + json.dumps(coulissen.to_csv_rows(d))
    assert text.count("Persoon-") == 0  # factory names are "Persoon-<hex>"
    for person in [world.coach, *world.teachers]:
        assert person.name not in text and person.email not in text
        assert str(person.id) not in text and person.id.hex not in text


def test_the_csv_rows_are_flat_and_hidden_cells_say_verborgen_without_numbers(
    session: Session, world: World
) -> None:
    d = coulissen.build(session, school_id=world.school.id, semester_id=world.current.id)
    header, *rows = coulissen.to_csv_rows(d)
    assert header[:6] == ["onderdeel", "rij", "kolom", "waarde", "docenten", "verborgen"]
    assert rows[0][:6] == ["overzicht", "alle lessen", "lessen", 7, 6, ""]
    assert ["vak", "Engels", "lessen", 4, 3, ""] in [r[:6] for r in rows]
    # A team of one teacher: everything hidden.
    solo = make_team(session, world.school, [world.teachers[5]])
    hidden = coulissen.build(
        session, school_id=world.school.id, semester_id=world.current.id, team_id=solo.id
    )
    _header, *hidden_rows = coulissen.to_csv_rows(hidden)
    assert hidden_rows and all(
        r[5] == "verborgen" and r[3] is None and r[4] is None for r in hidden_rows
    )


def test_the_semester_holding_today_is_the_default_else_the_latest_started(
    session: Session, world: World
) -> None:
    in_current = datetime(2021, 5, 1, tzinfo=UTC)
    d = coulissen.build(session, school_id=world.school.id, now=in_current)
    assert d.scope.semester.id == world.current.id
    assert d.scope.generated_at == in_current
    summer = datetime(2021, 8, 15, tzinfo=UTC)  # no semester of this school holds it
    assert coulissen.build(session, school_id=world.school.id, now=summer).scope.semester.id == (
        world.current.id
    )


def test_a_team_or_semester_of_another_school_is_not_found(session: Session, world: World) -> None:
    other = make_school(session)
    other_team = make_team(session, other)
    with pytest.raises(NotFound):
        coulissen.build(session, school_id=world.school.id, team_id=other_team.id)
    other_semester = schools.semesters(session, other.id)[0]
    with pytest.raises(NotFound):
        coulissen.build(session, school_id=world.school.id, semester_id=other_semester.id)


@pytest.mark.parametrize(
    ("label", "level"),
    [
        ("2B havo", "havo"),
        ("3 vwo", "vwo"),
        ("1 mavo", "vmbo-gt"),
        ("4 vmbo-t", "vmbo-gt"),
        ("4T vmbo-gt", "vmbo-gt"),
        ("3K vmbo-k", "vmbo-k"),
        ("2 VMBO K", "vmbo-k"),
        ("1B vmbo-b", "vmbo-b"),
        ("gym 5", "vwo"),
        ("5 Atheneum", "vwo"),
        ("1A havo/vwo", "havo/vwo"),
        ("h4a", "havo"),
        ("V5", "vwo"),
        ("2B", None),
        ("3K", None),
        ("", None),
        ("brugklas", None),
    ],
)
def test_the_level_comes_from_the_group_label(label: str, level: str | None) -> None:
    assert coulissen.parse_level(label) == level


# --- suppression ---------------------------------------------------------------------------------


def teachers_with_lessons(
    session: Session, school: School, subjects: list[str], group: str = "2B havo", day: int = 10
) -> list[Person]:
    """One teacher per entry, each with one finished lesson of that subject and two moments."""
    coach = make_person(session, school, [Role.coach])
    people = []
    for i, subject in enumerate(subjects):
        p = make_person(session, school, [Role.teacher])
        moments = [("suc-s-succes", "start", "groen"), ("lud-s-chillen", "start", None)]
        lesson(session, school, coach, p, subject, group, at(day + i), moments=moments)
        people.append(p)
    return people


def test_a_view_with_too_few_teachers_hides_every_cell(session: Session) -> None:
    school = make_school(session)  # the default minimum: 5
    _previous, current = semesters(session, school)
    teachers_with_lessons(session, school, ["Engels"] * 4)
    d = coulissen.build(session, school_id=school.id, semester_id=current.id)
    assert not d.visible and d.scope.minimum == 5
    lessons = d.overview.lessons
    assert (lessons.value, lessons.n_teachers, lessons.n_lessons, lessons.suppressed) == (
        None, None, None, True,
    )  # fmt: skip
    assert lessons.note == "te weinig observaties"
    found = cells(d.model_dump(mode="json"))
    assert len(found) > 100
    assert all(c["suppressed"] and c["value"] is None and c["n_teachers"] is None for c in found)
    assert d.subjects is not None and d.subjects.rows == [] and d.subjects.rest is None


def test_a_hidden_subject_cannot_be_worked_out_from_the_total_and_the_other_subjects(
    session: Session,
) -> None:
    school = make_school(session)
    set_minimum(session, school, 3)
    _previous, current = semesters(session, school)
    # Engels T1-T3 (3 lessons), wiskunde T4-T6 (4 lessons: T4 twice), Frans T7 alone.
    people = teachers_with_lessons(session, school, ["Engels"] * 3 + ["wiskunde"] * 3 + ["Frans"])
    coach = make_person(session, school, [Role.coach])
    lesson(session, school, coach, people[3], "wiskunde", "2B havo", at(25), moments=[])
    d = coulissen.build(session, school_id=school.id, semester_id=current.id)
    assert d.visible and d.subjects is not None
    # Frans rests on one teacher: hidden. Shown with Engels and wiskunde, it would be
    # total - Engels - wiskunde; so one more subject is hidden too, the smaller: Engels.
    assert [r.label for r in d.subjects.rows] == ["wiskunde"]
    assert d.subjects.merged
    rest = d.subjects.rest
    assert rest is not None
    # The attacker's sum: lessons with a success experience (every lesson but T4's second),
    # all minus wiskunde's, 7 - 3 = 4: Engels and Frans together (4 lessons of 4 teachers),
    # not Frans alone.
    total = d.success.lessons_with.value or 0
    shown = sum(
        round((r.success_share.value or 0) * (r.lessons.value or 0)) for r in d.subjects.rows
    )
    assert (total, shown, total - shown) == (7, 3, 4)
    assert (rest.lessons.value, rest.lessons.n_teachers) == (4, 4)
    assert (rest.lessons.n_teachers or 0) >= d.scope.minimum
    # Nothing shown carries Frans on its own.
    text = json.dumps(d.model_dump(mode="json"))
    assert "Frans" not in text


def test_a_team_whose_complement_is_one_teacher_is_hidden_while_the_school_is_shown(
    session: Session,
) -> None:
    school = make_school(session)
    set_minimum(session, school, 3)
    _previous, current = semesters(session, school)
    people = teachers_with_lessons(session, school, ["Engels"] * 7)
    big = make_team(session, school, people[:6])  # everyone but the seventh teacher
    small = make_team(session, school, people[:3])  # the rest is four teachers
    whole = coulissen.build(session, school_id=school.id, semester_id=current.id)
    team = coulissen.build(session, school_id=school.id, semester_id=current.id, team_id=big.id)
    assert whole.visible and whole.overview.lessons.value == 7
    # The team on its own has 6 teachers, above the minimum. But the attacker's sum
    # school - team = 7 - 6 lessons would be the seventh teacher's lesson: so the team is hidden.
    assert not team.visible
    assert team.overview.lessons.value is None and team.overview.lessons.n_teachers is None
    assert all(c["suppressed"] for c in cells(team.model_dump(mode="json")))
    shown = coulissen.build(session, school_id=school.id, semester_id=current.id, team_id=small.id)
    assert shown.visible and shown.overview.lessons.value == 3


def test_two_overlapping_teams_cannot_single_out_the_teacher_they_share(
    session: Session,
) -> None:
    school = make_school(session)
    set_minimum(session, school, 3)
    _previous, current = semesters(session, school)
    people = teachers_with_lessons(session, school, ["Engels"] * 7)
    shared = people[6]
    coach = make_person(session, school, [Role.coach])
    lesson(session, school, coach, shared, "Engels", "3 havo", at(26),
           moments=[("lud-u-meer-regels", "start", "rood")] * 5)  # fmt: skip
    a = make_team(session, school, [*people[0:3], shared])
    b = make_team(session, school, [*people[3:6], shared])
    views = {
        t: coulissen.build(session, school_id=school.id, semester_id=current.id, team_id=t)
        for t in (None, a.id, b.id)
    }
    # Each team alone is safe against the school: school - A is B's three others, school - B
    # A's three others. Together they are not: every teacher has a lesson with 2 moments, the
    # shared one another with 5, so the school has 6 * 2 + 7 = 19 moments, A and B 3 * 2 + 7 = 13
    # each, and A + B - school = 13 + 13 - 19 = 7: exactly the shared teacher's moments.
    assert views[None].visible and views[None].overview.moments.value == 19
    assert not (views[a.id].visible and views[b.id].visible)
    assert all(v.overview.moments.value == 13 for v in (views[a.id], views[b.id]) if v.visible)
    assert views[a.id].visible or views[b.id].visible  # one of them can still be shown


def test_an_excluded_lesson_counts_for_nothing_not_even_for_the_minimum(
    session: Session,
) -> None:
    school = make_school(session)
    set_minimum(session, school, 3)
    _previous, current = semesters(session, school)
    people = teachers_with_lessons(session, school, ["Engels"] * 3)
    kept_out = session.exec(
        select(Observation).where(Observation.observed_teacher_id == people[2].id)
    ).one()
    kept_out.excluded_from_team = True
    session.add(kept_out)
    session.commit()
    d = coulissen.build(session, school_id=school.id, semester_id=current.id)
    assert not d.visible  # two teachers left
    kept_out.excluded_from_team = False
    session.add(kept_out)
    session.commit()
    d = coulissen.build(session, school_id=school.id, semester_id=current.id)
    assert d.visible and (d.overview.lessons.value, d.overview.lessons.n_teachers) == (3, 3)


def test_a_minimum_below_three_counts_as_three(session: Session) -> None:
    assert [coulissen.effective_minimum(v) for v in (None, 0, 1, 2, 3, 7)] == [3, 3, 3, 3, 3, 7]
    school = make_school(session)
    _previous, current = semesters(session, school)
    teachers_with_lessons(session, school, ["Engels"] * 2)
    # The database refuses a minimum below 3; an old row might still hold one, so give the
    # dashboard such a school without storing it.
    with session.no_autoflush:
        school.aggregate_minimum = 1
        d = coulissen.build(session, school_id=school.id, semester_id=current.id)
    session.rollback()
    assert d.scope.minimum == 3 and not d.visible


# --- property tests -------------------------------------------------------------------------------


def _span_has(basis: list[tuple[int, list[Fraction]]], vector: list[Fraction]) -> bool:
    v = list(vector)
    for c, row in basis:
        if v[c]:
            f = v[c] / row[c]
            v = [a - f * b for a, b in zip(v, row, strict=True)]
    return not any(v)


def _basis(rows: list[list[int]]) -> list[tuple[int, list[Fraction]]]:
    """Row echelon form with Fractions: the oracle's own, independent of the app's search."""
    basis: list[tuple[int, list[Fraction]]] = []
    for r in rows:
        v = [Fraction(x) for x in r]
        for c, row in basis:
            if v[c]:
                f = v[c] / row[c]
                v = [a - f * b for a, b in zip(v, row, strict=True)]
        pivot = next((i for i, x in enumerate(v) if x), None)
        if pivot is not None:
            basis.append((pivot, v))
    return basis


def leaks(
    groups: list[coulissen.Group], teams: dict[Any, set[Any]], shown: set[Any], minimum: int
) -> list[str]:
    """What an attacker can compute that he should not: any set of groups of lessons of fewer
    than ``minimum`` teachers whose sums follow from the shown populations, and any hidden
    population that follows from them. Brute force over the groups of every small set of
    teachers; linear algebra over the rationals."""
    populations: dict[Any, set[int]] = {}
    for i, g in enumerate(groups):
        keys = [(None, "total", "")]
        keys += [(t, "total", "") for t, members in teams.items() if g.teacher in members]
        if g.subject is not None:
            keys.append((None, "subject", g.subject))
        if g.level is not None:
            keys.append((None, "level", g.level))
        for k in keys:
            populations.setdefault(k, set()).add(i)
    basis = _basis(
        [[int(i in populations[k]) for i in range(len(groups))] for k in sorted(shown, key=str)]
    )
    found = []
    teachers = sorted({g.teacher for g in groups}, key=str)
    for size in range(1, minimum):
        for few in itertools.combinations(teachers, size):
            mine = [i for i, g in enumerate(groups) if g.teacher in few]
            for n in range(1, len(mine) + 1):
                for part in itertools.combinations(mine, n):
                    vector = [Fraction(int(i in part)) for i in range(len(groups))]
                    if _span_has(basis, vector):
                        found.append(f"groups {part} of teachers {few}")
    for key, members in populations.items():
        if key not in shown:
            vector = [Fraction(int(i in members)) for i in range(len(groups))]
            if _span_has(basis, vector):
                found.append(f"hidden {key}")
    return found


group_strategy = st.builds(
    coulissen.Group,
    teacher=st.integers(0, 5),
    subject=st.sampled_from(["a", "b", "c", None]),
    level=st.sampled_from(["x", "y", None]),
    lessons=st.integers(1, 2),
)


@settings(max_examples=150, deadline=None)
@given(
    groups=st.lists(
        group_strategy, min_size=1, max_size=10, unique_by=lambda g: (g.teacher, g.subject, g.level)
    ),
    teams=st.lists(st.sets(st.integers(0, 5), max_size=6), max_size=3),
    minimum=st.integers(3, 4),
)
def test_no_small_group_and_no_hidden_population_can_be_computed_from_the_plan(
    groups: list[coulissen.Group], teams: list[set[int]], minimum: int
) -> None:
    team_map: dict[Any, set[Any]] = {f"team{i}": t for i, t in enumerate(teams)}
    plan = coulissen.plan_suppression(groups, team_map, minimum)
    assert leaks(groups, team_map, set(plan.visible), minimum) == []
    # And the rule does not simply hide everything: a school that is safe is shown.
    if len({g.teacher for g in groups}) >= minimum:
        assert (None, "total", "") in plan.visible


def test_a_hidden_population_that_the_shown_ones_determine_is_shown_after_all() -> None:
    """Four teachers, all of subject "a" (the subject row holds the same lessons as the school);
    team t0 is three of them, so school - t0 is one teacher: one of the two must go. Hiding the
    subject row first (rows go before totals) protects nothing, as it equals the school total:
    the plan shows it again, so that no hidden cell can be worked out from the shown ones."""
    groups = [
        coulissen.Group(0, "a", "y"),
        coulissen.Group(1, "a", None),
        coulissen.Group(2, "a", None),
        coulissen.Group(3, "a", None),
    ]
    teams: dict[Any, set[Any]] = {"t0": {1, 2, 3}, "t1": {1, 2}}
    plan = coulissen.plan_suppression(groups, teams, 3)
    assert set(plan.visible) == {(None, "total", ""), (None, "subject", "a")}
    assert leaks(groups, teams, set(plan.visible), 3) == []
    # Without the subject row the school total would still say the same: a hidden cell that
    # can be worked out is what the oracle reports.
    assert leaks(groups, teams, {(None, "total", "")}, 3) == ["hidden (None, 'subject', 'a')"]


def test_the_property_holds_through_the_dashboards_of_random_schools(session: Session) -> None:
    """Random small schools through ``build``: the populations an attacker sees are read from the
    dashboards themselves (school view and every team view), and checked with the oracle."""
    rng = random.Random(6)
    for _round in range(4):
        school = make_school(session)
        minimum = rng.choice([3, 4])
        set_minimum(session, school, minimum)
        _previous, current = semesters(session, school)
        coach = make_person(session, school, [Role.coach])
        people = [make_person(session, school, [Role.teacher]) for _ in range(rng.randint(4, 7))]
        groups_seen: dict[tuple[Any, Any, Any], int] = {}
        for day in range(rng.randint(5, 11)):
            p = rng.choice(people)
            subject = rng.choice(["Engels", "wiskunde", "Frans"])
            group = rng.choice(["2B havo", "3 vwo", "1 mavo", "2C"])
            lesson(session, school, coach, p, subject, group, at(1 + day),
                   moments=[("suc-s-succes", "start", None)])  # fmt: skip
            key = (p.id, subject.casefold(), coulissen.parse_level(group))
            groups_seen[key] = groups_seen.get(key, 0) + 1
        teams = {}
        for _t in range(rng.randint(1, 3)):
            members = rng.sample(people, rng.randint(1, len(people)))
            teams[make_team(session, school, members).id] = {m.id for m in members}
        groups = [coulissen.Group(t, s, lv, n) for (t, s, lv), n in groups_seen.items()]

        shown: set[Any] = set()
        whole = coulissen.build(session, school_id=school.id, semester_id=current.id)
        if whole.visible:
            shown.add((None, "total", ""))
            assert whole.subjects is not None and whole.levels is not None
            shown |= {(None, "subject", r.label.casefold()) for r in whole.subjects.rows}
            shown |= {(None, "level", r.key) for r in whole.levels.rows}
        for team_id in teams:
            d = coulissen.build(
                session, school_id=school.id, semester_id=current.id, team_id=team_id
            )
            if d.visible:
                shown.add((team_id, "total", ""))
                assert d.overview.lessons.n_teachers is not None
                assert d.overview.lessons.n_teachers >= minimum
        assert leaks(groups, teams, shown, minimum) == []
        # The dashboards agree with the plan the module makes of the same data.
        plan = coulissen.plan_suppression(groups, teams, minimum)
        assert shown == set(plan.visible)
        # A shown residual row is the total minus the shown rows: never fewer than the minimum.
        for breakdown in (whole.subjects, whole.levels):
            if breakdown is not None and breakdown.rest is not None:
                assert (breakdown.rest.lessons.n_teachers or 0) >= minimum


def test_moments_of_a_deleted_moment_or_observation_are_left_out(session: Session) -> None:
    """Deleted things leave no trace, even in the per-code counts of an otherwise shown view."""
    school = make_school(session)
    set_minimum(session, school, 3)
    _previous, current = semesters(session, school)
    people = teachers_with_lessons(session, school, ["Engels"] * 3)
    obs = session.exec(
        select(Observation).where(Observation.observed_teacher_id == people[0].id)
    ).one()
    m = make_moment(session, obs, "bel-u-stille-exclusie", 9 * 60_000)
    before = coulissen.build(session, school_id=school.id, semester_id=current.id)
    assert code(before, "bel-u-stille-exclusie").moments.value == 1
    m.deleted_at = utcnow()
    session.add(m)
    session.commit()
    after = coulissen.build(session, school_id=school.id, semester_id=current.id)
    assert code(after, "bel-u-stille-exclusie").moments.value == 0
    assert after.overview.moments.value == (before.overview.moments.value or 0) - 1
    assert session.get(Moment, m.id) is not None  # a tombstone, still there
