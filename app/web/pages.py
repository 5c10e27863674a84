"""Server-rendered pages (Jinja2): they work without JavaScript and print well.

Routes are thin: parse the form, authorize, call a use case, then redirect (303, so that a
reload never sends a form twice) or show the form again with the message and the person's own
input, with the use case's 4xx status. The pages that show new invitation links (invite, new
link, CSV import) answer the POST directly instead, on purpose: a link exists only in that
answer (only its hash is stored), so it is shown once and never cached.

Every form carries the session's CSRF token (checked in :mod:`app.auth`). The login and
invitation forms, which have no session yet, carry a signed token that must match a short-lived
cookie on their own path.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app import auth, codebook, observations, people, schools
from app.access import Action, authorize, can
from app.api import set_device_cookie, set_session_cookie
from app.auth import Actor, CurrentActor, OptionalActor, SchoolActor
from app.db import SessionDep
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.headers import over_https
from app.i18n import _
from app.models import (
    CodebookVersion,
    CodeKind,
    ObservationStatus,
    Person,
    Role,
    School,
    Semester,
    utcnow,
)
from app.settings import get_settings
from app.templating import env, render

pages = APIRouter(include_in_schema=False)

env.globals.update(
    role_label=people.role_label,
    can=can,
    Action=Action,
    Role=Role,
    value_of=lambda v: getattr(v, "value", v),
)

INVITATION_PATH = "/uitnodiging"
CSV_MAX_BYTES = 1_000_000

ROLE_ORDER = [Role.coach, Role.teacher, Role.development_group, Role.admin]
STATUS_LABELS = {
    ObservationStatus.in_progress: "Bezig",
    ObservationStatus.ended: "Les afgelopen",
    ObservationStatus.ready: "Klaar",
}

# Messages shown once after a redirect (?melding=...). Source texts; translated when shown.
NOTICES = {
    "school": "Je werkt nu in deze school.",
    "rollen": "De rollen zijn opgeslagen.",
    "aan": "Het account staat weer aan.",
    "uit": "Het account staat uit in deze school. Deze persoon is hier uitgelogd.",
    "lid": "Welkom: je hoort nu bij deze school en werkt er nu in.",
    "wachtwoord": "Je wachtwoord is gewijzigd.",
    "apparaten": "Je bent op die apparaten uitgelogd.",
    "team-nieuw": "Het team is toegevoegd.",
    "team-naam": "De naam van het team is aangepast.",
    "team-leden": (
        "De leden van het team zijn opgeslagen. In de teamfiguren tellen ze mee vanaf het "
        "volgende semester: een semester houdt de leden waarmee het begon."
    ),
    "team-weg": "Het team is verwijderd.",
    "semester-nieuw": "Het semester is toegevoegd.",
    "semester-opgeslagen": "Het semester is opgeslagen.",
    "semester-weg": "Het semester is verwijderd.",
    "code-nieuw": "De code is toegevoegd. Het codeboek heeft een nieuwe versie.",
    "code-opgeslagen": "De code is aangepast. Het codeboek heeft een nieuwe versie.",
    "code-uit": "De code is uitgezet. Oude observaties houden haar betekenis.",
    "code-aan": "De code is weer aangezet.",
    "school-opgeslagen": "De instellingen van de school zijn opgeslagen.",
    "gedeeld": "De observatie is gedeeld.",
    "ingetrokken": "Het delen is ingetrokken; die collega kan de observatie niet meer openen.",
    "buiten-team": "Deze observatie telt niet mee in de teampatronen.",
    "binnen-team": "Deze observatie telt weer mee in de teampatronen.",
    "reflectie": "Je reflectie is bewaard.",
    "reactie": "Je reactie is geplaatst.",
    "reactie-ingetrokken": "Je reactie is ingetrokken.",
}


def today() -> date:
    """Today in the school's time zone (a semester starts at local midnight)."""
    return datetime.now(get_settings().tz).date()


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def notice(melding: str | None) -> str | None:
    return _(NOTICES[melding]) if melding in NOTICES else None


def safe_next(value: str | None) -> str:
    """Only a path on this site: one leading slash, no scheme, host or backslash."""
    if (
        not value
        or len(value) > 500
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return "/"
    return value


def failed(request: Request, template: str, error: DomainError, **context: Any) -> Response:
    """Show a form again with the use case's message. The caller rolls back whatever the use
    case left half done *before* it reads the page's data, so the page shows what is stored."""
    return render(request, template, status_code=error.status_code, error=error.message, **context)


def admin_actor(actor: SchoolActor) -> Actor:
    authorize(actor, Action.administer)
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]


def school_of(actor: Actor) -> School:
    assert actor.school is not None
    return actor.school


def parse_int(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise Invalid(_("{field} moet een geheel getal zijn.", field=field)) from None


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(
            _("{field} is geen geldige datum; gebruik bijvoorbeeld 2026-08-01.", field=field)
        ) from None


def parse_uuid(value: str, message: str) -> uuid.UUID | None:
    """An optional id from a form or a query: empty is None, anything else must be an id."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as e:
        raise Invalid(message) from e


def parse_yes_no(value: str) -> bool:
    if value not in ("ja", "nee"):
        raise Invalid(_("Kies ja of nee."))
    return value == "ja"


def parse_roles(values: list[str] | None) -> list[Role]:
    try:
        return [Role(v) for v in values or []]
    except ValueError:
        raise Invalid(_("Onbekende rol gekozen.")) from None


def parse_ids(values: list[str] | None) -> set[uuid.UUID]:
    try:
        return {uuid.UUID(v) for v in values or []}
    except ValueError:
        raise Invalid(_("Onbekende persoon gekozen.")) from None


def role_options() -> list[tuple[str, str]]:
    return [(r.value, people.role_label(r)) for r in ROLE_ORDER]


# --- logging in and out --------------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    token: str,
    email: str,
    volgende: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_token=token,
        email=email,
        volgende=volgende,
        error=error,
    )
    set_login_form_cookie(request, response, token, "/inloggen")
    return response


def set_login_form_cookie(request: Request, response: Response, token: str, path: str) -> None:
    """The signed token of a form used before there is a session (login, invitation)."""
    response.set_cookie(
        auth.LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        path=path,
        secure=over_https(request.url.scheme),
    )


@pages.get("/inloggen")
def login_form(request: Request, actor: OptionalActor, volgende: str = "") -> Response:
    target = safe_next(volgende)
    if actor is not None:
        return redirect(target)
    return _login_page(
        request, token=auth.login_form_token(), email="", volgende=target if target != "/" else ""
    )


@pages.post("/inloggen")
def login_submit(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    volgende: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    auth.check_same_origin(request)
    auth.check_login_form_token(request.cookies.get(auth.LOGIN_CSRF_COOKIE), csrf_token)
    target = safe_next(volgende)
    try:
        done = auth.login(
            session,
            email=email,
            password=password,
            address=auth.client_address(request),
            user_agent=request.headers.get("user-agent", ""),
            device=request.cookies.get(auth.DEVICE_COOKIE),
        )
    except DomainError as e:
        page = render(
            request,
            "login.html",
            status_code=e.status_code,
            login_token=csrf_token,
            email=email,
            volgende=volgende if target != "/" else "",
            error=e.message,
        )
        for name, value in e.headers.items():
            page.headers[name] = value
        return page
    old = request.cookies.get(auth.SESSION_COOKIE)
    if old:
        auth.end_session(session, old)
        session.commit()
    response = redirect(target)
    set_session_cookie(request, response, done.token)
    set_device_cookie(request, response, done.device)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/inloggen")
    return response


@pages.post("/uitloggen")
def logout(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    auth.end_session(session, request.cookies.get(auth.SESSION_COOKIE, ""))
    session.commit()
    response = redirect("/inloggen")
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# --- accepting an invitation ---------------------------------------------------------------------


def _invitation_page(
    request: Request,
    session: Session,
    token: str,
    *,
    actor: Actor | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    invitation, person = people.find_invitation(session, token)
    school = session.get(School, invitation.school_id)
    form_token = auth.login_form_token()
    response = render(
        request,
        "invitation.html",
        status_code=status_code,
        person=person,
        school=school,
        invitation=invitation,
        sets_password=people.sets_password(session, invitation, person),
        for_me=actor is not None and actor.person.id == person.id,
        logged_in=actor is not None,
        token=token,
        login_token=form_token,
        error=error,
        password_min=auth.PASSWORD_MIN,
    )
    set_login_form_cookie(request, response, form_token, INVITATION_PATH)
    # Stricter than the site's policy: the page's own address is the secret.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@pages.get(INVITATION_PATH + "/{token}")
def invitation_form(
    token: str, request: Request, actor: OptionalActor, session: SessionDep
) -> Response:
    return _invitation_page(request, session, token, actor=actor)


@pages.post(INVITATION_PATH + "/{token}")
def invitation_submit(
    token: str,
    request: Request,
    session: SessionDep,
    password: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    password_again: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    auth.check_same_origin(request)
    auth.check_login_form_token(request.cookies.get(auth.LOGIN_CSRF_COOKIE), csrf_token)
    try:
        _person, cookie = people.join_by_invitation(
            session,
            token=token,
            password=password,
            repeated=password_again,
            user_agent=request.headers.get("user-agent", ""),
        )
    except Invalid as e:
        session.rollback()
        return _invitation_page(request, session, token, error=e.message, status_code=e.status_code)
    old = request.cookies.get(auth.SESSION_COOKIE)
    if old:
        auth.end_session(session, old)
        session.commit()
    response = redirect("/")
    set_session_cookie(request, response, cookie)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path=INVITATION_PATH)
    return response


@pages.post(INVITATION_PATH + "/{token}/accepteren")
def invitation_accept(
    token: str, request: Request, actor: CurrentActor, session: SessionDep
) -> Response:
    """Someone with an account, logged in, joins the school that invited them."""
    try:
        people.join_school(session, token=token, actor=actor)
    except (Invalid, Forbidden) as e:
        session.rollback()
        return _invitation_page(
            request, session, token, actor=actor, error=e.message, status_code=e.status_code
        )
    return redirect("/?melding=lid")


# --- my account: password and sessions ------------------------------------------------------------


def device_label(user_agent: str) -> str:
    """A short, recognisable name for the browser a session was opened in."""
    ua = user_agent.lower()
    system = next(
        (name for key, name in (
            ("ipad", "iPad"), ("iphone", "iPhone"), ("android", "Android"),
            ("windows", "Windows"), ("mac os", "Mac"), ("cros", "Chromebook"), ("linux", "Linux"),
        ) if key in ua),
        "",
    )  # fmt: skip
    browser = next(
        (name for key, name in (
            ("edg/", "Edge"), ("firefox", "Firefox"), ("chrome", "Chrome"), ("safari", "Safari"),
        ) if key in ua),
        "",
    )  # fmt: skip
    label = " · ".join(x for x in (browser, system) if x)
    return label or _("Onbekend apparaat")


def _account_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    error: str | None = None,
    section: str = "",
    status_code: int = 200,
    melding: str | None = None,
) -> Response:
    rows = [
        {
            "id": row.id,
            "device": device_label(row.user_agent),
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "current": row.id == actor.auth.id,
        }
        for row in auth.sessions_of(session, actor.person.id)
    ]
    response = render(
        request,
        "account.html",
        status_code=status_code,
        sessions=rows,
        error=error,
        section=section,
        notice=notice(melding),
        password_min=auth.PASSWORD_MIN,
    )
    return response


@pages.get("/mijn-account")
def account_page(
    request: Request, actor: CurrentActor, session: SessionDep, melding: str | None = None
) -> Response:
    return _account_page(request, session, actor, melding=melding)


@pages.post("/mijn-account/wachtwoord")
def account_password(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    current: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    new: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    again: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    elders_uitloggen: Annotated[str, Form()] = "",
) -> Response:
    schools_of = [actor.school.name] if actor.school else []
    try:
        auth.change_password(
            session,
            actor=actor,
            current=current,
            new=new,
            repeated=again,
            address=auth.client_address(request),
            context=schools_of,
            end_others=elders_uitloggen == "ja",
        )
    except DomainError as e:
        session.rollback()
        return _account_page(
            request, session, actor, error=e.message, section="wachtwoord",
            status_code=e.status_code,
        )  # fmt: skip
    return redirect("/mijn-account?melding=wachtwoord#wachtwoord")


@pages.post("/mijn-account/apparaten")
def account_sessions(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    password: Annotated[str, Form(max_length=auth.PASSWORD_MAX)] = "",
    sessies: Annotated[list[str] | None, Form()] = None,
    alle: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            only = None if alle == "ja" else parse_ids(sessies)
        except Invalid:
            raise Invalid(_("Onbekend apparaat gekozen.")) from None
        if only is not None and not only:
            raise Invalid(_("Kies een apparaat om uit te loggen, of ‘alle andere apparaten’."))
        auth.end_sessions_with_password(
            session, actor=actor, password=password, address=auth.client_address(request),
            only=only,
        )  # fmt: skip
    except DomainError as e:
        session.rollback()
        return _account_page(
            request, session, actor, error=e.message, section="apparaten",
            status_code=e.status_code,
        )  # fmt: skip
    return redirect("/mijn-account?melding=apparaten#apparaten")


# --- home ----------------------------------------------------------------------------------------


@pages.get("/")
def home(
    request: Request, actor: OptionalActor, session: SessionDep, melding: str | None = None
) -> Response:
    if actor is None:
        return redirect("/inloggen")
    if actor.school is None:
        return render(request, "home.html", sections=[], schools=[], notice=notice(melding))
    sections = []
    if actor.has(Role.coach) or actor.has(Role.teacher):
        sections.append(
            (
                "observer",
                _("Mijn observaties"),
                _("Lessen die jij observeerde, de nieuwste eerst."),
                _("Je hebt nog geen les geobserveerd. Observaties die je maakt, verschijnen hier."),
            )
        )
    if actor.has(Role.teacher):
        sections.append(
            (
                "observed",
                _("Observaties van mijn lessen"),
                _("Alles wat in jouw lessen is vastgelegd. Jij ziet het altijd helemaal."),
                _("Er is nog geen les van jou geobserveerd."),
            )
        )
    sections.append(
        (
            "shared",
            _("Met mij gedeeld"),
            _("Observaties die een collega met jou heeft gedeeld."),
            _("Er is nog niets met je gedeeld."),
        )
    )
    lists = [
        {
            "key": key,
            "title": title,
            "intro": intro,
            "empty": empty,
            "rows": observations.list_visible(session, actor=actor, relation=key, limit=20),
        }
        for key, title, intro, empty in sections
    ]
    return render(
        request,
        "home.html",
        sections=lists,
        schools=schools.schools_of(session, actor.person.id),
        status_labels=_labels(STATUS_LABELS),
        notice=notice(melding),
    )


@pages.post("/school")
def choose_school(
    actor: CurrentActor, session: SessionDep, school_id: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    try:
        chosen = uuid.UUID(school_id)
    except ValueError:
        raise Invalid(_("Kies een school uit de lijst.")) from None
    auth.switch_school(session, actor=actor, school_id=chosen)
    return redirect("/?melding=school")


def _labels(labels: dict[Any, str]) -> dict[str, str]:
    return {getattr(k, "value", k): _(v) for k, v in labels.items()}


# --- admin: overview -----------------------------------------------------------------------------


@pages.get("/beheer")
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


@pages.get("/beheer/mensen")
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


@pages.post("/beheer/mensen")
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
        session.rollback()
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
@pages.get("/beheer/mensen/import")
def import_page(request: Request, actor: AdminActor) -> Response:
    return render(request, "admin/import.html", text="", errors=[], invited=[])


@pages.post("/beheer/mensen/import")
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
        session.rollback()
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


@pages.get("/beheer/mensen/{person_id}")
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


@pages.post("/beheer/mensen/{person_id}/rollen")
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
        session.rollback()
        context = _person_context(session, school, person_id)
        context["roles"] = roles or []
        return failed(request, "admin/person.html", e, **context)
    return redirect(f"/beheer/mensen/{person_id}?melding=rollen")


@pages.post("/beheer/mensen/{person_id}/actief")
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
        session.rollback()
        return failed(
            request, "admin/person.html", e, **_person_context(session, school, person_id)
        )
    return redirect(f"/beheer/mensen/{person_id}?melding={'aan' if active else 'uit'}")


@pages.post("/beheer/mensen/{person_id}/uitnodiging")
def person_reinvite(
    person_id: uuid.UUID, request: Request, actor: AdminActor, session: SessionDep
) -> Response:
    school = school_of(actor)
    try:
        link = people.reinvite_pending(
            session, school_id=school.id, person_id=person_id, by=actor.person.id
        )
    except Invalid as e:
        session.rollback()
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


@pages.get("/beheer/teams")
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


@pages.post("/beheer/teams")
def team_add(
    request: Request, actor: AdminActor, session: SessionDep, name: Annotated[str, Form()] = ""
) -> Response:
    school = school_of(actor)
    try:
        team = schools.add_team(session, school_id=school.id, name=name)
    except DomainError as e:
        session.rollback()
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


@pages.get("/beheer/teams/{team_id}")
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


@pages.post("/beheer/teams/{team_id}")
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
        session.rollback()
        context = _team_context(session, school, team_id)
        context["team_name"] = name
        return failed(request, "admin/team.html", e, **context)
    return redirect(f"/beheer/teams/{team_id}?melding=team-naam")


@pages.post("/beheer/teams/{team_id}/leden")
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
        session.rollback()
        return failed(request, "admin/team.html", e, **_team_context(session, school, team_id))
    return redirect(f"/beheer/teams/{team_id}?melding=team-leden")


@pages.get("/beheer/teams/{team_id}/verwijderen")
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


@pages.post("/beheer/teams/{team_id}/verwijderen")
def team_delete(team_id: uuid.UUID, actor: AdminActor, session: SessionDep) -> Response:
    schools.delete_team(session, school_id=school_of(actor).id, team_id=team_id)
    return redirect("/beheer/teams?melding=team-weg")


# --- admin: semesters ----------------------------------------------------------------------------


def _semesters_context(session: Session, school: School) -> dict[str, Any]:
    return {
        "semesters": schools.semesters(session, school.id),
        "current": schools.semester_on(session, school.id, today()),
    }


@pages.get("/beheer/semesters")
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


@pages.post("/beheer/semesters")
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
        session.rollback()
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


@pages.get("/beheer/semesters/{semester_id}")
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


@pages.post("/beheer/semesters/{semester_id}")
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
        session.rollback()
        return failed(
            request,
            "admin/semester.html",
            e,
            semester=_semester(session, school, semester_id),
            form={"name": name, "starts_on": starts_on, "ends_on": ends_on},
        )
    return redirect("/beheer/semesters?melding=semester-opgeslagen")


@pages.get("/beheer/semesters/{semester_id}/verwijderen")
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


@pages.post("/beheer/semesters/{semester_id}/verwijderen")
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
    versions = session.exec(
        select(CodebookVersion, Person)
        .join(Person, col(Person.id) == CodebookVersion.created_by_id, isouter=True)
        .where(CodebookVersion.school_id == school.id)
        .order_by(col(CodebookVersion.number).desc())
    ).all()
    return {
        "version": version,
        "families": families,
        "versions": versions,
        "kind_labels": _labels(codebook.KIND_LABELS),
        "family_options": [(f.key, f.label) for f in codebook.families().values()],
    }


@pages.get("/beheer/codeboek")
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


@pages.post("/beheer/codeboek")
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
        session.rollback()
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


@pages.get("/beheer/codeboek/{key}")
def code_page(key: str, request: Request, actor: AdminActor, session: SessionDep) -> Response:
    return render(request, "admin/code.html", **_code_context(session, school_of(actor), key))


@pages.post("/beheer/codeboek/{key}")
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
        session.rollback()
        context = _code_context(session, school, key)
        context["form"] = {"label": label, "description": description}
        return failed(request, "admin/code.html", e, **context)
    return redirect("/beheer/codeboek?melding=code-opgeslagen")


@pages.post("/beheer/codeboek/{key}/status")
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


@pages.get("/beheer/school")
def school_page(request: Request, actor: AdminActor, melding: str | None = None) -> Response:
    return render(
        request, "admin/school.html", form=_school_form(school_of(actor)), notice=notice(melding)
    )


@pages.post("/beheer/school")
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
        session.rollback()
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
