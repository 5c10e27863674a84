"""What every page shares: notices after a redirect, form parsing that answers in Dutch, the
admin's dependency, and the labels the templates show.

Routes are thin: parse the form, authorize, call a use case, then redirect (303, so that a
reload never sends a form twice) or show the form again with the message and the person's own
input, with the use case's 4xx status (:func:`failed`).
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from app import people
from app.access import Action, authorize
from app.auth import Actor, SchoolActor
from app.errors import DomainError, Invalid
from app.i18n import _
from app.models import ObservationStatus, Role, School
from app.settings import get_settings
from app.web.templating import env, render

env.globals.update(role_label=people.role_label, value_of=lambda v: getattr(v, "value", v))

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
    """Show a form again with the use case's message. The use case has rolled back whatever it
    had begun, so the page shows what is stored, with the person's own input beside it."""
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


def labels(labels: dict[Any, str]) -> dict[str, str]:
    return {getattr(k, "value", k): _(v) for k, v in labels.items()}
