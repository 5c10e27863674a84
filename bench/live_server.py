"""The benchmarks' environment, and the app served by a real uvicorn process on loopback.

Importing this module points the app at a throwaway SQLite database in ``TMP`` (import it
before ``app``): the benchmarks measure through real HTTP, on a database of their own."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:  # the app is imported only after the environment above is set
    from sqlmodel import Session

    from app.models import Person, School

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="coulisse-bench-"))
DB_PATH = TMP / "bench.sqlite3"
os.environ["COULISSE_DATABASE_URL"] = f"sqlite:///{DB_PATH}"
os.environ["COULISSE_ENVIRONMENT"] = "test"
os.environ.setdefault("COULISSE_SECRET_KEY", "bench-only-secret-key-not-for-production-use")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn and wait until /healthz answers; its output goes to `log_path`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError(log_path.read_text()[-3000:])
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


PASSWORD = "wachtwoord-voor-de-bench"


def bench_school(session: "Session", roles: Sequence[str]) -> tuple["School", list["Person"]]:
    """A school made through the app's code, with one person for each role in ``roles``
    (``coach`` or ``teacher``), who log in with :data:`PASSWORD`."""
    import uuid

    from app import auth, schools
    from app.models import Membership, Person

    school = schools.create_school(session, name=f"Bench {uuid.uuid4().hex[:8]}")
    session.flush()
    people = []
    for i, role in enumerate(roles):
        person = Person(
            email=f"{role}-{uuid.uuid4().hex[:8]}@bench.example",
            name=f"Bench {role} {i}",
            password_hash=auth.hash_password(PASSWORD),
        )
        session.add(person)
        session.flush()
        session.add(
            Membership(
                school_id=school.id,
                person_id=person.id,
                is_coach=role == "coach",
                is_teacher=role == "teacher",
            )
        )
        people.append(person)
    session.flush()
    return school, people
