"""My data (the AVG right of access): everything Coulisse holds about a person and by them.

One collection, two forms. JSON keeps the records as they are, section by section. CSV puts
every field of every record on its own row (``onderdeel, id, veld, waarde``), so a spreadsheet
opens it and a filter on ``onderdeel`` gives one kind of record.

"About and by them" covers every school the person belongs or belonged to, switched off or
not:
- their account, memberships, teams, sessions (never a password or token hash) and tablets;
- the observations they made and those of their own lessons, deleted ones included for as
  long as they are kept, with every moment in them;
- the reflections on their lessons, the conversations on those observations and every remark
  they wrote, the shares they made or received, and the observations they opened (the read
  log).
"""

import io
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from app.csvfile import SafeWriter
from app.models import (
    AuthSession,
    Comment,
    Membership,
    Moment,
    Observation,
    ObservationRead,
    Person,
    Reflection,
    School,
    Share,
    SyncDevice,
    Team,
    TeamMember,
    utcnow,
)

SECRET_FIELDS = {"password_hash", "token_hash", "csrf_token"}


def _row(record: Any, **extra: Any) -> dict[str, Any]:
    data = {k: v for k, v in record.model_dump().items() if k not in SECRET_FIELDS}
    return {**data, **extra}


def collect(session: Session, person: Person) -> dict[str, Any]:
    me = person.id
    schools = {s.id: s.name for s in session.exec(select(School))}
    memberships = session.exec(select(Membership).where(Membership.person_id == me)).all()
    teams = session.exec(select(Team).join(TeamMember).where(TeamMember.person_id == me)).all()
    observations = session.exec(
        select(Observation)
        .where(or_(Observation.observer_id == me, Observation.observed_teacher_id == me))
        .order_by(col(Observation.started_at))
    ).all()
    ids = [o.id for o in observations]
    moments = session.exec(
        select(Moment)
        .where(col(Moment.observation_id).in_(ids))
        .order_by(col(Moment.observation_id), col(Moment.offset_ms))
    ).all()
    reflections = session.exec(
        select(Reflection).where(
            or_(col(Reflection.observation_id).in_(ids), Reflection.author_id == me)
        )
    ).all()
    shares = session.exec(
        select(Share).where(or_(Share.person_id == me, Share.created_by_id == me))
    ).all()
    comments = session.exec(
        select(Comment)
        .where(or_(col(Comment.observation_id).in_(ids), Comment.author_id == me))
        .order_by(col(Comment.observation_id), col(Comment.created_at))
    ).all()
    names = {p.id: p.name for p in session.exec(select(Person))}
    return {
        "exported_at": utcnow(),
        "person": _row(person),
        "memberships": [
            _row(m, school=schools.get(m.school_id, ""), roles=[r.value for r in m.roles])
            for m in memberships
        ],
        "teams": [_row(t, school=schools.get(t.school_id, "")) for t in teams],
        "observations": [
            _row(
                o,
                school=schools.get(o.school_id, ""),
                observer=names.get(o.observer_id, ""),
                observed_teacher=names.get(o.observed_teacher_id, ""),
                my_part=_part(o, me),
            )
            for o in observations
        ],
        "moments": [_row(m) for m in moments],
        "reflections": [_row(r) for r in reflections],
        "comments": [_row(c, author=names.get(c.author_id, "")) for c in comments],
        "shares": [
            _row(s, person=names.get(s.person_id, ""), shared_by=names.get(s.created_by_id, ""))
            for s in shares
        ],
        "sessions": [
            _row(s) for s in session.exec(select(AuthSession).where(AuthSession.person_id == me))
        ],
        "devices": [
            _row(d) for d in session.exec(select(SyncDevice).where(SyncDevice.person_id == me))
        ],
        "reads": [
            _row(r)
            for r in session.exec(select(ObservationRead).where(ObservationRead.person_id == me))
        ],
    }


def _part(observation: Observation, me: uuid.UUID) -> str:
    if observation.observer_id == me and observation.observed_teacher_id == me:
        return "observator en geobserveerde docent"
    return "observator" if observation.observer_id == me else "geobserveerde docent"


SECTION_LABELS = {
    "person": "persoon",
    "memberships": "lidmaatschap",
    "teams": "team",
    "observations": "observatie",
    "moments": "moment",
    "reflections": "reflectie",
    "comments": "reactie",
    "shares": "deling",
    "sessions": "sessie",
    "devices": "tablet",
    "reads": "geopend",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value)


def as_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["onderdeel", "id", "veld", "waarde"])
    for key, label in SECTION_LABELS.items():
        records = data[key] if isinstance(data[key], list) else [data[key]]
        for record in records:
            for field, value in record.items():
                writer.writerow([label, _text(record.get("id")), field, _text(value)])
    return out.getvalue()
