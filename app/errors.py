"""Errors a person can cause, and :class:`Busy`, the answer when the server cannot take a
request now. Use cases raise these; one handler turns them into a response with a status code
and a Dutch message. Use cases never raise ``HTTPException``.

Input that fails a schema is described here too, in words a person understands, for the
request handler and for the tablet's mutations, which are checked one by one inside a sync
batch."""

from typing import Any

from app.i18n import _
from app.settings import get_settings


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.extra = extra


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


class UpgradeRequired(DomainError):
    status_code = 426
    code = "upgrade_required"


class Busy(DomainError):
    """The server cannot take this request now, and the same request a little later will do:
    an answer, not a fault (the database's write turn, its connections, or the database itself
    are taken). Always with ``Retry-After``. The message speaks to the tablet's user, whose
    work waits on the tablet; a person on a page reads ``page_message``, because a form they
    sent was not kept."""

    status_code = 503
    code = "busy"

    def __init__(self, *, retry_after: int | None = None) -> None:
        seconds = retry_after or get_settings().retry_after_seconds
        super().__init__(
            _(
                "Het is even druk op de server. Je werk staat veilig op de tablet; "
                "de app probeert het zo opnieuw."
            ),
            headers={"Retry-After": str(seconds)},
        )
        self.page_message = _(
            "Het is even druk op de server. Probeer het over een paar seconden opnieuw; "
            "verstuurde je een formulier, ga dan terug en verstuur het nog eens."
        )


def describe_validation_error(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]  # where it came from, not which field (a field may be called "body")
    field = ".".join(loc) or _("de inhoud")
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    # pydantic lists the choices as "'a', 'b' or 'c'".
    options = str(ctx.get("expected", "")).replace(" or ", " " + _("of") + " ")
    messages = {
        "missing": _("{field} ontbreekt.", field=field),
        "json_invalid": _("De inhoud is geen geldige JSON."),
        "string_too_long": _(
            "{field} is te lang (maximaal {n} tekens).", field=field, n=ctx.get("max_length")
        ),
        "string_too_short": _(
            "{field} is te kort (minimaal {n} tekens).", field=field, n=ctx.get("min_length")
        ),
        "too_long": _(
            "{field} bevat te veel onderdelen (maximaal {n}).", field=field, n=ctx.get("max_length")
        ),
        "string_type": _("{field} moet tekst zijn.", field=field),
        "string_unicode": _(
            "{field} bevat een teken dat niet bewaard kan worden (een los surrogaat).",
            field=field,
        ),
        "uuid_parsing": _("{field} is geen geldig id.", field=field),
        "uuid_type": _("{field} is geen geldig id.", field=field),
        "int_parsing": _("{field} moet een geheel getal zijn.", field=field),
        "int_type": _("{field} moet een geheel getal zijn.", field=field),
        "int_from_float": _("{field} moet een geheel getal zijn.", field=field),
        "bool_parsing": _("{field} moet waar of onwaar zijn.", field=field),
        "bool_type": _("{field} moet waar of onwaar zijn.", field=field),
        "greater_than_equal": _("{field} moet minstens {n} zijn.", field=field, n=ctx.get("ge")),
        "less_than_equal": _("{field} mag hoogstens {n} zijn.", field=field, n=ctx.get("le")),
        "enum": _(
            "{field} heeft een onbekende waarde; kies uit {options}.", field=field, options=options
        ),
        "literal_error": _(
            "{field} heeft een onbekende waarde; kies uit {options}.", field=field, options=options
        ),
        "datetime_parsing": _("{field} is geen geldig tijdstip.", field=field),
        "datetime_from_date_parsing": _("{field} is geen geldig tijdstip.", field=field),
        "datetime_type": _("{field} is geen geldig tijdstip.", field=field),
        "date_parsing": _("{field} is geen geldige datum.", field=field),
        "date_from_datetime_parsing": _("{field} is geen geldige datum.", field=field),
        "model_attributes_type": _("De inhoud moet een JSON-object zijn."),
        "dict_type": _("De inhoud moet een JSON-object zijn."),
        "list_type": _("{field} moet een lijst zijn.", field=field),
        "extra_forbidden": _("{field} is een onbekend veld.", field=field),
    }
    if kind in messages:
        return messages[kind]
    if kind == "value_error" and "error" in ctx:
        return _("{field}: {msg}", field=field, msg=str(ctx["error"]))
    return _("{field} is ongeldig.", field=field)
