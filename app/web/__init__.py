"""The web layer: what speaks HTTP. Pages (Jinja2, server-rendered, working without
JavaScript) and the JSON API parse a request, ask :mod:`app.access` whether it may happen, call
a use case, and answer. The recording screen's files, the service worker and the middleware that
sets headers and limits on every answer live here too. Nothing below imports from here."""
