"""What a request body may be, checked before the app reads it.

Size: every route has a limit fitted to what it needs (a login is a few hundred bytes; a sync
push carries at most ``MAX_BATCH`` mutations). A declared ``Content-Length`` above the limit is
answered 413 before a byte of the body is read; a body without one (chunked) is counted while
it arrives and cut off at the limit. Nothing unbounded is ever held in memory.

Text: a form (``application/x-www-form-urlencoded``) whose values hold a NUL character or are
not valid UTF-8 (a lone surrogate arrives as bytes that are not UTF-8) is refused with 422 and
a message in Dutch, before any route parses it. JSON bodies get the same rule from the
``Input`` models.
"""

import json
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import _

KB = 1024
MB = 1024 * KB

# (path prefix, limit), the first that matches wins; the default covers every other route.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/sync/push", 8 * MB),  # 500 mutations, each up to a 4,000-character summary
    ("/beheer/mensen/import", 2 * MB),  # a 1 MB CSV file in a multipart form
    ("/inloggen", 16 * KB),
    ("/api/auth/login", 16 * KB),
    ("/uitnodiging/", 16 * KB),
)
DEFAULT_LIMIT = 256 * KB
FORM = b"application/x-www-form-urlencoded"


def limit_for(path: str) -> int:
    return next((n for prefix, n in LIMITS if path.startswith(prefix)), DEFAULT_LIMIT)


def form_problem(body: bytes) -> str | None:
    """Why these form fields cannot be taken in, or None."""
    # Latin-1 maps every byte to one character and back, so the values' bytes survive the
    # parsing untouched and can then be decoded strictly.
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    for name, value in pairs:
        for raw in (name, value):
            try:
                text = raw.encode("latin-1").decode("utf-8")
            except UnicodeDecodeError:
                return _(
                    "Je tekst bevat een teken dat Coulisse niet kan bewaren. "
                    "Haal het weg en probeer het opnieuw."
                )
            if "\x00" in text:
                return _(
                    "Je tekst bevat een onzichtbaar teken (NUL) dat Coulisse niet kan bewaren. "
                    "Haal het weg en probeer het opnieuw."
                )
    return None


class BodyLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _refuse(scope, send, 413, _too_big(limit))
                return
        is_form = headers.get(b"content-type", b"").split(b";")[0].strip().lower() == FORM

        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(scope, send, 413, _too_big(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if is_form:
            problem = form_problem(body)
            if problem:
                await _refuse(scope, send, 422, problem)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_big(limit: int) -> str:
    size = f"{limit // MB} MB" if limit >= MB else f"{limit // KB} kB"
    return _("Wat je stuurde is te groot (hier mag het hoogstens {size} zijn).", size=size)


async def _refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """A short answer in the shape the app's error handler gives: JSON for the API, a plain
    page for a browser's form."""
    headers = dict(scope.get("headers") or [])
    wants_html = b"text/html" in headers.get(b"accept", b"") and not scope.get(
        "path", ""
    ).startswith("/api/")
    if wants_html:
        back = _("Ga terug met de terugknop van je browser: wat je typte staat daar nog.")
        body = (
            '<!doctype html><html lang="nl"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="stylesheet" href="/static/css/coulisse.css">'
            '<title>Coulisse</title><main class="narrow"><section class="card">'
            f"<h1>Coulisse</h1><p>{_html_escape(message)}</p><p>{_html_escape(back)}</p>"
            "</section></main></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        code = "too_large" if status == 413 else "invalid"
        body = json.dumps({"detail": message, "code": code}).encode()
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
