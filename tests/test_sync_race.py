"""Racing duplicates: one batch sent twice at the same instant, over two real connections to a
real uvicorn process, is stored exactly once and both copies are answered with success."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from app.codebook import default_book
from app.models import Moment, Observation, Role, SyncMutation
from tests.factories import PASSWORD, make_person, make_school

ROUNDS = 200
MOMENTS = 3
CODES = [c["key"] for c in default_book()["codes"]]
STARTED = (datetime.now(UTC) - timedelta(hours=1)).isoformat()


def logged_in(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def batch(teacher_id: uuid.UUID) -> tuple[dict[str, Any], uuid.UUID, list[uuid.UUID]]:
    obs_id = uuid.uuid4()
    moment_ids = [uuid.uuid4() for _ in range(MOMENTS)]
    mutations: list[dict[str, Any]] = [
        {
            "seq": 1,
            "type": "observation.put",
            "id": str(obs_id),
            "base_version": None,
            "data": {
                "observed_teacher_id": str(teacher_id),
                "started_at": STARTED,
                "group_label": "3A",
                "subject": "Engels",
            },
        }
    ]
    for i, mid in enumerate(moment_ids):
        mutations.append(
            {
                "seq": i + 2,
                "type": "moment.add",
                "id": str(mid),
                "base_version": None,
                "data": {
                    "observation_id": str(obs_id),
                    "code": CODES[i % len(CODES)],
                    "offset_ms": 1000 * (i + 1),
                },
            }
        )
    body = {"device_id": str(uuid.uuid4()), "schema_version": 1, "mutations": mutations}
    return body, obs_id, moment_ids


def test_identical_batches_racing_are_stored_once(live_server: str, session: Session) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    clients = [logged_in(live_server, coach.email), logged_in(live_server, coach.email)]
    barrier = threading.Barrier(2)

    def fire(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
        barrier.wait(timeout=30)
        return client.post("/api/sync/push", json=body)

    statuses: dict[str, int] = {}
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for round_ in range(ROUNDS):
                body, obs_id, moment_ids = batch(teacher.id)
                futures = [pool.submit(fire, c, body) for c in clients]
                responses = [f.result(timeout=60) for f in futures]
                for r in responses:
                    assert r.status_code == 200, (round_, r.status_code, r.text)
                    results = r.json()["results"]
                    assert [x["seq"] for x in results] == list(range(1, MOMENTS + 2)), results
                    for x in results:
                        assert x["status"] in {"applied", "duplicate"}, (round_, x)
                        statuses[x["status"]] = statuses.get(x["status"], 0) + 1
                    assert r.json()["expected_seq"] is None

                session.commit()  # a fresh snapshot
                device_id = uuid.UUID(body["device_id"])
                n_obs = session.exec(
                    select(func.count()).where(col(Observation.id) == obs_id)
                ).one()
                n_moments = session.exec(
                    select(func.count()).where(col(Moment.observation_id) == obs_id)
                ).one()
                stored_ids = set(
                    session.exec(select(Moment.id).where(col(Moment.observation_id) == obs_id))
                )
                seqs = sorted(
                    session.exec(
                        select(SyncMutation.seq).where(col(SyncMutation.device_id) == device_id)
                    )
                )
                assert n_obs == 1, round_
                assert n_moments == MOMENTS, round_
                assert stored_ids == set(moment_ids), round_
                assert seqs == list(range(1, MOMENTS + 2)), (round_, seqs)
    finally:
        for c in clients:
            c.close()
    # every mutation was applied once and answered as a duplicate once
    assert statuses == {"applied": ROUNDS * (MOMENTS + 1), "duplicate": ROUNDS * (MOMENTS + 1)}
