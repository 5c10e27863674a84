"""Crash safety of sync push: a tablet keeps pushing while the server process is killed with
SIGKILL at random moments and restarted. Every acknowledged batch survives in full, no batch is
ever stored in part (a batch is one transaction), nothing is stored twice, and the device's
mutation log has no holes."""

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, select

from app.codebook import default_book
from app.models import Moment, Role, SyncDevice, SyncMutation
from tests.conftest import _free_port, _tmp
from tests.factories import PASSWORD, make_observation, make_person, make_school

CYCLES = 80
BATCH = 20
CODES = [c["key"] for c in default_book()["codes"]]


# A fork server: imports the app once (that takes over a second), then forks a fresh uvicorn
# process on the same port for every "spawn" line on stdin and answers with its pid. The test
# kills each such process with SIGKILL; the next one is up in a few milliseconds, so fifty
# kill-and-restart cycles stay fast. Nothing holds a database connection at fork time.
FORK_SERVER = """
import os, signal, sys
import uvicorn
from app import db
from app.asgi import app
db.reset_engine()
port = int(sys.argv[1])
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap killed children at once
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        os._exit(0)
    print(pid, flush=True)
"""


class Server:
    """uvicorn processes on the test database, one at a time, to kill and restart."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(_tmp) / f"uvicorn-crash-{self.port}.log"
        self.log = open(self.log_path, "a")  # noqa: SIM115
        self.forker = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER, str(self.port)],
            env=os.environ.copy(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.pid: int | None = None

    def start(self) -> None:
        assert self.forker.stdin is not None and self.forker.stdout is not None
        self.forker.stdin.write("spawn\n")
        self.forker.stdin.flush()
        line = self.forker.stdout.readline()
        if not line:
            raise RuntimeError(self.log_path.read_text()[-5000:])
        self.pid = int(line)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if not alive(self.pid) or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(self.log_path.read_text()[-5000:])
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL the serving process and wait until it is gone (its port with it)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert not alive(self.pid)
        self.pid = None

    def close(self) -> None:
        self.kill()
        self.forker.kill()
        self.forker.communicate(timeout=10)  # closes the pipes
        self.log.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Tablet:
    """One device pushing its outbox, batch after batch, retrying a batch until acknowledged."""

    client: httpx.Client
    device_id: uuid.UUID
    obs_id: uuid.UUID
    sent: list[list[uuid.UUID]] = field(default_factory=list)  # moment ids of batch k
    acked: int = 0  # batches 0..acked-1 were acknowledged
    interrupted: int = 0  # requests cut off by a kill after they reached the server
    duplicates: int = 0  # acknowledged retries of a batch that had been committed unanswered
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def body(self, k: int) -> dict[str, Any]:
        mutations = [
            {
                "seq": k * BATCH + i + 1,
                "type": "moment.add",
                "id": str(mid),
                "base_version": None,
                "data": {
                    "observation_id": str(self.obs_id),
                    "code": CODES[(k + i) % len(CODES)],
                    "offset_ms": (k * BATCH + i) * 100,
                },
            }
            for i, mid in enumerate(self.sent[k])
        ]
        return {"device_id": str(self.device_id), "schema_version": 1, "mutations": mutations}

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                k = self.acked
                with self.lock:
                    if len(self.sent) == k:
                        self.sent.append([uuid.uuid4() for _ in range(BATCH)])
                body = self.body(k)  # a retry sends the very same seqs and ids
                try:
                    r = self.client.post("/api/sync/push", json=body)
                except httpx.ConnectError:  # the server is down: try again shortly
                    time.sleep(0.02)
                    continue
                except httpx.TransportError:  # the server died under the request
                    self.interrupted += 1
                    continue
                assert r.status_code == 200, (r.status_code, r.text)
                out = r.json()
                assert out["expected_seq"] is None, out
                results = out["results"]
                assert [x["seq"] for x in results] == [m["seq"] for m in body["mutations"]]
                statuses = {x["status"] for x in results}
                assert statuses in ({"applied"}, {"duplicate"}), results
                with self.lock:
                    self.acked = k + 1
                    self.duplicates += statuses == {"duplicate"}
        except BaseException as e:  # reported by the test
            self.error = e


def check(session: Session, tablet: Tablet, *, settled: bool) -> tuple[int, int]:
    """The database against what the tablet was told. Returns (batches stored, last_seq)."""
    with tablet.lock:
        sent = [list(b) for b in tablet.sent]
        acked = tablet.acked
    session.commit()  # a fresh snapshot
    stored = list(
        session.exec(select(Moment.id).where(col(Moment.observation_id) == tablet.obs_id))
    )
    assert len(stored) == len(set(stored))
    stored_set = set(stored)
    present = 0
    for k, ids in enumerate(sent):
        here = stored_set & set(ids)
        assert len(here) in (0, BATCH), f"batch {k} stored in part: {len(here)} of {BATCH}"
        if k < acked:
            assert len(here) == BATCH, f"acknowledged batch {k} lost"
        present += len(here) == BATCH
    assert len(stored) == present * BATCH, "moments stored that no batch sent"
    # the batches stored are a prefix: 0..present-1
    assert all(stored_set >= set(ids) for ids in sent[:present])
    seqs = list(
        session.exec(
            select(SyncMutation.seq)
            .where(col(SyncMutation.device_id) == tablet.device_id)
            .order_by(col(SyncMutation.seq))
        )
    )
    assert seqs == list(range(1, len(seqs) + 1)), "holes in the device's mutation log"
    assert len(seqs) == present * BATCH
    device = session.get(SyncDevice, tablet.device_id)
    last_seq = 0
    if device is not None:
        session.refresh(device)
        last_seq = device.last_seq
    assert last_seq == len(seqs)
    # at most the one batch in flight may be committed without its answer having arrived
    assert present in ((acked,) if settled else (acked, acked + 1)), (present, acked)
    return present, last_seq


def test_sigkill_during_pushes_loses_nothing_and_splits_nothing(session: Session) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    rng = random.Random()

    server = Server()
    server.start()
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(20, connect=2))
    r = client.post("/api/auth/login", json={"email": coach.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    tablet = Tablet(client=client, device_id=uuid.uuid4(), obs_id=obs.id)
    pusher = threading.Thread(target=tablet.run, daemon=True)
    pusher.start()
    unanswered_commits = 0
    try:
        for _cycle in range(CYCLES):
            time.sleep(rng.uniform(0.01, 0.25))
            server.kill()
            assert tablet.error is None, tablet.error
            present, _ = check(session, tablet, settled=False)
            unanswered_commits += present > tablet.acked
            server.start()
        # let the tablet retry what is outstanding and push two more batches on a live server
        target = tablet.acked + 2
        deadline = time.monotonic() + 30
        while tablet.acked < target and tablet.error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        tablet.stop.set()
        pusher.join(timeout=30)
        assert not pusher.is_alive()
        assert tablet.error is None, tablet.error
        present, last_seq = check(session, tablet, settled=True)
    finally:
        tablet.stop.set()
        client.close()
        server.close()

    assert present == tablet.acked >= target
    assert last_seq == tablet.acked * BATCH
    # the test did what it says: requests were cut off by the kills
    assert tablet.interrupted >= CYCLES // 5, tablet.interrupted
    print(
        f"\n{CYCLES} kills, {tablet.acked} batches acknowledged, {tablet.interrupted} requests "
        f"interrupted, {unanswered_commits} batches committed but unanswered at a kill, "
        f"{tablet.duplicates} acknowledged as duplicate on retry"
    )
