"""People in a school: memberships and roles, invitations, deactivation, and CSV import.

There is no mail server: an invitation is a link (valid 14 days) that the admin passes on;
the CLI prints it and the admin page shows it. Only the token's hash is stored.
"""

import csv
import io
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app import auth, schools
from app.db import new_session, transaction
from app.errors import Forbidden, Invalid, NotFound
from app.i18n import _
from app.models import Invitation, Membership, Person, Role, School, Team, TeamMember, utcnow
from app.settings import get_settings

INVITATION_DAYS = 14
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ROLE_WORDS = {
    "coach": Role.coach,
    "docent": Role.teacher,
    "ontwikkelgroep": Role.development_group,
    "schoolleider": Role.admin,
    "beheerder": Role.admin,
}
ROLE_LABELS = {
    Role.coach: "Coach",
    Role.teacher: "Docent",
    Role.development_group: "Ontwikkelgroep",
    Role.admin: "Schoolleiding",
}


def role_label(role: Role) -> str:
    return _(ROLE_LABELS[role])


def check_email(email: str) -> str:
    email = auth.normalise_email(email)
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise Invalid(_("‘{email}’ is geen geldig e-mailadres.", email=email[:80]))
    return email


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("Vul een naam in."))
    if len(name) > 120:
        raise Invalid(_("Deze naam is te lang (maximaal 120 tekens)."))
    return name


def memberships(session: Session, school_id: uuid.UUID) -> list[Membership]:
    return list(session.exec(select(Membership).where(Membership.school_id == school_id)))


def people_of(
    session: Session, school_id: uuid.UUID, role: Role | None = None
) -> list[tuple[Person, Membership]]:
    rows = session.exec(
        select(Person, Membership)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(Membership.school_id == school_id)
        .order_by(col(Person.name))
    )
    return [(p, m) for p, m in rows if role is None or m.has(role)]


def schools_with_roles(session: Session, person_id: uuid.UUID) -> list[tuple[Membership, School]]:
    """The schools where a person is active, by name, with their membership there."""
    return list(
        session.exec(
            select(Membership, School)
            .join(School)
            .where(Membership.person_id == person_id, col(Membership.active))
            .order_by(col(School.name))
        ).all()
    )


def membership_or_none(
    session: Session, school_id: uuid.UUID, person_id: uuid.UUID
) -> Membership | None:
    return session.exec(
        select(Membership).where(
            Membership.school_id == school_id, Membership.person_id == person_id
        )
    ).first()


def membership(session: Session, school_id: uuid.UUID, person_id: uuid.UUID) -> Membership:
    found = membership_or_none(session, school_id, person_id)
    if found is None:
        raise NotFound(_("Deze persoon hoort niet bij deze school."))
    return found


def apply_roles(m: Membership, roles: Iterable[Role]) -> None:
    chosen = set(roles)
    if not chosen:
        raise Invalid(_("Kies minstens één rol."))
    m.is_coach = Role.coach in chosen
    m.is_teacher = Role.teacher in chosen
    m.is_development_group = Role.development_group in chosen
    m.is_admin = Role.admin in chosen


def _new_invitation(
    session: Session,
    school_id: uuid.UUID,
    person_id: uuid.UUID,
    by: uuid.UUID | None,
    *,
    name: str = "",
    roles: Iterable[Role] = (),
) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        Invitation(
            token_hash=auth.token_hash(token),
            school_id=school_id,
            person_id=person_id,
            created_by_id=by,
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
            name=name,
            roles=",".join(r.value for r in roles),
        )
    )
    return invitation_link(token)


def invitation_link(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/uitnodiging/{token}"


@dataclass
class Invited:
    """What the inviting school may know of an invitation: the name and address it typed
    itself, never the name an existing account carries elsewhere."""

    person_id: uuid.UUID
    name: str
    email: str
    link: str | None  # None: already a member here with a password; only the roles changed
    joins: bool = False  # True: an existing account, that becomes a member only by accepting


def invite(
    session: Session,
    *,
    school_id: uuid.UUID,
    email: str,
    name: str,
    roles: Iterable[Role],
    by: uuid.UUID | None = None,
) -> Invited:
    """Invite a person to a school with roles.

    A new address gets an account of this school and a link that sets its password. An
    address that already has an account, or is pending at another school, is never given
    a membership nor a password link by this school: it gets a link that asks the person to
    log in and accept. A school grants membership of itself only, and a password is set
    only by the person, through the school that made the account."""
    with transaction(session):
        email, name = check_email(email), check_name(name)
        chosen = list(dict.fromkeys(roles))
        person = session.exec(select(Person).where(Person.email == email)).first()
        if person is None:
            person = Person(email=email, name=name)
            session.add(person)
            session.flush()
        existing = membership_or_none(session, school_id, person.id)
        elsewhere = session.exec(
            select(Membership.id).where(
                Membership.person_id == person.id, Membership.school_id != school_id
            )
        ).first()
        if existing is None and (person.password_hash is not None or elsewhere is not None):
            probe = Membership(school_id=school_id, person_id=person.id)
            apply_roles(probe, chosen)  # refuses an empty choice before anything is stored
            join_link = _new_invitation(session, school_id, person.id, by, name=name, roles=chosen)
            return Invited(person_id=person.id, name=name, email=email, link=join_link, joins=True)
        m = existing or Membership(school_id=school_id, person_id=person.id)
        apply_roles(m, chosen)
        session.add(m)
        link = None
        if person.password_hash is None:
            link = _new_invitation(session, school_id, person.id, by)
        return Invited(person_id=person.id, name=person.name, email=email, link=link)


def find_invitation(session: Session, token: str) -> tuple[Invitation, Person]:
    inv = session.exec(
        select(Invitation).where(Invitation.token_hash == auth.token_hash(token))
    ).first()
    if inv is None or inv.used_at is not None or inv.expires_at < utcnow():
        raise NotFound(
            _("Deze uitnodiging is verlopen of al gebruikt. Vraag de schoolleiding om een nieuwe.")
        )
    person = session.get(Person, inv.person_id)
    if person is None:
        raise NotFound(_("Deze uitnodiging is niet meer geldig."))
    if not sets_password(session, inv, person):
        return inv, person
    if not person.active:
        raise NotFound(_("Deze uitnodiging is niet meer geldig."))
    return inv, person


def sets_password(session: Session, inv: Invitation, person: Person) -> bool:
    """Whether this invitation lets its holder choose the password: only for an account with
    no password that the inviting school itself holds (no other school can hold a membership
    of an account without a password, since joining needs a login)."""
    if person.password_hash is not None:
        return False
    return membership_or_none(session, inv.school_id, person.id) is not None


def join_school(session: Session, *, token: str, actor: auth.Actor) -> School:
    """The logged-in person accepts an invitation to join a school. Only the person the
    invitation is for can accept it, and only with the link: the school's own grant."""
    with transaction(session):
        inv, person = find_invitation(session, token)
        if person.id != actor.person.id:
            raise Forbidden(
                _(
                    "Deze uitnodiging is voor een ander account. Log uit en log in als "
                    "{email} om haar te accepteren.",
                    email=person.email,
                )
            )
        if sets_password(session, inv, person):
            raise Invalid(_("Kies eerst een wachtwoord met deze uitnodiging."))
        school = session.get(School, inv.school_id)
        if school is None:
            raise NotFound(_("Deze uitnodiging is niet meer geldig."))
        m = membership_or_none(session, school.id, person.id)
        if m is None:
            m = Membership(school_id=school.id, person_id=person.id)
            apply_roles(m, invitation_roles(inv) or [Role.teacher])
        m.active = True
        person.active = True
        inv.used_at = utcnow()
        actor.auth.school_id = school.id
        session.add_all([m, person, inv, actor.auth])
        return school


def invitation_roles(inv: Invitation) -> list[Role]:
    values = {r.value: r for r in Role}
    return [values[v] for v in inv.roles.split(",") if v in values]


def set_roles(
    session: Session, *, school_id: uuid.UUID, person_id: uuid.UUID, roles: Iterable[Role]
) -> None:
    with transaction(session):
        m = membership(session, school_id, person_id)
        apply_roles(m, roles)
        session.add(m)


def set_active(
    session: Session, *, school_id: uuid.UUID, person_id: uuid.UUID, active: bool, by: uuid.UUID
) -> None:
    """Switch a person off (or on again) in one school. Switching off ends their sessions in
    this school at once; the account stays usable for their other schools, and is switched off
    as a whole (ending every session) only when no school has them active any more."""
    with transaction(session):
        m = membership(session, school_id, person_id)
        if person_id == by and not active:
            raise Invalid(_("Je kunt je eigen account niet uitzetten."))
        m.active = active
        session.add(m)
        session.flush()
        person = session.get(Person, person_id)
        assert person is not None
        person.active = any(
            x.active
            for x in session.exec(select(Membership).where(Membership.person_id == person_id))
        )
        session.add(person)
        if not active and person.active:
            auth.end_school_sessions(session, person_id, school_id)
        elif not active:
            auth.end_all_sessions(session, person_id)


def teams_of(session: Session, school_id: uuid.UUID, person_id: uuid.UUID) -> list[Team]:
    return list(
        session.exec(
            select(Team)
            .join(TeamMember, col(TeamMember.team_id) == Team.id)
            .where(Team.school_id == school_id, TeamMember.person_id == person_id)
            .order_by(col(Team.name))
        )
    )


# --- CSV import ----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    invited: list[Invited] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


HEADER_WORDS = {
    "email": "email",
    "e-mail": "email",
    "e-mailadres": "email",
    "naam": "naam",
    "name": "naam",
    "rollen": "rollen",
    "rol": "rollen",
    "roles": "rollen",
    "teams": "teams",
    "team": "teams",
}


def import_people(
    session: Session,
    *,
    school_id: uuid.UUID,
    text: str,
    by: uuid.UUID | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import people from CSV (columns email, naam, rollen, teams; rollen and teams separated
    by ``;`` or ``|``). Every row is checked first; with any bad row nothing is imported."""
    with transaction(session):
        report = ImportReport()
        try:
            dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        rows = list(reader)
        if not rows:
            report.errors.append(_("Het bestand is leeg."))
            return report
        header = [HEADER_WORDS.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
        missing = [h for h in ("email", "naam", "rollen") if h not in header]
        if missing:
            report.errors.append(
                _(
                    "Regel 1: kolom(men) ontbreken: {cols}. Verwacht: email, naam, rollen, teams.",
                    cols=", ".join(missing),
                )
            )
            return report
        team_names = {t.name.lower(): t for t in schools.teams(session, school_id)}
        parsed: list[tuple[int, str, str, list[Role], list[Team]]] = []
        seen: dict[str, int] = {}
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                report.errors.append(_("Regel {line}: meer kolommen dan de kop.", line=line))
                continue
            cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
            values = dict(zip(header, cells, strict=False))
            try:
                email = check_email(values["email"])
                name = check_name(values["naam"])
            except Invalid as e:
                report.errors.append(_("Regel {line}: {msg}", line=line, msg=e.message))
                continue
            if email in seen:
                report.errors.append(
                    _(
                        "Regel {line}: {email} staat ook op regel {other}.",
                        line=line,
                        email=email,
                        other=seen[email],
                    )
                )
                continue
            seen[email] = line
            roles, bad = [], []
            for word in re.split(r"[;|,/]", values.get("rollen", "")):
                word = word.strip().lower()
                if not word:
                    continue
                if word in ROLE_WORDS:
                    roles.append(ROLE_WORDS[word])
                else:
                    bad.append(word)
            if bad or not roles:
                report.errors.append(
                    _(
                        "Regel {line}: onbekende of ontbrekende rol ({bad}); kies uit "
                        "coach, docent, ontwikkelgroep, schoolleider.",
                        line=line,
                        bad=", ".join(bad) or _("leeg"),
                    )
                )
                continue
            row_teams, unknown = [], []
            for t in re.split(r"[;|]", values.get("teams", "")):
                t = t.strip()
                if not t:
                    continue
                if t.lower() in team_names:
                    row_teams.append(team_names[t.lower()])
                else:
                    unknown.append(t)
            if unknown:
                report.errors.append(
                    _(
                        "Regel {line}: onbekend team ‘{team}’. Maak het team eerst aan.",
                        line=line,
                        team=", ".join(unknown),
                    )
                )
                continue
            parsed.append((line, email, name, roles, row_teams))
        if report.errors:
            return report
        for i, (_line, email, name, roles, row_teams) in enumerate(parsed, start=1):
            invited = invite(
                session, school_id=school_id, email=email, name=name, roles=roles, by=by
            )
            for team in row_teams:
                schools.add_team_member(session, team.id, invited.person_id)
            report.invited.append(invited)
            if progress:
                progress(i, len(parsed))
        return report


# --- for the admin pages and the invitation page -------------------------------------------------


def team_names_by_person(session: Session, school_id: uuid.UUID) -> dict[uuid.UUID, list[str]]:
    rows = session.exec(
        select(TeamMember.person_id, Team.name)
        .join(Team, col(Team.id) == TeamMember.team_id)
        .where(Team.school_id == school_id)
        .order_by(col(Team.name))
    )
    names: dict[uuid.UUID, list[str]] = {}
    for person_id, name in rows:
        names.setdefault(person_id, []).append(name)
    return names


@dataclass
class PendingJoin:
    name: str
    email: str
    roles: list[Role]
    expires_at: datetime


def pending_joins(session: Session, school_id: uuid.UUID) -> list[PendingJoin]:
    """Invitations to this school that wait for someone with an account to accept, by the
    name and roles the school typed."""
    rows = session.exec(
        select(Invitation, Person.email)
        .join(Person, col(Person.id) == Invitation.person_id)
        .join(
            Membership,
            (col(Membership.person_id) == Invitation.person_id)
            & (col(Membership.school_id) == Invitation.school_id),
            isouter=True,
        )
        .where(
            Invitation.school_id == school_id,
            col(Invitation.used_at).is_(None),
            col(Invitation.expires_at) > utcnow(),
            col(Membership.id).is_(None),
        )
        .order_by(col(Invitation.name))
    )
    latest: dict[str, PendingJoin] = {}
    for inv, email in rows:
        known = latest.get(email)
        if known is None or inv.expires_at > known.expires_at:
            latest[email] = PendingJoin(inv.name, email, invitation_roles(inv), inv.expires_at)
    return sorted(latest.values(), key=lambda j: (j.name.lower(), j.email))


def open_invitations(session: Session, school_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
    """For each person with an unused invitation to this school: when the newest one expires."""
    rows = session.exec(
        select(Invitation.person_id, Invitation.expires_at).where(
            Invitation.school_id == school_id, col(Invitation.used_at).is_(None)
        )
    )
    latest: dict[uuid.UUID, datetime] = {}
    for person_id, expires_at in rows:
        if person_id not in latest or expires_at > latest[person_id]:
            latest[person_id] = expires_at
    return latest


def reinvite_pending(
    session: Session, *, school_id: uuid.UUID, person_id: uuid.UUID, by: uuid.UUID | None
) -> str:
    """A new link for someone who has not yet set a password. Someone with an account is not
    re-invited: their account may belong to other schools too, and a link would reset it."""
    with transaction(session):
        membership(session, school_id, person_id)
        person = session.get(Person, person_id)
        assert person is not None
        if person.password_hash is not None:
            raise Invalid(
                _(
                    "{name} heeft de uitnodiging al geaccepteerd en kan gewoon inloggen.",
                    name=person.name,
                )
            )
        if not person.active:
            raise Invalid(_("Zet het account van {name} eerst weer aan.", name=person.name))
        link = _new_invitation(session, school_id, person_id, by)
        return link


def join_by_invitation(
    session: Session,
    *,
    token: str,
    password: str,
    repeated: str,
    user_agent: str = "",
    replaces: str | None = None,
) -> tuple[Person, str]:
    """Accept an invitation: set the password and open a session in the inviting school.
    Returns the person and the new session's cookie token. The invitation is checked and the
    password hashed before ``session`` writes anything, so that the slow hash never holds the
    write lock; the write then checks the invitation again."""
    with new_session() as read:
        inv, person = find_invitation(read, token)
        allowed = sets_password(read, inv, person)
        school = read.get(School, inv.school_id)
        context = [person.email, person.name, school.name if school else ""]
    if not allowed:
        raise Forbidden(
            _("Met deze uitnodiging kies je geen wachtwoord. Log in met je account en accepteer.")
        )
    if password != repeated:
        raise Invalid(_("De twee wachtwoorden zijn niet gelijk. Typ ze nog eens."))
    auth.check_password_rules(password, context)
    hashed = auth.hash_password(password)
    with transaction(session):
        inv, person = find_invitation(session, token)
        if not sets_password(session, inv, person):
            raise NotFound(
                _(
                    "Deze uitnodiging is verlopen of al gebruikt. "
                    "Vraag de schoolleiding om een nieuwe."
                )
            )
        person.password_hash = hashed
        inv.used_at = utcnow()
        session.add_all([inv, person])
        auth.end_all_sessions(session, person.id)
        row, cookie = auth.open_session(session, person, user_agent=user_agent)
        row.school_id = inv.school_id
        if replaces:  # the session this browser held before, whoever's it was
            auth.end_session(session, replaces)
        return person, cookie
