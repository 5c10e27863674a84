"""A person's own pages: logging in and out, accepting an invitation, their account, and the
home page with the lessons they may open.

Every form carries the session's CSRF token (checked in :mod:`app.auth`). The login and
invitation forms, which have no session yet, carry a signed token that must match a short-lived
cookie on their own path. The invitation page that sets a password answers directly.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app import auth, observations, people, schools
from app.access import Action, can
from app.auth import (
    Actor,
    CurrentActor,
    OptionalActor,
    set_device_cookie,
    set_login_form_cookie,
    set_session_cookie,
)
from app.db import SessionDep
from app.errors import DomainError, Forbidden, Invalid
from app.i18n import _
from app.models import School
from app.web.common import STATUS_LABELS, labels, notice, parse_ids, redirect, safe_next
from app.web.templating import render

pages = APIRouter(include_in_schema=False)

INVITATION_PATH = "/uitnodiging"


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
            replaces=request.cookies.get(auth.SESSION_COOKIE),
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
    response = redirect(target)
    set_session_cookie(request, response, done.token)
    set_device_cookie(request, response, done.device)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/inloggen")
    return response


@pages.post("/uitloggen")
def logout(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    auth.logout(session, token=request.cookies.get(auth.SESSION_COOKIE, ""))
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
            replaces=request.cookies.get(auth.SESSION_COOKIE),
        )
    except Invalid as e:
        return _invitation_page(request, session, token, error=e.message, status_code=e.status_code)
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
    if can(actor, Action.observe):
        sections.append(
            (
                "observer",
                _("Mijn observaties"),
                _("Lessen die jij observeerde, de nieuwste eerst."),
                _("Je hebt nog geen les geobserveerd. Observaties die je maakt, verschijnen hier."),
            )
        )
    if can(actor, Action.own_lessons):
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
        status_labels=labels(STATUS_LABELS),
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
