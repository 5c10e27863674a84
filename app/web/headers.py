"""Browser security headers and caching, set on every answer in one place.

Every answer gets:

- ``Content-Security-Policy``: scripts, styles, images, fonts, the manifest, the service worker
  and every fetch come from this origin only. No inline script runs: every script is a file
  under ``web/js`` and no template has an ``on...=`` attribute. ``<style>`` elements are
  refused too; inline *style attributes* are allowed (``style-src-attr 'unsafe-inline'``)
  because the server-rendered pages write values from the data into them (a family's colour
  as ``--c``, a moment's place on the lesson's timeline as ``left``, a heatmap cell's shade, a
  bar's share), which form no finite set of classes, and those pages must look right without
  JavaScript and on paper. A style attribute cannot run script, and whatever it could load
  (``url()``) is held to this origin as well. ``object-src 'none'`` and ``base-uri 'none'``;
  ``form-action 'self'`` keeps every form on this site; ``frame-ancestors 'none'`` (with
  ``X-Frame-Options: DENY`` for browsers that predate it) forbids framing the app.
- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin`` unless the answer chose
  a stricter one (the invitation page, whose address is the secret, says ``no-referrer``);
  ``Cross-Origin-Opener-Policy: same-origin`` and ``Cross-Origin-Resource-Policy: same-origin``;
  a ``Permissions-Policy`` that switches off device features the app never uses.
- ``Strict-Transport-Security`` (a year, subdomains included) when the browser talks to the
  app over https (:func:`over_https`, the same rule that marks cookies ``Secure``).
- ``Cache-Control: no-store`` on everything but the public files: ``/static/`` and the offline
  shell that :mod:`app.pwa` serves (``/opnemen``, ``/offline``, the manifest and
  ``/service-worker.js``) keep their own caching, which the recorder needs to open offline.
  Every page, every ``/api/`` answer, every redirect and every error (also one under
  ``/static/``: an error page names the person logged in) may carry personal data, so neither
  the browser nor a proxy keeps it, and Back after logging out asks the server again, which
  answers with the login page.

The service worker stores the shell's answers with these headers and serves them offline as
they came, so the recorder runs under the same policy without a network. A changed policy
reaches a tablet's offline copy with the next shell version, when the worker fetches the
whole shell again.

Answers that Starlette's outermost error middleware makes for an unhandled exception (a 500)
are sent from outside this middleware; the app's handler for them puts the same policy on
them with :func:`protect`.

There is no interactive API docs page (it would need a CDN's scripts and inline code in this
origin); the schema itself is at ``/api/openapi.json``.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import over_https
from app.web.pwa import PAGES

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
HSTS = "max-age=31536000; includeSubDomains"
PUBLIC_PATHS = frozenset({*PAGES, "/service-worker.js"})


def is_public(path: str, status: int) -> bool:
    """A file that holds no personal data and keeps the caching it was served with."""
    return status < 400 and (path.startswith("/static/") or path in PUBLIC_PATHS)


def protect(headers: MutableHeaders, path: str, status: int, https: bool) -> None:
    """Put the policy on one answer's headers."""
    for name, value in ALWAYS.items():
        headers.setdefault(name, value)
    if https:
        headers["Strict-Transport-Security"] = HSTS
    if not is_public(path, status):
        headers["Cache-Control"] = "no-store"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = over_https(scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                protect(MutableHeaders(scope=message), path, message["status"], https)
            await send(message)

        await self.app(scope, receive, send_with_headers)
