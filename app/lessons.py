"""Mijn lessen: the observed teacher's own lessons, for the page that lists them.

A lesson counts as peer observation when its observer is not a coach of the school: the page
shows that, since a colleague's eye is a different conversation from a coach's.
"""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from app import codebook, observations, people
from app.auth import Actor
from app.i18n import _
from app.models import Comment, Moment, ObservationPublic, Reflection, Role, Semester, Share
from app.settings import get_settings


@dataclass
class LessonRow:
    obs: ObservationPublic
    peer: bool
    families: list[tuple[str, str, int]]  # label, colour, moments
    reflected: bool
    remarks: int
    shared_with: int


@dataclass
class SemesterGroup:
    title: str
    lessons: list[LessonRow]


def of_teacher(session: Session, *, actor: Actor) -> list[SemesterGroup]:
    """The lessons in which this person was observed, newest first, grouped by semester,
    with what each holds: moments per family, a reflection, remarks and shares."""
    assert actor.school is not None
    school_id = actor.school.id
    found = observations.list_visible(session, actor=actor, relation="observed", limit=10_000)
    ids = [o.id for o in found]
    codes = codebook.code_index(session, school_id)
    families = codebook.families()
    per_family: dict[uuid.UUID, Counter[str]] = {i: Counter() for i in ids}
    if ids:
        for obs_id, key, n in session.exec(
            select(Moment.observation_id, Moment.code, func.count())
            .where(col(Moment.observation_id).in_(ids), col(Moment.deleted_at).is_(None))
            .group_by(col(Moment.observation_id), col(Moment.code))
        ):
            code = codes.get(key)
            per_family[obs_id][code.family if code else ""] += n
    reflected = set(
        session.exec(
            select(Reflection.observation_id).where(col(Reflection.observation_id).in_(ids))
        )
    )
    remarks = dict(
        session.exec(
            select(Comment.observation_id, func.count())
            .where(col(Comment.observation_id).in_(ids), col(Comment.deleted_at).is_(None))
            .group_by(col(Comment.observation_id))
        ).all()
    )
    shared = dict(
        session.exec(
            select(Share.observation_id, func.count())
            .where(col(Share.observation_id).in_(ids), col(Share.revoked_at).is_(None))
            .group_by(col(Share.observation_id))
        ).all()
    )
    coaches = {p.id for p, m in people.people_of(session, school_id, Role.coach)}
    semesters = list(
        session.exec(
            select(Semester)
            .where(Semester.school_id == school_id)
            .order_by(col(Semester.starts_on).desc())
        )
    )
    groups: dict[str, SemesterGroup] = {}
    for o in found:
        day = _local_day(o)
        semester = next((s for s in semesters if s.starts_on <= day <= s.ends_on), None)
        title = semester.name if semester else _("Buiten de semesters")
        row = LessonRow(
            obs=o,
            peer=o.observer.id not in coaches,
            families=[
                (f.label, f.colour, per_family[o.id][key])
                for key, f in families.items()
                if per_family[o.id][key]
            ],
            reflected=o.id in reflected,
            remarks=remarks.get(o.id, 0),
            shared_with=shared.get(o.id, 0),
        )
        groups.setdefault(title, SemesterGroup(title, [])).lessons.append(row)
    return list(groups.values())


def _local_day(o: ObservationPublic) -> date:
    return o.started_at.astimezone(get_settings().tz).date()
