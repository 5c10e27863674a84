"""The installable app: the service worker, the manifest, the offline page and ``/opnemen``.

The service worker is served from the site root, so its scope is the whole site, with two
values put in front of its source (``service-worker/service-worker.js``): ``SHELL``, the
addresses of everything the recording screen needs offline, and ``VERSION``, a hash over the
worker and the content of those files. Deploying a changed shell file therefore makes a new
worker without a restart; the browser installs it next to the old one, and it waits until the
person chooses to update, never during a lesson (``web/js/pwa.js``).
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from app.errors import NotFound
from app.i18n import _
from app.settings import ROOT

WORKER_SOURCE = ROOT / "service-worker" / "service-worker.js"
SHELL_FOLDERS = ("css", "js", "img", "icons")
# Shell addresses that are not under /static, and the file in the web folder behind each.
PAGES = {
    "/opnemen": "recorder.html",
    "/offline": "offline.html",
    "/manifest.webmanifest": "manifest.webmanifest",
}
NO_CACHE = {"Cache-Control": "no-cache"}

pwa = APIRouter(include_in_schema=False)


def shell_files(web_dir: Path) -> dict[str, Path]:
    """Every shell address and the file behind it (which may be missing for the pages)."""
    files = {url: web_dir / name for url, name in PAGES.items()}
    for folder in SHELL_FOLDERS:
        for path in sorted((web_dir / folder).rglob("*")):
            relative = path.relative_to(web_dir)
            if (
                path.is_file()
                and not path.name.endswith("-harness.html")
                and not any(part.startswith(".") for part in relative.parts)
            ):
                files[f"/static/{quote(relative.as_posix())}"] = path
    return files


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def service_worker(web_dir: Path) -> str:
    """The worker's source with ``VERSION`` and ``SHELL`` in front. Rebuilt only when a file's
    modification time or size changed, so a request costs a directory walk and some stats."""
    files = shell_files(web_dir)
    stamps = tuple((url, str(path), _stamp(path)) for url, path in files.items())
    return _build(stamps, _stamp(WORKER_SOURCE))


@lru_cache(maxsize=8)
def _build(
    stamps: tuple[tuple[str, str, tuple[int, int] | None], ...],
    worker_stamp: tuple[int, int] | None,
) -> str:
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    for url, path, stamp in stamps:
        if stamp is None:
            continue
        digest.update(f"\0{url}\0".encode())
        digest.update(Path(path).read_bytes())
    version = digest.hexdigest()[:16]
    shell = json.dumps([stamp[0] for stamp in stamps], indent=2)
    return f'const VERSION = "{version}";\nconst SHELL = {shell};\n\n{source}'


def _web_dir(request: Request) -> Path:
    web_dir: Path = request.app.state.settings.web_dir
    return web_dir


@pwa.get("/service-worker.js")
def service_worker_script(request: Request) -> Response:
    return Response(
        service_worker(_web_dir(request)), media_type="text/javascript", headers=NO_CACHE
    )


def _file(request: Request, name: str, missing: str, media_type: str | None = None) -> Response:
    path = _web_dir(request) / name
    if not path.is_file():
        raise NotFound(missing)
    return FileResponse(path, media_type=media_type, headers=NO_CACHE)


@pwa.get("/manifest.webmanifest")
def manifest(request: Request) -> Response:
    return _file(
        request,
        "manifest.webmanifest",
        _("Deze pagina bestaat niet."),
        media_type="application/manifest+json",
    )


@pwa.get("/offline")
def offline(request: Request) -> Response:
    return _file(request, "offline.html", _("Deze pagina bestaat niet."))


@pwa.get("/opnemen")
def recorder(request: Request) -> Response:
    return _file(
        request, "recorder.html", _("Het opnamescherm is niet geïnstalleerd op deze server.")
    )
