"""Sync ingest benchmark (design.md, "Performance budgets"). Run: ``python bench/sync_ingest.py``.

Self-contained: a temporary SQLite database built by the migrations, a school with a coach made
through the app's code, the app served by a real uvicorn process on loopback, login over HTTP.

1. Moments per second through POST /api/sync/push, in batches of 50 and of 200, beside raw
   ``sqlite3`` ``executemany`` of the very same rows (one commit per batch, the app's pragmas)
   into a fresh copy of the schema; the ratio is the figure.
2. 200 simulated tablets pushing at once (asyncio + httpx), each its own device id: errors,
   p50/p95/p99 batch latency, lost (acknowledged but not in the database) and doubled (stored more
   than once). The phase has a hard deadline; tablets still waiting then count as unfinished.

Prints readable figures, then one line of JSON with all of them. Loopback only, bounded loops.
"""

import asyncio
import json
import shutil
import sqlite3
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from live_server import DB_PATH, PASSWORD, TMP, bench_school, start_server, stop_server

from app import changelog, db
from app.codebook import default_book
from app.models import Observation

CODES = [c["key"] for c in default_book()["codes"]]
SEQUENTIAL_MOMENTS = 2_000
BATCH_SIZES = (50, 200)
TABLETS = 200
TABLET_BATCHES = 2
TABLET_BATCH = 15
TABLET_TIMEOUT = 60.0  # per request
PHASE_DEADLINE = 90.0  # the whole concurrent phase


def setup() -> dict[str, Any]:
    """School, coach and teacher through the app's code; one observation per run and tablet."""
    db.migrate()
    with db.session_scope() as session:
        school, (coach, teacher) = bench_school(session, ("coach", "teacher"))
        obs_ids = []
        for _ in range(len(BATCH_SIZES) + TABLETS):
            obs = Observation(
                id=uuid.uuid4(),
                school_id=school.id,
                observer_id=coach.id,
                observed_teacher_id=teacher.id,
                group_label="3A",
                subject="Engels",
                started_at=datetime.now(UTC) - timedelta(hours=1),
            )
            session.add(obs)
            changelog.record(
                session,
                school_id=school.id,
                entity="observation",
                entity_id=obs.id,
                observation_id=obs.id,
            )
            obs_ids.append(obs.id)
        email = coach.email
    db.reset_engine()
    return {"email": email, "observations": obs_ids}


def moment(seq: int, obs_id: uuid.UUID, moment_id: uuid.UUID) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "moment.add",
        "id": str(moment_id),
        "base_version": None,
        "data": {
            "observation_id": str(obs_id),
            "code": CODES[seq % len(CODES)],
            "offset_ms": seq * 250,
        },
    }


def sequential(client: httpx.Client, obs_id: uuid.UUID, batch_size: int) -> dict[str, Any]:
    device = str(uuid.uuid4())
    seq, errors = 0, 0
    t0 = time.perf_counter()
    for _ in range(SEQUENTIAL_MOMENTS // batch_size):
        mutations = [moment(seq + i + 1, obs_id, uuid.uuid4()) for i in range(batch_size)]
        seq += batch_size
        r = client.post(
            "/api/sync/push",
            json={"device_id": device, "schema_version": 1, "mutations": mutations},
        )
        if r.status_code != 200 or any(x["status"] != "applied" for x in r.json()["results"]):
            errors += 1
    elapsed = time.perf_counter() - t0
    return {
        "moments": seq,
        "seconds": round(elapsed, 3),
        "per_s": round(seq / elapsed, 1),
        "errors": errors,
    }


def raw_executemany(copy_path: Path, obs_id: uuid.UUID, batch_size: int) -> dict[str, Any]:
    """The same rows the endpoint stored, read back, inserted by plain sqlite3 into a copy of
    the database made before any moment existed (same schema, same parent rows)."""
    src = sqlite3.connect(DB_PATH)
    src.row_factory = None
    cols = [r[1] for r in src.execute("PRAGMA table_info(moment)")]
    rows = src.execute(
        f"SELECT {', '.join(cols)} FROM moment WHERE observation_id = ? ORDER BY offset_ms",
        (obs_id.hex,),
    ).fetchall()
    src.close()
    assert rows, "no rows to copy: check the uuid storage format"
    dst = sqlite3.connect(copy_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        dst.execute(f"PRAGMA {pragma}")
    sql = f"INSERT INTO moment ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    t0 = time.perf_counter()
    for i in range(0, len(rows), batch_size):
        dst.execute("BEGIN IMMEDIATE")
        dst.executemany(sql, rows[i : i + batch_size])
        dst.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    n = dst.execute("SELECT count(*) FROM moment WHERE observation_id = ?", (obs_id.hex,))
    assert n.fetchone()[0] == len(rows)
    dst.close()
    return {
        "moments": len(rows),
        "seconds": round(elapsed, 4),
        "per_s": round(len(rows) / elapsed, 1),
    }


async def tablets(
    url: str, cookies: httpx.Cookies, csrf: str, obs_ids: list[uuid.UUID]
) -> tuple[list[float], list[str], list[list[uuid.UUID]], list[uuid.UUID], int, float]:
    latencies: list[float] = []
    errors: list[str] = []
    acked: list[list[uuid.UUID]] = []
    sent: list[uuid.UUID] = []
    start = asyncio.Event()
    limits = httpx.Limits(max_connections=TABLETS, max_keepalive_connections=TABLETS)
    async with httpx.AsyncClient(
        base_url=url,
        cookies=cookies,
        headers={"X-CSRF-Token": csrf},
        timeout=TABLET_TIMEOUT,
        limits=limits,
    ) as client:

        async def tablet(obs_id: uuid.UUID) -> None:
            device = str(uuid.uuid4())
            await start.wait()
            for b in range(TABLET_BATCHES):
                ids = [uuid.uuid4() for _ in range(TABLET_BATCH)]
                sent.extend(ids)
                mutations = [
                    moment(b * TABLET_BATCH + i + 1, obs_id, mid) for i, mid in enumerate(ids)
                ]
                body = {"device_id": device, "schema_version": 1, "mutations": mutations}
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/sync/push", json=body)
                except httpx.HTTPError as e:
                    errors.append(type(e).__name__)
                    return
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code}")
                    return
                statuses = {x["status"] for x in r.json()["results"]}
                if statuses != {"applied"} or len(r.json()["results"]) != TABLET_BATCH:
                    errors.append(f"statuses {sorted(statuses)}")
                    return
                acked.append(ids)

        tasks = [asyncio.create_task(tablet(o)) for o in obs_ids]
        t0 = time.perf_counter()
        start.set()
        _done, pending = await asyncio.wait(tasks, timeout=PHASE_DEADLINE)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - t0
    return latencies, errors, acked, sent, len(pending), elapsed


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000, 1)


def main() -> None:
    t_start = time.perf_counter()
    world = setup()
    obs_ids: list[uuid.UUID] = world["observations"]
    empty_copy = TMP / "empty.sqlite3"
    with sqlite3.connect(DB_PATH) as src, sqlite3.connect(empty_copy) as dst:
        src.backup(dst)  # the schema and the parent rows, before any moment exists
    proc, url = start_server(TMP / "uvicorn.log")
    figures: dict[str, Any] = {"sqlite": True}
    try:
        client = httpx.Client(base_url=url, timeout=60)
        r = client.post("/api/auth/login", json={"email": world["email"], "password": PASSWORD})
        assert r.status_code == 200, r.text
        csrf = r.json()["csrf_token"]
        client.headers["X-CSRF-Token"] = csrf

        print(f"Sync ingest, {SEQUENTIAL_MOMENTS} moments per run, one client, SQLite in {TMP}")
        for i, size in enumerate(BATCH_SIZES):
            http = sequential(client, obs_ids[i], size)
            copy = TMP / f"raw-{size}.sqlite3"
            shutil.copyfile(empty_copy, copy)
            raw = raw_executemany(copy, obs_ids[i], size)
            ratio = round(raw["per_s"] / http["per_s"], 1)
            figures[f"batch_{size}"] = {"http": http, "raw_executemany": raw, "ratio": ratio}
            print(
                f"  batches of {size:>3}: HTTP {http['per_s']:>8.1f} moments/s "
                f"({http['seconds']} s, {http['errors']} errors); raw executemany "
                f"{raw['per_s']:>9.1f} moments/s; raw is {ratio}x faster"
            )

        print(
            f"{TABLETS} tablets at once, {TABLET_BATCHES} batches of {TABLET_BATCH} moments each "
            f"(deadline {PHASE_DEADLINE:.0f} s, {TABLET_TIMEOUT:.0f} s per request)"
        )
        latencies, errors, acked, sent, unfinished, elapsed = asyncio.run(
            tablets(url, client.cookies, csrf, obs_ids[len(BATCH_SIZES) :])
        )
        client.close()
    finally:
        stop_server(proc)  # killed if its event loop is stuck: see the figures

    tablet_obs = {o.hex for o in obs_ids[len(BATCH_SIZES) :]}
    con = sqlite3.connect(DB_PATH)
    stored = [
        row[0]
        for row in con.execute("SELECT id, observation_id FROM moment")
        if row[1] in tablet_obs
    ]
    con.close()
    stored_set = set(stored)
    acked_ids = {m.hex for ids in acked for m in ids}
    sent_ids = {m.hex for m in sent}
    lost = len(acked_ids - stored_set)
    doubled = (len(stored) - len(stored_set)) + len(stored_set - sent_ids)
    error_kinds: dict[str, int] = {}
    for e in errors:
        error_kinds[e] = error_kinds.get(e, 0) + 1
    figures["tablets"] = {
        "tablets": TABLETS,
        "batches_planned": TABLETS * TABLET_BATCHES,
        "batches_acknowledged": len(acked),
        "errors": len(errors),
        "error_kinds": error_kinds,
        "unfinished_tablets": unfinished,
        "seconds": round(elapsed, 2),
        "p50_ms": pct(latencies, 50),
        "p95_ms": pct(latencies, 95),
        "p99_ms": pct(latencies, 99),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "moments_sent": len(sent_ids),
        "moments_stored": len(stored),
        "lost": lost,
        "doubled": doubled,
    }
    t = figures["tablets"]
    print(
        f"  {t['batches_acknowledged']}/{t['batches_planned']} batches acknowledged in "
        f"{t['seconds']} s; errors {t['errors']} {error_kinds or ''}; unfinished tablets "
        f"{unfinished}\n  batch latency p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms, "
        f"p99 {t['p99_ms']} ms, max {t['max_ms']} ms\n  moments sent {t['moments_sent']}, "
        f"stored {t['moments_stored']}; lost {lost}, doubled {doubled}"
    )
    figures["total_seconds"] = round(time.perf_counter() - t_start, 1)
    shutil.rmtree(TMP, ignore_errors=True)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
