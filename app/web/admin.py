"""The school leader's pages: people and invitations, teams, semesters, the codebook and the
school's settings. Every route takes :data:`AdminActor`, so only a school leader reaches them,
and only for their current school.

The pages that show new invitation links (invite, new link, CSV import) answer the POST
directly instead of redirecting, on purpose: a link exists only in that answer (only its hash is
stored), so it is shown once and never cached.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app import codebook, people, schools
from app.db import SessionDep
from app.errors import DomainError, Invalid, NotFound
from app.i18n import _
from app.models import CodeKind, Person, School, Semester, utcnow
from app.web.common import (
    AdminActor,
    failed,
    labels,
    notice,
    parse_date,
    parse_ids,
    parse_int,
    parse_roles,
    parse_yes_no,
    redirect,
    role_options,
    school_of,
    today,
)
from app.web.templating import render

admin_pages = APIRouter(include_in_schema=False)

CSV_MAX_BYTES = 1_000_000


# --- admin: overview -----------------------------------------------------------------------------


@admin_pages.get("/beheer")
def admin_overview(request: Request, actor: AdminActor, session: SessionDep) -> Response:
    school = school_of(actor)
    members = people.people_of(session, school.id)
    version = codebook.current_version(session, school.id)
    return render(
        request,
        "admin/overview.html",
        school=school,
        people_count=sum(1 for _p, m in members if m.active),
        pending_count=sum(1 for p, m in members if m.active and p.password_hash is None),
        team_count=len(schools.teams(session, school.id)),
        semester=schools.semester_on(session, school.id, today()),
        semester_count=len(schools.semesters(session, school.id)),
        version=version,
        code_count=sum(1 for c in codebook.codes_of(session, version.id) if not c.retired),
    )


# --- admin: people -------------------------------------------------------------------------------


@dataclass
class PersonRow:
    person: Person
    roles: list[str]
    teams: list[str]
    invitation_expires: datetime | None


def _people_context(session: Session, school: School) -> dict[str, Any]:
    teams = people.team_names_by_person(session, school.id)
    pending = people.open_invitations(session, school.id)
    rows = [
        PersonRow(
            person=p,
            roles=[people.role_label(r) for r in m.roles],
            teams=teams.get(p.id, []),
            invitation_expires=pending.get(p.id) if p.password_hash is None else None,
        )
        for p, m in people.people_of(session, school.id)
    ]
    joins = [
        {
            "name": j.name,
            "email": j.email,
            "roles": [people.role_label(r) for r in j.roles],
            "expires_at": j.expires_at,
        }
        for j in people.pending_joins(session, school.id)
    ]
    return {"rows": rows, "joins": joins, "role_options": role_options(), "now": utcnow()}


@admin_pages.get("/beheer/mensen")
def people_page(
    request: Request, actor: AdminActor, session: SessionDep, melding: str | None = None
) -> Response:
    return render(
        request,
        "admin/people.html",
        form={},
        notice=notice(melding),
        **_people_context(session, school_of(actor)),
    )


@admin_pages.post("/beheer/mensen")
def people_invite(
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    school = school_of(actor)
    try:
        invited = people.invite(
            session,
            school_id=school.id,
            email=email,
            name=name,
            roles=parse_roles(roles),
            by=actor.person.id,
        )
    except DomainError as e:
        return failed(
            request,
            "admin/people.html",
            e,
            form={"name": name, "email": email, "roles": roles or []},
            **_people_context(session, school),
        )
    return _invited_page(request, [invited])


def _invited_page(
    request: Request,
    invited: list[people.Invited],
    template: str = "admin/invited.html",
    **context: Any,
) -> Response:
    return render(request, template, invited=invited, **context)


# Declared before /beheer/mensen/{person_id}, which would otherwise take "import" for an id.
@admin_pages.get("/beheer/mensen/import")
def import_page(request: Request, actor: AdminActor) -> Response:
    return render(request, "admin/import.html", text="", errors=[], invited=[])


@admin_pages.post("/beheer/mensen/import")
def import_submit(
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    school = school_of(actor)
    if file is not None and file.filename:
        raw = file.file.read(CSV_MAX_BYTES + 1)
        if len(raw) > CSV_MAX_BYTES:
            return render(
                request,
                "admin/import.html",
                status_code=413,
                text="",
                invited=[],
                errors=[_("Het bestand is groter dan 1 MB. Splits het op.")],
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                return render(
                    request,
                    "admin/import.html",
                    status_code=422,
                    text="",
                    invited=[],
                    errors=[
                        _(
                            "Dit bestand is geen tekst (CSV). Sla het op als CSV "
                            "(UTF-8) en probeer het opnieuw."
                        )
                    ],
                )
    if not text.strip():
        return render(
            request,
            "admin/import.html",
            status_code=422,
            text="",
            invited=[],
            errors=[_("Kies een CSV-bestand of plak de regels in het tekstvak.")],
        )
    report = people.import_people(session, school_id=school.id, text=text, by=actor.person.id)
    if report.errors:
        return render(
            request,
            "admin/import.html",
            status_code=422,
            text=text,
            errors=report.errors,
            invited=[],
        )
    return _invited_page(request, report.invited, template="admin/import.html", text="", errors=[])


def _person_context(session: Session, school: School, person_id: uuid.UUID) -> dict[str, Any]:
    membership = people.membership(session, school.id, person_id)
    person = session.get(Person, person_id)
    pending = people.open_invitations(session, school.id)
    return {
        "person": person,
        "roles": [r.value for r in membership.roles],
        "role_options": role_options(),
        "teams": people.team_names_by_person(session, school.id).get(person_id, []),
        "invitation_expires": pending.get(person_id),
        "now": utcnow(),
    }


@admin_pages.get("/beheer/mensen/{person_id}")
def person_page(
    person_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    melding: str | None = None,
) -> Response:
    return render(
        request,
        "admin/person.html",
        notice=notice(melding),
        **_person_context(session, school_of(actor), person_id),
    )


@admin_pages.post("/beheer/mensen/{person_id}/rollen")
def person_roles(
    person_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    school = school_of(actor)
    try:
        people.set_roles(
            session, school_id=school.id, person_id=person_id, roles=parse_roles(roles)
        )
    except Invalid as e:
        context = _person_context(session, school, person_id)
        context["roles"] = roles or []
        return failed(request, "admin/person.html", e, **context)
    return redirect(f"/beheer/mensen/{person_id}?melding=rollen")


@admin_pages.post("/beheer/mensen/{person_id}/actief")
def person_active(
    person_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    actief: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        active = parse_yes_no(actief)
        people.set_active(
            session, school_id=school.id, person_id=person_id, active=active, by=actor.person.id
        )
    except Invalid as e:
        return failed(
            request, "admin/person.html", e, **_person_context(session, school, person_id)
        )
    return redirect(f"/beheer/mensen/{person_id}?melding={'aan' if active else 'uit'}")


@admin_pages.post("/beheer/mensen/{person_id}/uitnodiging")
def person_reinvite(
    person_id: uuid.UUID, request: Request, actor: AdminActor, session: SessionDep
) -> Response:
    school = school_of(actor)
    try:
        link = people.reinvite_pending(
            session, school_id=school.id, person_id=person_id, by=actor.person.id
        )
    except Invalid as e:
        return failed(
            request, "admin/person.html", e, **_person_context(session, school, person_id)
        )
    person = session.get(Person, person_id)
    assert person is not None
    invited = people.Invited(person_id=person.id, name=person.name, email=person.email, link=link)
    return _invited_page(request, [invited], again=True)


# --- admin: teams --------------------------------------------------------------------------------


def _teams_context(session: Session, school: School) -> dict[str, Any]:
    names = {p.id: p.name for p, _m in people.people_of(session, school.id)}
    teams = [
        {
            "team": t,
            "members": sorted(
                names[i] for i in schools.team_member_ids(session, t.id) if i in names
            ),
        }
        for t in schools.teams(session, school.id)
    ]
    return {"teams": teams}


@admin_pages.get("/beheer/teams")
def teams_page(
    request: Request, actor: AdminActor, session: SessionDep, melding: str | None = None
) -> Response:
    return render(
        request,
        "admin/teams.html",
        team_name="",
        notice=notice(melding),
        **_teams_context(session, school_of(actor)),
    )


@admin_pages.post("/beheer/teams")
def team_add(
    request: Request, actor: AdminActor, session: SessionDep, name: Annotated[str, Form()] = ""
) -> Response:
    school = school_of(actor)
    try:
        team = schools.add_team(session, school_id=school.id, name=name)
    except DomainError as e:
        return failed(
            request, "admin/teams.html", e, team_name=name, **_teams_context(session, school)
        )
    return redirect(f"/beheer/teams/{team.id}?melding=team-nieuw")


def _team_context(session: Session, school: School, team_id: uuid.UUID) -> dict[str, Any]:
    team = schools.get_team(session, school.id, team_id)
    members = schools.team_member_ids(session, team.id)
    return {
        "team": team,
        "team_name": team.name,
        "members": {str(i) for i in members},
        "candidates": [
            (p, m) for p, m in people.people_of(session, school.id) if m.active or p.id in members
        ],
    }


@admin_pages.get("/beheer/teams/{team_id}")
def team_page(
    team_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    melding: str | None = None,
) -> Response:
    return render(
        request,
        "admin/team.html",
        notice=notice(melding),
        **_team_context(session, school_of(actor), team_id),
    )


@admin_pages.post("/beheer/teams/{team_id}")
def team_rename(
    team_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        schools.rename_team(session, school_id=school.id, team_id=team_id, name=name)
    except DomainError as e:
        context = _team_context(session, school, team_id)
        context["team_name"] = name
        return failed(request, "admin/team.html", e, **context)
    return redirect(f"/beheer/teams/{team_id}?melding=team-naam")


@admin_pages.post("/beheer/teams/{team_id}/leden")
def team_members(
    team_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    members: Annotated[list[str] | None, Form()] = None,
) -> Response:
    school = school_of(actor)
    try:
        schools.set_team_members(
            session, school_id=school.id, team_id=team_id, person_ids=parse_ids(members)
        )
    except Invalid as e:
        return failed(request, "admin/team.html", e, **_team_context(session, school, team_id))
    return redirect(f"/beheer/teams/{team_id}?melding=team-leden")


@admin_pages.get("/beheer/teams/{team_id}/verwijderen")
def team_delete_confirm(
    team_id: uuid.UUID, request: Request, actor: AdminActor, session: SessionDep
) -> Response:
    context = _team_context(session, school_of(actor), team_id)
    return render(
        request,
        "admin/confirm.html",
        title=_("Team ‘{name}’ verwijderen?", name=context["team"].name),
        explanation=_(
            "De {n} leden blijven gewoon in de school; alleen het team "
            "verdwijnt. Dit kun je niet ongedaan maken.",
            n=len(context["members"]),
        ),
        action=f"/beheer/teams/{team_id}/verwijderen",
        confirm=_("Ja, verwijder het team"),
        back=f"/beheer/teams/{team_id}",
    )


@admin_pages.post("/beheer/teams/{team_id}/verwijderen")
def team_delete(team_id: uuid.UUID, actor: AdminActor, session: SessionDep) -> Response:
    schools.delete_team(session, school_id=school_of(actor).id, team_id=team_id)
    return redirect("/beheer/teams?melding=team-weg")


# --- admin: semesters ----------------------------------------------------------------------------


def _semesters_context(session: Session, school: School) -> dict[str, Any]:
    return {
        "semesters": schools.semesters(session, school.id),
        "current": schools.semester_on(session, school.id, today()),
    }


@admin_pages.get("/beheer/semesters")
def semesters_page(
    request: Request, actor: AdminActor, session: SessionDep, melding: str | None = None
) -> Response:
    return render(
        request,
        "admin/semesters.html",
        form={},
        notice=notice(melding),
        **_semesters_context(session, school_of(actor)),
    )


@admin_pages.post("/beheer/semesters")
def semester_add(
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        schools.add_semester(
            session,
            school_id=school.id,
            name=name,
            starts_on=parse_date(starts_on, _("De begindatum")),
            ends_on=parse_date(ends_on, _("De einddatum")),
        )
    except DomainError as e:
        return failed(
            request,
            "admin/semesters.html",
            e,
            form={"name": name, "starts_on": starts_on, "ends_on": ends_on},
            **_semesters_context(session, school),
        )
    return redirect("/beheer/semesters?melding=semester-nieuw")


def _semester(session: Session, school: School, semester_id: uuid.UUID) -> Semester:
    for semester in schools.semesters(session, school.id):
        if semester.id == semester_id:
            return semester
    raise NotFound(_("Dit semester bestaat niet."))


@admin_pages.get("/beheer/semesters/{semester_id}")
def semester_page(
    semester_id: uuid.UUID, request: Request, actor: AdminActor, session: SessionDep
) -> Response:
    semester = _semester(session, school_of(actor), semester_id)
    return render(
        request,
        "admin/semester.html",
        semester=semester,
        form={
            "name": semester.name,
            "starts_on": semester.starts_on.isoformat(),
            "ends_on": semester.ends_on.isoformat(),
        },
    )


@admin_pages.post("/beheer/semesters/{semester_id}")
def semester_update(
    semester_id: uuid.UUID,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        schools.update_semester(
            session,
            school_id=school.id,
            semester_id=semester_id,
            name=name,
            starts_on=parse_date(starts_on, _("De begindatum")),
            ends_on=parse_date(ends_on, _("De einddatum")),
        )
    except Invalid as e:
        return failed(
            request,
            "admin/semester.html",
            e,
            semester=_semester(session, school, semester_id),
            form={"name": name, "starts_on": starts_on, "ends_on": ends_on},
        )
    return redirect("/beheer/semesters?melding=semester-opgeslagen")


@admin_pages.get("/beheer/semesters/{semester_id}/verwijderen")
def semester_delete_confirm(
    semester_id: uuid.UUID, request: Request, actor: AdminActor, session: SessionDep
) -> Response:
    semester = _semester(session, school_of(actor), semester_id)
    return render(
        request,
        "admin/confirm.html",
        title=_("Semester ‘{name}’ verwijderen?", name=semester.name),
        explanation=_(
            "Alleen een semester zonder geobserveerde lessen kan weg: de figuren van een "
            "semester met lessen blijven zoals ze waren."
        ),
        action=f"/beheer/semesters/{semester_id}/verwijderen",
        confirm=_("Ja, verwijder het semester"),
        back=f"/beheer/semesters/{semester_id}",
    )


@admin_pages.post("/beheer/semesters/{semester_id}/verwijderen")
def semester_delete(semester_id: uuid.UUID, actor: AdminActor, session: SessionDep) -> Response:
    schools.delete_semester(session, school_id=school_of(actor).id, semester_id=semester_id)
    return redirect("/beheer/semesters?melding=semester-weg")


# --- admin: codebook -----------------------------------------------------------------------------


def _codebook_context(session: Session, school: School) -> dict[str, Any]:
    version = codebook.current_version(session, school.id)
    codes = codebook.codes_of(session, version.id)
    families = [
        {"family": f, "codes": [c for c in codes if c.family == f.key]}
        for f in codebook.families().values()
    ]
    versions = codebook.versions(session, school.id)
    return {
        "version": version,
        "families": families,
        "versions": versions,
        "kind_labels": labels(codebook.KIND_LABELS),
        "family_options": [(f.key, f.label) for f in codebook.families().values()],
    }


@admin_pages.get("/beheer/codeboek")
def codebook_page(
    request: Request, actor: AdminActor, session: SessionDep, melding: str | None = None
) -> Response:
    return render(
        request,
        "admin/codebook.html",
        form={},
        notice=notice(melding),
        **_codebook_context(session, school_of(actor)),
    )


@admin_pages.post("/beheer/codeboek")
def code_add(
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    key: Annotated[str, Form()] = "",
    family: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        codebook.add_code(
            session,
            school_id=school.id,
            by=actor.person.id,
            key=key,
            family=family,
            kind=kind,
            label=label,
            description=description,
        )
    except DomainError as e:
        return failed(
            request,
            "admin/codebook.html",
            e,
            form={
                "key": key,
                "family": family,
                "kind": kind,
                "label": label,
                "description": description,
            },
            **_codebook_context(session, school),
        )
    return redirect("/beheer/codeboek?melding=code-nieuw")


def _code_context(session: Session, school: School, key: str) -> dict[str, Any]:
    version = codebook.current_version(session, school.id)
    code = next((c for c in codebook.codes_of(session, version.id) if c.key == key), None)
    if code is None:
        raise NotFound(_("Deze code staat niet in het codeboek van de school."))
    family = codebook.families().get(code.family)
    return {
        "code": code,
        "family": family,
        "kind_label": _(codebook.KIND_LABELS[CodeKind(code.kind)]),
        "form": {"label": code.label, "description": code.description},
    }


@admin_pages.get("/beheer/codeboek/{key}")
def code_page(key: str, request: Request, actor: AdminActor, session: SessionDep) -> Response:
    return render(request, "admin/code.html", **_code_context(session, school_of(actor), key))


@admin_pages.post("/beheer/codeboek/{key}")
def code_rename(
    key: str,
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    label: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        codebook.rename_code(
            session,
            school_id=school.id,
            by=actor.person.id,
            key=key,
            label=label,
            description=description,
        )
    except Invalid as e:
        context = _code_context(session, school, key)
        context["form"] = {"label": label, "description": description}
        return failed(request, "admin/code.html", e, **context)
    return redirect("/beheer/codeboek?melding=code-opgeslagen")


@admin_pages.post("/beheer/codeboek/{key}/status")
def code_retire(
    key: str, actor: AdminActor, session: SessionDep, uitgezet: Annotated[str, Form()] = ""
) -> Response:
    retired = parse_yes_no(uitgezet)
    codebook.set_retired(
        session, school_id=school_of(actor).id, by=actor.person.id, key=key, retired=retired
    )
    return redirect(f"/beheer/codeboek?melding={'code-uit' if retired else 'code-aan'}")


# --- admin: the school ---------------------------------------------------------------------------


def _school_form(school: School) -> dict[str, str]:
    return {
        "name": school.name,
        "aggregate_minimum": str(school.aggregate_minimum),
        "retention_years": str(school.retention_years),
        "phases": "\n".join(school.phases),
    }


@admin_pages.get("/beheer/school")
def school_page(request: Request, actor: AdminActor, melding: str | None = None) -> Response:
    return render(
        request, "admin/school.html", form=_school_form(school_of(actor)), notice=notice(melding)
    )


@admin_pages.post("/beheer/school")
def school_update(
    request: Request,
    actor: AdminActor,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    aggregate_minimum: Annotated[str, Form()] = "",
    retention_years: Annotated[str, Form()] = "",
    phases: Annotated[str, Form()] = "",
) -> Response:
    school = school_of(actor)
    try:
        schools.update_settings(
            session,
            school_id=school.id,
            name=name,
            aggregate_minimum=parse_int(aggregate_minimum, _("Het minimum per cel")),
            retention_years=parse_int(retention_years, _("De bewaartermijn")),
            phases=phases.splitlines(),
        )
    except DomainError as e:
        return failed(
            request,
            "admin/school.html",
            e,
            form={
                "name": name,
                "aggregate_minimum": aggregate_minimum,
                "retention_years": retention_years,
                "phases": phases,
            },
        )
    return redirect("/beheer/school?melding=school-opgeslagen")
