"""Schools and their calendar and teams.

Dutch school years run 1 August to 31 July. A new school gets the two default semesters
(August–January, February–July) of the current and the next school year; the admin can change
the dates or add others.
"""

import re
import uuid
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app import codebook
from app.db import transaction
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import Membership, Observation, School, Semester, Team, TeamMember, TeamMemberPast
from app.settings import get_settings

# A school's semesters lie in years a school can have; a year 1 or 9999 would overflow the
# dashboard's date arithmetic.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def school_year_start(day: date) -> int:
    return day.year if day.month >= 8 else day.year - 1


def default_semesters(start_year: int) -> list[tuple[str, date, date]]:
    label = f"{start_year}-{start_year + 1}"
    return [
        (_("{year} semester 1", year=label), date(start_year, 8, 1), date(start_year + 1, 1, 31)),
        (
            _("{year} semester 2", year=label),
            date(start_year + 1, 2, 1),
            date(start_year + 1, 7, 31),
        ),
    ]


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "school"


def create_school(
    session: Session, *, name: str, slug: str | None = None, today: date | None = None
) -> School:
    with transaction(session):
        name = " ".join(name.split())
        if not name:
            raise Invalid(_("Geef de school een naam."))
        slug = slugify(slug or name)
        if session.exec(select(School).where(School.slug == slug)).first():
            raise Conflict(_("Er bestaat al een school met de korte naam ‘{slug}’.", slug=slug))
        school = School(name=name[:120], slug=slug)
        session.add(school)
        session.flush()
        codebook.seed_school(session, school.id)
        year = school_year_start(today or date.today())
        for start in (year, year + 1):
            for label, starts, ends in default_semesters(start):
                session.add(
                    Semester(school_id=school.id, name=label, starts_on=starts, ends_on=ends)
                )
        return school


def semesters(session: Session, school_id: uuid.UUID) -> list[Semester]:
    return list(
        session.exec(
            select(Semester)
            .where(Semester.school_id == school_id)
            .order_by(col(Semester.starts_on))
        )
    )


def semester_on(session: Session, school_id: uuid.UUID, day: date) -> Semester | None:
    return session.exec(
        select(Semester).where(
            Semester.school_id == school_id, Semester.starts_on <= day, Semester.ends_on >= day
        )
    ).first()


def _check_semester(
    session: Session,
    school_id: uuid.UUID,
    name: str,
    starts_on: date,
    ends_on: date,
    ignore: uuid.UUID | None = None,
) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("Geef het semester een naam."))
    if len(name) > 80:
        raise Invalid(_("De naam van het semester is te lang (maximaal 80 tekens)."))
    for day in (starts_on, ends_on):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise Invalid(
                _(
                    "Kies datums tussen {a} en {b}.",
                    a=EARLIEST_DAY.strftime("%d-%m-%Y"),
                    b=LATEST_DAY.strftime("%d-%m-%Y"),
                )
            )
    if ends_on <= starts_on:
        raise Invalid(_("Een semester eindigt na de begindatum."))
    if (ends_on - starts_on).days > 400:
        raise Invalid(_("Een semester duurt hoogstens een schooljaar (400 dagen)."))
    for other in semesters(session, school_id):
        if other.id != ignore and other.starts_on <= ends_on and starts_on <= other.ends_on:
            raise Invalid(_("Dit semester overlapt met ‘{name}’.", name=other.name))
    return name


def add_semester(
    session: Session, *, school_id: uuid.UUID, name: str, starts_on: date, ends_on: date
) -> Semester:
    with transaction(session):
        name = _check_semester(session, school_id, name, starts_on, ends_on)
        semester = Semester(school_id=school_id, name=name, starts_on=starts_on, ends_on=ends_on)
        session.add(semester)
        return semester


def update_semester(
    session: Session,
    *,
    school_id: uuid.UUID,
    semester_id: uuid.UUID,
    name: str,
    starts_on: date,
    ends_on: date,
) -> Semester:
    with transaction(session):
        semester = session.get(Semester, semester_id)
        if semester is None or semester.school_id != school_id:
            raise NotFound(_("Dit semester bestaat niet."))
        semester.name = _check_semester(
            session, school_id, name, starts_on, ends_on, ignore=semester.id
        )
        if _team_changes_between(session, school_id, semester.starts_on, starts_on):
            raise Invalid(
                _(
                    "Deze begindatum kan niet: tussen de oude en de nieuwe begindatum is een team "
                    "veranderd. De teamfiguren van een semester tellen de teams zoals ze op de "
                    "eerste dag waren, en die mogen achteraf niet verschuiven."
                )
            )
        moved = _lessons_between(session, school_id, semester, starts_on, ends_on)
        if moved:
            raise Invalid(
                _(
                    "Deze datums kunnen niet: tussen de oude en de nieuwe datum liggen al "
                    "{n} geobserveerde lessen. Een semester verschuift alleen over dagen zonder "
                    "lessen, zodat de figuren van voor en na de wijziging samen nooit één les "
                    "of één docent laten zien.",
                    n=moved,
                )
            )
        semester.starts_on, semester.ends_on = starts_on, ends_on
        session.add(semester)
        return semester


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), get_settings().tz)


def _lessons_in(session: Session, school_id: uuid.UUID, first: date, last: date) -> int:
    """Observations (any status, also kept out of team data) started on these school days."""
    if last < first:
        return 0
    return int(
        session.exec(
            select(func.count())
            .select_from(Observation)
            .where(
                Observation.school_id == school_id,
                col(Observation.deleted_at).is_(None),
                col(Observation.started_at) >= _day_start(first),
                col(Observation.started_at) < _day_start(last + timedelta(days=1)),
            )
        ).one()
    )


def _lessons_between(
    session: Session, school_id: uuid.UUID, semester: Semester, starts_on: date, ends_on: date
) -> int:
    """How many lessons a change of dates would move into or out of the semester."""
    old_first, old_last = semester.starts_on, semester.ends_on
    one = timedelta(days=1)
    return _lessons_in(
        session, school_id, min(old_first, starts_on), max(old_first, starts_on) - one
    ) + _lessons_in(session, school_id, min(old_last, ends_on) + one, max(old_last, ends_on))


def delete_semester(session: Session, *, school_id: uuid.UUID, semester_id: uuid.UUID) -> None:
    with transaction(session):
        semester = session.get(Semester, semester_id)
        if semester is None or semester.school_id != school_id:
            raise NotFound(_("Dit semester bestaat niet."))
        held = _lessons_in(session, school_id, semester.starts_on, semester.ends_on)
        if held:
            raise Invalid(
                _(
                    "Dit semester heeft al {n} geobserveerde lessen en blijft daarom bestaan. "
                    "Je kunt de naam wel aanpassen.",
                    n=held,
                )
            )
        session.delete(semester)


# --- teams -------------------------------------------------------------------------------------


def teams(session: Session, school_id: uuid.UUID) -> list[Team]:
    return list(
        session.exec(select(Team).where(Team.school_id == school_id).order_by(col(Team.name)))
    )


def get_team(session: Session, school_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.school_id != school_id:
        raise NotFound(_("Dit team bestaat niet."))
    return team


def add_team(session: Session, *, school_id: uuid.UUID, name: str) -> Team:
    with transaction(session):
        name = " ".join(name.split())
        if not name or len(name) > 80:
            raise Invalid(_("Geef het team een naam van hoogstens 80 tekens."))
        if session.exec(select(Team).where(Team.school_id == school_id, Team.name == name)).first():
            raise Conflict(_("Er is al een team ‘{name}’.", name=name))
        team = Team(school_id=school_id, name=name)
        session.add(team)
        return team


def rename_team(session: Session, *, school_id: uuid.UUID, team_id: uuid.UUID, name: str) -> Team:
    with transaction(session):
        team = get_team(session, school_id, team_id)
        name = " ".join(name.split())
        if not name or len(name) > 80:
            raise Invalid(_("Geef het team een naam van hoogstens 80 tekens."))
        clash = session.exec(
            select(Team).where(Team.school_id == school_id, Team.name == name)
        ).first()
        if clash and clash.id != team.id:
            raise Conflict(_("Er is al een team ‘{name}’.", name=name))
        team.name = name
        session.add(team)
        return team


def delete_team(session: Session, *, school_id: uuid.UUID, team_id: uuid.UUID) -> None:
    with transaction(session):
        session.delete(get_team(session, school_id, team_id))


def team_member_ids(session: Session, team_id: uuid.UUID) -> set[uuid.UUID]:
    return set(session.exec(select(TeamMember.person_id).where(TeamMember.team_id == team_id)))


def next_school_day() -> date:
    """A change of a team counts from the next day: the figures of a semester that has begun
    (today included) keep the members they began with."""
    return datetime.now(get_settings().tz).date() + timedelta(days=1)


def add_team_member(session: Session, team_id: uuid.UUID, person_id: uuid.UUID) -> None:
    if session.get(TeamMember, (team_id, person_id)) is None:
        session.add(TeamMember(team_id=team_id, person_id=person_id, since=next_school_day()))


def remove_team_member(session: Session, team_id: uuid.UUID, person_id: uuid.UUID) -> None:
    row = session.get(TeamMember, (team_id, person_id))
    if row is None:
        return
    until = next_school_day()
    if row.since is None or row.since < until:
        session.add(
            TeamMemberPast(team_id=team_id, person_id=person_id, since=row.since, until=until)
        )
    session.delete(row)


def team_members_on(
    session: Session, school_id: uuid.UUID, day: date
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """Every team of the school with the people who were in it on ``day`` (teams without
    members included)."""
    members: dict[uuid.UUID, set[uuid.UUID]] = {
        t: set() for t in session.exec(select(Team.id).where(Team.school_id == school_id))
    }
    current = session.exec(
        select(TeamMember.team_id, TeamMember.person_id)
        .join(Team, col(Team.id) == TeamMember.team_id)
        .where(
            Team.school_id == school_id,
            sa.or_(col(TeamMember.since).is_(None), col(TeamMember.since) <= day),
        )
    )
    past = session.exec(
        select(TeamMemberPast.team_id, TeamMemberPast.person_id)
        .join(Team, col(Team.id) == TeamMemberPast.team_id)
        .where(
            Team.school_id == school_id,
            sa.or_(col(TeamMemberPast.since).is_(None), col(TeamMemberPast.since) <= day),
            col(TeamMemberPast.until) > day,
        )
    )
    for team_id, person_id in [*current, *past]:
        members.setdefault(team_id, set()).add(person_id)
    return {t: frozenset(m) for t, m in members.items()}


def _team_changes_between(session: Session, school_id: uuid.UUID, a: date, b: date) -> int:
    """How many team changes fall on days in (a, b]: moving a semester's first day across one
    would change whom its team figures count."""
    lo, hi = min(a, b), max(a, b)
    if lo == hi:
        return 0
    joined = session.exec(
        select(func.count())
        .select_from(TeamMember)
        .join(Team, col(Team.id) == TeamMember.team_id)
        .where(Team.school_id == school_id, col(TeamMember.since) > lo, col(TeamMember.since) <= hi)
    ).one()
    left = session.exec(
        select(func.count())
        .select_from(TeamMemberPast)
        .join(Team, col(Team.id) == TeamMemberPast.team_id)
        .where(
            Team.school_id == school_id,
            sa.or_(
                sa.and_(col(TeamMemberPast.since) > lo, col(TeamMemberPast.since) <= hi),
                sa.and_(col(TeamMemberPast.until) > lo, col(TeamMemberPast.until) <= hi),
            ),
        )
    ).one()
    return int(joined) + int(left)


def set_team_members(
    session: Session, *, school_id: uuid.UUID, team_id: uuid.UUID, person_ids: set[uuid.UUID]
) -> None:
    with transaction(session):
        get_team(session, school_id, team_id)
        members = set(
            session.exec(select(Membership.person_id).where(Membership.school_id == school_id))
        )
        unknown = person_ids - members
        if unknown:
            raise Invalid(_("Alleen mensen van deze school kunnen in een team."))
        current = team_member_ids(session, team_id)
        for pid in current - person_ids:
            remove_team_member(session, team_id, pid)
        for pid in person_ids - current:
            add_team_member(session, team_id, pid)


# --- the school's own settings -------------------------------------------------------------------

AGGREGATE_MINIMUM_FLOOR = 3
AGGREGATE_MINIMUM_CEILING = 50
RETENTION_YEARS_MAX = 10
PHASES_MAX = 12
PHASE_MAX_LENGTH = 40


def schools_of(session: Session, person_id: uuid.UUID) -> list[School]:
    """The schools a person belongs to, by name (for the school switcher)."""
    return list(
        session.exec(
            select(School)
            .join(Membership, col(Membership.school_id) == School.id)
            .where(Membership.person_id == person_id, col(Membership.active))
            .order_by(col(School.name))
        )
    )


def clean_phases(phases: list[str]) -> list[str]:
    cleaned: list[str] = []
    for phase in phases:
        phase = " ".join(phase.split())
        if not phase:
            continue
        if len(phase) > PHASE_MAX_LENGTH:
            raise Invalid(
                _(
                    "De lesfase ‘{phase}…’ is te lang (maximaal {n} tekens).",
                    phase=phase[:20],
                    n=PHASE_MAX_LENGTH,
                )
            )
        if phase.lower() in (p.lower() for p in cleaned):
            raise Invalid(_("De lesfase ‘{phase}’ staat er twee keer in.", phase=phase))
        cleaned.append(phase)
    if not cleaned:
        raise Invalid(_("Geef minstens één lesfase op."))
    if len(cleaned) > PHASES_MAX:
        raise Invalid(_("Geef hoogstens {n} lesfasen op.", n=PHASES_MAX))
    return cleaned


def update_settings(
    session: Session,
    *,
    school_id: uuid.UUID,
    name: str,
    aggregate_minimum: int,
    retention_years: int,
    phases: list[str],
) -> School:
    """Name, the aggregate minimum (never below 3), retention in school years, lesson phases.

    New phases apply to new observations; an observation keeps the phases it was recorded with.
    """
    with transaction(session):
        school = session.get(School, school_id)
        if school is None:
            raise NotFound(_("Deze school bestaat niet."))
        name = " ".join(name.split())
        if not name:
            raise Invalid(_("Geef de school een naam."))
        if len(name) > 120:
            raise Invalid(_("De naam van de school is te lang (maximaal 120 tekens)."))
        if not AGGREGATE_MINIMUM_FLOOR <= aggregate_minimum <= AGGREGATE_MINIMUM_CEILING:
            raise Invalid(
                _(
                    "Het minimum aantal docenten per cel ligt tussen {low} en {high}.",
                    low=AGGREGATE_MINIMUM_FLOOR,
                    high=AGGREGATE_MINIMUM_CEILING,
                )
            )
        if not 1 <= retention_years <= RETENTION_YEARS_MAX:
            raise Invalid(
                _("De bewaartermijn ligt tussen 1 en {n} schooljaren.", n=RETENTION_YEARS_MAX)
            )
        school.name = name
        school.aggregate_minimum = aggregate_minimum
        school.retention_years = retention_years
        school.phases = clean_phases(phases)
        session.add(school)
        return school
