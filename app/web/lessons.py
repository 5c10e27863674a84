"""Pages about lessons: the observed teacher's "Mijn lessen", and the page of one observation.

The observed teacher owns what is recorded about their lesson, whoever recorded it (a coach or,
in peer observation, a colleague). So the observation page gives them everything: the timeline
of the lesson (a strip with one lane per kind of code, coloured by family, filterable by family
and by code), the counts per family and kind, the observer's summary and every moment; their
reflection on the questions of seed 003; the short conversation with the observer, on the lesson
or on one moment; and the decisions that are theirs alone (sharing, keeping the lesson out of team
patterns) with the read log. Whoever else may open the observation sees the same lesson, without
the decisions and the log.

Filters are plain GET parameters: the page works, links and prints without JavaScript.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app import codebook, conversation, lessons, observations, people, readlog, reflection, sharing
from app.access import Action, authorize, can, get_observation
from app.auth import Actor, SchoolActor
from app.db import SessionDep
from app.errors import DomainError, Forbidden, Invalid
from app.i18n import _
from app.models import (
    CodeKind,
    CommentIn,
    ObservationDetail,
    ObservationPublic,
    ObservationUpdate,
    Target,
    Zone,
)
from app.web.common import STATUS_LABELS, labels, notice, parse_uuid, redirect, school_of
from app.web.templating import render

lesson_pages = APIRouter(include_in_schema=False)

ZONE_LABELS = {Zone.groen: "Groen", Zone.oranje: "Oranje", Zone.rood: "Rood"}
TARGET_LABELS = {Target.klas: "Hele klas", Target.groep: "Groepje", Target.leerling: "Eén leerling"}
# The lanes of the timeline, top to bottom: what pupils show, then what the professional does.
LANES = [
    (CodeKind.signaal, "Signalen"),
    (CodeKind.productieve_reflex, "Productieve reflexen"),
    (CodeKind.improductieve_reflex, "Improductieve reflexen"),
]
# Where a message after a form shows: in the section of that form (the redirect lands there).
NOTICE_SECTIONS = {
    "reflectie": "reflectie",
    "reactie": "gesprek",
    "reactie-ingetrokken": "gesprek",
    "gedeeld": "delen",
    "ingetrokken": "delen",
    "buiten-team": "delen",
    "binnen-team": "delen",
}
# The least distance between two marks of a lane, in percent of the strip: a finger's width on a
# tablet in portrait.
GAP = 2.0
# Hints under the reflection's questions (source texts, translated when shown).
REFLECTION_HINTS = {
    "dominant_mechanism": "Ludificering, succeservaringen, verwachtingscues of "
    "belonging-signalen: wat zie je terug in de tijdlijn, en waar komt het vandaan?",
    "zones": "Groen is wat we willen zien, oranje waar het kan kantelen, rood wat we niet "
    "willen: in het licht van onze hogere doelen.",
    "next_step": "Eén concrete stap die je in een volgende les wilt zetten of uitproberen.",
}


# --- what the pages show -------------------------------------------------------------------------


def clock(offset_ms: int) -> str:
    seconds = offset_ms // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def is_peer_observation(session: Session, obs: ObservationPublic) -> bool:
    """Observed by a colleague rather than a coach of the school."""
    membership = people.membership_or_none(session, obs.school_id, obs.observer.id)
    return membership is None or not membership.is_coach


@dataclass
class FamilyCount:
    key: str
    label: str
    colour: str
    by_kind: dict[str, int] = field(default_factory=dict)
    total: int = 0


def count_by_family(moments: list[dict[str, Any]]) -> list[FamilyCount]:
    """Moments per family and kind, in the codebook's family order, families with none left
    out, and the total last."""
    families = codebook.families()
    rows = {key: FamilyCount(key, f.label, f.colour) for key, f in families.items()}
    total = FamilyCount("", _("Totaal"), "")
    for m in moments:
        row = rows.get(m["family_key"])
        for target in (row, total) if row else (total,):
            target.by_kind[m["kind_key"]] = target.by_kind.get(m["kind_key"], 0) + 1
            target.total += 1
    return [r for r in rows.values() if r.total] + [total]


def describe_moments(session: Session, obs: ObservationDetail) -> list[dict[str, Any]]:
    codes = codebook.code_index(session, obs.school_id)
    families = codebook.families()
    out = []
    for m in obs.moments:
        code = codes.get(m.code)
        family = families.get(code.family) if code else None
        out.append(
            {
                "id": m.id,
                "offset_ms": m.offset_ms,
                "clock": clock(m.offset_ms),
                "label": code.label if code else m.code,
                "description": code.description if code else "",
                "key": m.code,
                "family": family.label if family else "",
                "family_key": code.family if code else "",
                "colour": code.colour if code else "#57606a",
                "kind": _(codebook.KIND_LABELS[CodeKind(code.kind)]) if code else "",
                "kind_key": CodeKind(code.kind).value if code else "",
                "phase": m.phase or "",
                "zone": m.zone.value if m.zone else "",
                "zone_label": _(ZONE_LABELS[m.zone]) if m.zone else "",
                "target": _(TARGET_LABELS[m.target]) if m.target else "",
                "note": m.note,
            }
        )
    return out


def timeline(obs: ObservationDetail, moments: list[dict[str, Any]]) -> dict[str, Any]:
    """The strip: each moment placed by its time in the lesson, in the lane of its kind."""
    last = max((m["offset_ms"] for m in moments), default=0)
    lesson_ms = int((obs.ended_at - obs.started_at).total_seconds() * 1000) if obs.ended_at else 0
    span = max(lesson_ms, last + 30_000, 10 * 60_000)
    step = 5 if span <= 60 * 60_000 else 10
    ticks = [
        {"left": minute * 60_000 / span * 100, "label": f"{minute}"}
        for minute in range(0, span // 60_000 + 1, step)
    ]
    lanes = []
    for kind, label in LANES:
        marks, previous = [], -GAP
        for m in moments:  # in time order
            if m["kind_key"] != kind.value:
                continue
            # Moments close together are drawn side by side, so that each can be tapped.
            left = min(max(m["offset_ms"] / span * 100, previous + GAP), 100.0)
            marks.append({**m, "left": round(left, 3)})
            previous = left
        lanes.append({"key": kind.value, "label": _(label), "marks": marks})
    return {"lanes": lanes, "ticks": ticks, "minutes": round(span / 60_000)}


def filters(
    moments: list[dict[str, Any]], familie: str, code: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Narrow the moments to one family or one code (a code wins over a family it is not in).
    Unknown values show everything, with the choice not made."""
    present_families = Counter(m["family_key"] for m in moments if m["family_key"])
    present_codes = Counter(m["key"] for m in moments)
    families = codebook.families()
    labels = {m["key"]: (m["label"], m["family_key"]) for m in moments}
    if code not in present_codes:
        code = ""
    if code:
        familie = labels[code][1]
    elif familie not in present_families:
        familie = ""
    shown = [
        m
        for m in moments
        if (not code or m["key"] == code) and (not familie or m["family_key"] == familie)
    ]
    choices = {
        "familie": familie,
        "code": code,
        "families": [
            (key, f.label, present_families[key])
            for key, f in families.items()
            if key in present_families
        ],
        "codes": sorted(
            (
                (key, labels[key][0], n)
                for key, n in present_codes.items()
                if not familie or labels[key][1] == familie
            ),
            key=lambda c: (-c[2], c[1]),
        ),
        "active": bool(familie or code),
    }
    return shown, choices


def observation_context(
    session: Session,
    actor: Actor,
    observation_id: uuid.UUID,
    *,
    familie: str = "",
    code: str = "",
    moment: str = "",
) -> dict[str, Any]:
    obs = observations.detail(session, actor=actor, observation_id=observation_id)
    stored = get_observation(session, actor, obs.id)
    owner = can(actor, Action.share, stored)
    shares = sharing.shares_of(session, actor=actor, observation_id=obs.id) if owner else []
    shared_ids = {s.person_id for s in shares}
    colleagues = (
        [
            p
            for p, m in people.people_of(session, school_of(actor).id)
            if m.active and p.active and p.id != actor.person.id and p.id not in shared_ids
        ]
        if owner
        else []
    )
    moments = describe_moments(session, obs)
    shown, choices = filters(moments, familie, code)
    by_id = {str(m["id"]): m for m in moments}
    remarks_per_moment = Counter(str(c.moment_id) for c in obs.comments if c.moment_id)
    return {
        "obs": obs,
        "moments": moments,
        "shown": shown,
        "choices": choices,
        "strip": timeline(obs, shown),
        "counts": count_by_family(moments),
        "kinds": [(kind.value, _(codebook.KIND_LABELS[kind])) for kind, _label in LANES],
        "owner": owner,
        "peer": is_peer_observation(session, obs),
        "reads": readlog.readers(session, actor=actor, observation_id=obs.id) if owner else None,
        "shares": shares,
        "colleagues": colleagues,
        "status_label": _(STATUS_LABELS[obs.status]),
        "can_comment": can(actor, Action.comment, stored),
        "moment_by_id": by_id,
        "remarks_per_moment": remarks_per_moment,
        "about": moment if moment in by_id else "",
        "questions": {k: _(v) for k, v in reflection.QUESTIONS.items()},
        "hints": {k: _(v) for k, v in REFLECTION_HINTS.items()},
        "draft": None,
        "comment_draft": None,
        "new_comment_id": uuid.uuid4(),
    }


# --- one observation -------------------------------------------------------------------------


@lesson_pages.get("/observaties/{observation_id}")
def observation_page(
    observation_id: uuid.UUID,
    request: Request,
    actor: SchoolActor,
    session: SessionDep,
    melding: str | None = None,
    familie: str = "",
    code: str = "",
    moment: str = "",
) -> Response:
    context = observation_context(
        session, actor, observation_id, familie=familie, code=code, moment=moment
    )
    readlog.record(actor=actor, observation=context["obs"])
    return render(
        request,
        "observation.html",
        notice=notice(melding),
        message_in=NOTICE_SECTIONS.get(melding or ""),
        **context,
    )


def _again(
    request: Request,
    session: Session,
    actor: Actor,
    observation_id: uuid.UUID,
    error: DomainError,
    section: str,
    **drafts: Any,
) -> Response:
    """The observation page once more, with the message in the section the person was working
    in and their own words kept."""
    context = observation_context(session, actor, observation_id)
    context.update(drafts)
    return render(
        request,
        "observation.html",
        status_code=error.status_code,
        error=error.message,
        message_in=section,
        **context,
    )


@lesson_pages.post("/observaties/{observation_id}/reflectie")
def observation_reflect(
    observation_id: uuid.UUID,
    request: Request,
    actor: SchoolActor,
    session: SessionDep,
    dominant_mechanism: Annotated[str, Form()] = "",
    zones: Annotated[str, Form()] = "",
    next_step: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    texts = {"dominant_mechanism": dominant_mechanism, "zones": zones, "next_step": next_step}
    try:
        if any(len(t) > 4000 for t in texts.values()):
            raise Invalid(_("Een antwoord mag hoogstens 4000 tekens lang zijn."))
        if version and not version.isdigit():
            raise Invalid(_("De versie van je reflectie is onbekend; laad de pagina opnieuw."))
        reflection.save(
            session,
            actor=actor,
            observation_id=observation_id,
            texts=texts,
            version=int(version) if version else None,
        )
    except DomainError as e:
        if isinstance(e, Forbidden):
            raise
        return _again(request, session, actor, observation_id, e, "reflectie", draft=texts)
    return redirect(f"/observaties/{observation_id}?melding=reflectie#reflectie")


@lesson_pages.post("/observaties/{observation_id}/gesprek")
def observation_comment(
    observation_id: uuid.UUID,
    request: Request,
    actor: SchoolActor,
    session: SessionDep,
    body: Annotated[str, Form()] = "",
    moment_id: Annotated[str, Form()] = "",
    comment_id: Annotated[str, Form()] = "",
) -> Response:
    draft = {"body": body, "moment_id": moment_id, "id": comment_id}
    try:
        if len(body) > 1000:
            raise Invalid(_("Een reactie mag hoogstens 1000 tekens lang zijn."))
        if not body.strip():
            raise Invalid(_("Schrijf eerst iets voordat je het plaatst."))
        data = CommentIn(
            id=parse_uuid(comment_id, _("Deze reactie heeft een ongeldig id.")),
            body=body,
            moment_id=parse_uuid(moment_id, _("Kies een moment uit de lijst.")),
        )
        conversation.add(session, actor=actor, observation_id=observation_id, data=data)
    except DomainError as e:
        if isinstance(e, Forbidden):
            raise
        return _again(request, session, actor, observation_id, e, "gesprek", comment_draft=draft)
    return redirect(f"/observaties/{observation_id}?melding=reactie#gesprek")


@lesson_pages.post("/observaties/{observation_id}/gesprek/{comment_id}/intrekken")
def observation_withdraw_comment(
    observation_id: uuid.UUID, comment_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> Response:
    conversation.withdraw(
        session, actor=actor, observation_id=observation_id, comment_id=comment_id
    )
    return redirect(f"/observaties/{observation_id}?melding=reactie-ingetrokken#gesprek")


@lesson_pages.post("/observaties/{observation_id}/delen")
def observation_share(
    observation_id: uuid.UUID,
    actor: SchoolActor,
    session: SessionDep,
    person_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        person = uuid.UUID(person_id)
    except ValueError as e:
        raise Invalid(_("Kies een collega om mee te delen.")) from e
    sharing.share(session, actor=actor, observation_id=observation_id, person_id=person)
    return redirect(f"/observaties/{observation_id}?melding=gedeeld#delen")


@lesson_pages.post("/observaties/{observation_id}/delen/{person_id}/intrekken")
def observation_revoke(
    observation_id: uuid.UUID, person_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> Response:
    sharing.revoke(session, actor=actor, observation_id=observation_id, person_id=person_id)
    return redirect(f"/observaties/{observation_id}?melding=ingetrokken#delen")


@lesson_pages.post("/observaties/{observation_id}/teamgegevens")
def observation_team_data(
    observation_id: uuid.UUID,
    actor: SchoolActor,
    session: SessionDep,
    buiten: Annotated[str, Form()] = "",
) -> Response:
    excluded = buiten == "ja"
    observations.update(
        session,
        actor=actor,
        observation_id=observation_id,
        data=ObservationUpdate(excluded_from_team=excluded),
    )
    melding = "buiten-team" if excluded else "binnen-team"
    return redirect(f"/observaties/{observation_id}?melding={melding}#delen")


# --- Mijn lessen ------------------------------------------------------------------------------


@lesson_pages.get("/lessen")
def lessons_page(
    request: Request, actor: SchoolActor, session: SessionDep, melding: str | None = None
) -> Response:
    authorize(actor, Action.own_lessons)
    groups = lessons.of_teacher(session, actor=actor)
    rows = [row for g in groups for row in g.lessons]
    return render(
        request,
        "lessons.html",
        groups=groups,
        total=len(rows),
        moments=sum(r.obs.moment_count for r in rows),
        reflected=sum(r.reflected for r in rows),
        status_labels=labels(STATUS_LABELS),
        notice=notice(melding),
    )
