"""Jinja2 set-up for the server-rendered pages: Dutch text through ``_()``, dates shown in the
school's time zone."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from app import access
from app.i18n import _, ngettext
from app.settings import get_settings

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
env = templates.env
env.add_extension("jinja2.ext.i18n")
env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda s: _(s), lambda s, p, n: ngettext(s, p, n), newstyle=True
)

MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
WEEKDAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]


def local(value: datetime) -> datetime:
    return value.astimezone(get_settings().tz)


def nl_date(value: date | datetime | None, weekday: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    text = f"{value.day} {_(MONTHS[value.month - 1])} {value.year}"
    return f"{_(WEEKDAYS[value.weekday()])} {text}" if weekday else text


def nl_time(value: datetime | None) -> str:
    return local(value).strftime("%H:%M") if value else ""


env.filters["nl_date"] = nl_date
env.filters["nl_time"] = nl_time


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    context.setdefault("actor", actor)
    context.setdefault("csrf_token", actor.auth.csrf_token if actor else "")
    if actor is not None:
        context.setdefault("allowed", access.allowed(actor))
    return templates.TemplateResponse(request, name, context, status_code=status_code)
