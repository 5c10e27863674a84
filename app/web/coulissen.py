"""The coulissen-ruimte on screen, on paper and on the projector.

The figures come from :mod:`app.coulissen` (built once per request, suppression included); this
module turns them into what a team reads: the dashboard (``/coulissen``), the one-page session
pack for a backstage meeting (``/coulissen/sessiepakket``, printable to a clean A4), the same pack
as a projector view (``/coulissen/projectie``), and the CSV export of every figure
(``/coulissen/export.csv``). The JSON of the same figures is ``GET /api/coulissen``
(:mod:`app.api`).

No teacher's name appears on any of these screens: the figures carry none, and the example notes
of the session pack are shown without lesson, date, group or observer. A note is an example only
if its observer marked it shareable, the name rule (:mod:`app.names`) does not flag it, its
lesson counts in the view (not kept out by the teacher), and the view itself is not hidden.
At most one note a lesson, spread over teachers and families, so that no one teacher's lessons
fill the page.
"""

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from app import coulissen, schools
from app.access import Action, authorize, can
from app.auth import Actor, SchoolActor
from app.csvfile import SafeWriter
from app.db import SessionDep
from app.i18n import _
from app.web import charts
from app.web.common import parse_uuid, school_of
from app.web.templating import nl_date, nl_time, render

coulissen_pages = APIRouter(include_in_schema=False)

# The questions the backstage discussion starts from (domain.md, seed 003). Source texts.
QUESTIONS = [
    "Welk mechanisme of welke mechanismen vormen een dominante uitdaging in onze lessen, "
    "en waarom?",
    "Welke gedragingen behoren voor ons typisch tot de rode, oranje en groene gebieden, en "
    "waarom, in het licht van onze hogere doelen?",
    "In welk kwadrant van kunnen en willen zou je je professionele team plaatsen, en waarom?",
    "Wat hebben wij, het professionele team en de schoolleiding, nodig om de routes naar een "
    "transformatieve verbetercultuur te realiseren en vast te houden?",
]
NOTES_IN_PACK = 6
ZONE_ORDER = ["groen", "oranje", "rood"]
DIRECTION_SIGNS = {"hoger": "↑", "lager": "↓", "gelijk": "="}


def dashboard_for(
    session: Session, actor: Actor, semester: str = "", team: str = ""
) -> coulissen.Dashboard:
    authorize(actor, Action.read_aggregates)
    return coulissen.build(
        session,
        school_id=school_of(actor).id,
        semester_id=parse_uuid(semester, _("Dit semester bestaat niet; kies er een uit de lijst.")),
        team_id=parse_uuid(team, _("Dit team bestaat niet; kies er een.")),
    )


# --- what the figures say, in sentences --------------------------------------------------------


def _pct(cell: coulissen.Cell) -> str:
    return charts.percent(float(cell.value or 0))


def _change(cell: coulissen.Cell, as_percent: bool = False) -> str:
    if cell.direction is None or cell.previous is None:
        return ""
    before = charts.percent(cell.previous) if as_percent else charts.number(cell.previous)
    return _(" (vorig semester {before}: {direction})", before=before, direction=cell.direction)


def main_patterns(d: coulissen.Dashboard) -> list[str]:
    """The few sentences a team starts from; only visible figures, never a person."""
    if not d.visible:
        return []
    out: list[str] = []
    s = d.success.share
    if not s.suppressed and s.value is not None:
        out.append(
            _(
                "In {share} van de lessen zagen we minstens één succeservaring{change}. "
                "Het principe: ‘{principle}’",
                share=_pct(s),
                change=_change(s, as_percent=True),
                principle=d.success.principle,
            )
        )
    ranked = sorted(
        (f for f in d.families if not f.per_hour.suppressed and f.per_hour.value is not None),
        key=lambda f: -float(f.per_hour.value or 0),
    )
    if ranked:
        top = ranked[0]
        out.append(
            _(
                "{family} kwam het vaakst voor: {rate} momenten per lesuur{change}, in {share} "
                "van de lessen.",
                family=top.label,
                rate=charts.number(float(top.per_hour.value or 0)),
                change=_change(top.per_hour),
                share=_pct(top.share_of_lessons),
            )
        )
    faces = [
        _(
            "{face} {share}{change}",
            face=f.label,
            share=_pct(f.productive_share),
            change=_change(f.productive_share, as_percent=True),
        )
        for f in d.faces
        if not f.productive_share.suppressed and f.productive_share.value is not None
    ]
    if faces:
        out.append(_("Deel productieve reflexen per gezicht: {faces}.", faces="; ".join(faces)))
    zones = {z.zone: z for z in d.zones.zones}
    if all(z in zones and not zones[z].share.suppressed for z in ZONE_ORDER):
        out.append(
            _(
                "Van de momenten met een zone was {groen} groen, {oranje} oranje en {rood} rood.",
                groen=_pct(zones["groen"].share),
                oranje=_pct(zones["oranje"].share),
                rood=_pct(zones["rood"].share),
            )
        )
    return out


# --- charts ------------------------------------------------------------------------------------


def chart_set(d: coulissen.Dashboard, compact: bool = False) -> dict[str, Any]:
    """The charts of a dashboard. ``compact`` draws them for half an A4 column: a narrower
    drawing, so that the text keeps its size when the chart is scaled to fit."""
    width, label_w = (520, 170) if compact else (720, 230)

    def value(cell: coulissen.Cell) -> float | None:
        return None if cell.suppressed or cell.value is None else float(cell.value)

    families = charts.bars(
        [
            charts.Bar(
                label=f.label,
                value=value(f.per_hour),
                colour=f.colour,
                previous=f.per_hour.previous,
            )
            for f in d.families
        ],
        label=_("Momenten per lesuur per familie, met het vorige semester als streep"),
        previous_label=_("vorig semester"),
        width=width,
        label_w=label_w,
    )
    zone_fills = charts.ZONE_FILLS
    zone_rows: list[tuple[str, list[charts.Segment] | None]] = []
    if d.zones.zones and not any(z.share.suppressed for z in d.zones.zones):
        zone_rows.append(
            (
                _("Met een zone"),
                [
                    charts.Segment(z.label, float(z.share.value or 0), zone_fills[z.zone])
                    for z in d.zones.zones
                    if z.zone in zone_fills
                ],
            )
        )
    else:
        zone_rows.append((_("Met een zone"), None))
    zones = charts.stacked(
        zone_rows,
        label=_("Verdeling over de zones groen, oranje en rood"),
        width=width,
        label_w=label_w,
    )
    face_rows: list[tuple[str, list[charts.Segment] | None]] = []
    for face in d.faces:
        p = value(face.productive_share)
        face_rows.append(
            (
                face.label,
                None
                if p is None
                else [
                    charts.Segment(_("productief"), p, "#2a6f97"),
                    charts.Segment(_("improductief"), 1 - p, "#d9d4c7"),
                ],
            )
        )
    balance = charts.stacked(
        face_rows,
        label=_("Productieve tegenover improductieve reflexen per gezicht"),
        width=width,
        label_w=label_w,
    )
    previous = d.scope.previous_semester
    trend = (
        charts.slopes(
            [(f.label, f.colour, f.per_hour.previous, value(f.per_hour)) for f in d.families],
            label=_("Momenten per lesuur per familie: vorig semester en nu"),
            before=previous.name,
            after=d.scope.semester.name,
        )
        if previous is not None
        and any(f.per_hour.previous is not None and value(f.per_hour) for f in d.families)
        else None
    )
    return {"families": families, "zones": zones, "balance": balance, "trend": trend}


def heat(cell: coulissen.Cell) -> dict[str, Any]:
    if cell.suppressed or cell.value is None:
        return {"hidden": True}
    share = float(cell.value)
    return {
        "hidden": False,
        "text": charts.percent(share),
        "bg": charts.shade(share),
        "ink": charts.ink_on(share),
    }


# --- the pages ---------------------------------------------------------------------------------


def _context(
    session: Session, actor: Actor, semester: str, team: str, compact: bool = False
) -> dict[str, Any]:
    d = dashboard_for(session, actor, semester, team)
    school = school_of(actor)
    semesters = schools.semesters(session, school.id)[::-1]  # the newest first
    teams = schools.teams(session, school.id)
    query = f"semester={d.scope.semester.id}" + (
        f"&team={d.scope.team_id}" if d.scope.team_id else ""
    )
    return {
        "d": d,
        "semesters": semesters,
        "teams": teams,
        "query": query,
        "charts": chart_set(d, compact=compact),
        "family_labels": {f.key: f.label for f in d.families},
        "heat": heat,
        "number": charts.number,
        "percent": charts.percent,
        "signs": DIRECTION_SIGNS,
        "patterns": main_patterns(d),
        "questions": [_(q) for q in QUESTIONS],
        "may_export": can(actor, Action.export_aggregates),
        "may_pack": can(actor, Action.session_pack),
        "generated": f"{nl_date(d.scope.generated_at)} {nl_time(d.scope.generated_at)}",
    }


@coulissen_pages.get("/coulissen")
def dashboard_page(
    request: Request,
    actor: SchoolActor,
    session: SessionDep,
    semester: str = "",
    team: str = "",
) -> Response:
    return render(request, "coulissen.html", **_context(session, actor, semester, team))


def _pack(
    request: Request, session: Session, actor: Actor, semester: str, team: str, template: str
) -> Response:
    """The session pack, printed or projected: the development group's, with example notes."""
    authorize(actor, Action.session_pack)
    # Printed, the charts share half an A4 column; projected, they have the screen.
    context = _context(session, actor, semester, team, compact=template == "sessiepakket.html")
    context["notes"] = coulissen.example_notes(
        session, context["d"], school_of(actor).id, NOTES_IN_PACK
    )
    return render(request, template, **context)


@coulissen_pages.get("/coulissen/sessiepakket")
def session_pack(
    request: Request, actor: SchoolActor, session: SessionDep, semester: str = "", team: str = ""
) -> Response:
    return _pack(request, session, actor, semester, team, "sessiepakket.html")


@coulissen_pages.get("/coulissen/projectie")
def projector(
    request: Request, actor: SchoolActor, session: SessionDep, semester: str = "", team: str = ""
) -> Response:
    return _pack(request, session, actor, semester, team, "projectie.html")


@coulissen_pages.get("/coulissen/export.csv")
def export_csv(
    actor: SchoolActor, session: SessionDep, semester: str = "", team: str = ""
) -> Response:
    authorize(actor, Action.export_aggregates)
    d = dashboard_for(session, actor, semester, team)
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    scope = d.scope
    # Every row carries its context, so that a filtered or pasted part still says what it is.
    context = [
        scope.school,
        scope.team or _("hele school"),
        scope.semester.name,
        scope.codebook_version if scope.codebook_version is not None else "",
        scope.minimum,
        scope.generated_at.isoformat(),
    ]
    header, *rows = coulissen.to_csv_rows(d)
    writer.writerow(
        [
            _("school"),
            _("team"),
            _("semester"),
            _("codeboekversie"),
            _("minimum docenten"),
            _("gemaakt op"),
            *header,
        ]
    )
    writer.writerows([*context, *row] for row in rows)
    slug = "".join(c if c.isalnum() else "-" for c in scope.semester.name.lower()).strip("-")
    team_part = f"-{scope.team_id.hex[:8]}" if scope.team_id else ""
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="coulissen-{slug}{team_part}.csv"'},
    )
