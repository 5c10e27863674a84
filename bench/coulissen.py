"""Coulissen dashboard benchmark (design.md, "Performance budgets"). Run:
``python bench/coulissen.py`` (``--moments N`` for another size).

Self-contained: a throwaway SQLite database built by the migrations (``live_server``'s), and a
throwaway PostgreSQL database when one answers at 127.0.0.1:5432 (created, migrated, dropped).
Schools, their codebooks and semesters are made through the app's code; people, teams, lessons
and one million coded moments go in with bulk inserts (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), seeded, so both databases hold the same rows.

The data: one large target school (120 teachers in 4 departments and 6 subject sections that
cross them, 14 subjects, 6 levels, about 520 observed lessons and 25 000 moments a semester)
beside 18 smaller schools, over four semesters; about 1% of lessons still running, 1% deleted,
3% kept out of team data, 2% of moments deleted, a third of the moments with a zone.

Timed, in the same run on the same database, for the target school's semester:
``coulissen.build`` for the whole school and for one team (p50 and max of several runs, after one
warm-up) beside the bare SQL ``GROUP BY`` that counts that semester's moments per code; the
ratio is the figure. The suppression plan alone is timed too, and everything once more without
the covering index ``ix_moment_observation_counted`` (migration 0005) to show what it buys.

Prints readable figures, then one line of JSON with all of them.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from live_server import DB_PATH, TMP

from app import coulissen, db, schools
from app.codebook import default_book
from app.models import Semester, Team
from app.settings import get_settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SEED = 20261124
RUNS = 7
TARGET_TEACHERS, TARGET_LESSONS = 120, 520
OTHER_SCHOOLS, OTHER_TEACHERS, OTHER_LESSONS = 18, 60, 250
MOMENTS_PER_LESSON = 48
# (name, first day, last day): the target is the last; its trend compares with the one before.
SEMESTERS = [
    ("2024-2025 semester 1", date(2024, 8, 1), date(2025, 1, 31)),
    ("2024-2025 semester 2", date(2025, 2, 1), date(2025, 7, 31)),
    ("2025-2026 semester 1", date(2025, 8, 1), date(2026, 1, 31)),
    ("2025-2026 semester 2", date(2026, 2, 1), date(2026, 7, 31)),
]
DEPARTMENTS = {
    "Onderbouw havo/vwo": ["1A havo/vwo", "1B havo/vwo", "2A havo", "2B vwo", "3A havo", "3B vwo"],
    "Bovenbouw havo/vwo": ["4 havo", "5 havo", "4 vwo", "5 vwo", "6 vwo", "gym 5"],
    "Vmbo": ["1B vmbo-b", "2K vmbo-k", "3B vmbo-b", "3K vmbo-k", "4K vmbo-k", "4T vmbo-gt"],
    "Mavo": ["1 mavo", "2 mavo", "3 mavo", "4 mavo", "3T vmbo-t", "4T vmbo-t"],
}
SECTIONS = {
    "Sectie talen": ["Nederlands", "Engels", "Frans", "Duits"],
    "Sectie exact": ["wiskunde", "natuurkunde", "scheikunde", "biologie"],
    "Sectie mens en maatschappij": ["geschiedenis", "aardrijkskunde", "economie"],
    "Sectie kunst en sport": ["LO", "beeldende vorming"],
    "Sectie techniek": ["NaSk"],
}
SUBJECTS = [s for subjects in SECTIONS.values() for s in subjects]
PHASES = ["start", "instructie", "verwerking", "afsluiting"]


# --- the rows -------------------------------------------------------------------------------------


class World:
    """Seeded rows, produced in the same order for every database."""

    def __init__(self, moments_target: int) -> None:
        self.rng = random.Random(SEED)
        self.codes = [c["key"] for c in default_book()["codes"]]
        # Codes are not equally common: a few signals dominate, some reflexes are rare.
        self.code_weights = [self.rng.uniform(0.2, 3.0) for _ in self.codes]
        scale = moments_target / (
            (TARGET_LESSONS + OTHER_SCHOOLS * OTHER_LESSONS) * len(SEMESTERS) * MOMENTS_PER_LESSON
        )
        self.lessons = {
            "target": round(TARGET_LESSONS * scale),
            "other": round(OTHER_LESSONS * scale),
        }

    def people(self, n: int) -> list[dict[str, Any]]:
        """Teachers: a subject, a department (one in ten in a second) and the subject's section."""
        people = []
        for i in range(n):
            subject = SUBJECTS[i % len(SUBJECTS)]
            departments = [list(DEPARTMENTS)[self.rng.randrange(len(DEPARTMENTS))]]
            if self.rng.random() < 0.1:
                departments.append(list(DEPARTMENTS)[self.rng.randrange(len(DEPARTMENTS))])
            section = next(s for s, subjects in SECTIONS.items() if subject in subjects)
            people.append(
                {
                    "id": uuid.UUID(int=self.rng.getrandbits(128)),
                    "subject": subject,
                    "teams": sorted({*departments, section}),
                    "groups": [g for d in departments for g in DEPARTMENTS[d]],
                }
            )
        return people

    def lessons_of(
        self, school: dict[str, Any], semester: tuple[str, date, date], n: int
    ) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        rng = self.rng
        _name, first, last = semester
        days = (last - first).days
        for _ in range(n):
            teacher = rng.choice(school["teachers"])
            day = first + timedelta(days=rng.randrange(days))
            start = datetime(day.year, day.month, day.day, 7, 30, tzinfo=UTC) + timedelta(
                minutes=rng.randrange(0, 7 * 60, 5)
            )
            minutes = rng.choice([45, 50, 50, 60, 90])
            roll = rng.random()
            running = roll < 0.01
            obs = {
                "id": uuid.UUID(int=rng.getrandbits(128)),
                "school_id": school["id"],
                "observer_id": school["coach"],
                "observed_teacher_id": teacher["id"],
                "group_label": rng.choice(teacher["groups"]),
                "subject": teacher["subject"],
                "started_at": start,
                "ended_at": None if running else start + timedelta(minutes=minutes),
                "status": "in_progress" if running else "ready",
                "excluded_from_team": 0.01 <= roll < 0.04,
                "deleted_at": start + timedelta(days=1) if 0.04 <= roll < 0.05 else None,
            }
            count = max(0, round(rng.gauss(MOMENTS_PER_LESSON, 12)))
            codes = rng.choices(self.codes, self.code_weights, k=count)
            span = minutes * 60_000
            moments = []
            for code in codes:
                offset = rng.randrange(span)
                phase = None if rng.random() < 0.08 else PHASES[min(3, offset * 4 // span)]
                z = rng.random()
                zone = (
                    None if z < 0.65 else "groen" if z < 0.86 else "oranje" if z < 0.95 else "rood"
                )
                moments.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128)),
                        "code": code,
                        "offset_ms": offset,
                        "phase": phase,
                        "zone": zone,
                        "deleted": rng.random() < 0.02,
                    }
                )
            yield obs, moments


def make_schools(world: World) -> list[dict[str, Any]]:
    """Schools, codebooks and the semesters through the app's code; the rest is bulk."""
    made = []
    with db.session_scope() as session:
        for i in range(1 + OTHER_SCHOOLS):
            school = schools.create_school(session, name=f"Bench school {i} {uuid.uuid4().hex[:6]}")
            session.flush()
            semesters = []
            for name, first, last in SEMESTERS:
                s = Semester(school_id=school.id, name=name, starts_on=first, ends_on=last)
                session.add(s)
                semesters.append(s)
            session.flush()
            target = i == 0
            made.append(
                {
                    "id": school.id,
                    "target": target,
                    "semesters": [s.id for s in semesters],
                    "coach": uuid.UUID(int=world.rng.getrandbits(128)),
                    "teachers": world.people(TARGET_TEACHERS if target else OTHER_TEACHERS),
                    "team_ids": {
                        name: uuid.UUID(int=world.rng.getrandbits(128))
                        for name in [*DEPARTMENTS, *SECTIONS]
                    },
                }
            )
    db.reset_engine()
    return made


def rows(world: World, made: list[dict[str, Any]]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, rows) in batches; values are Python values, each loader converts them."""
    now = datetime(2026, 11, 24, tzinfo=UTC)
    people, teams, members = [], [], []
    for s in made:
        people.append((s["coach"], f"coach-{s['coach'].hex}@bench.example", "Bench coach", now))
        for t in s["teachers"]:
            people.append((t["id"], f"t-{t['id'].hex}@bench.example", "Bench docent", now))
            members += [(s["team_ids"][name], t["id"]) for name in t["teams"]]
        teams += [(tid, s["id"], name) for name, tid in s["team_ids"].items()]
    yield "person", people
    yield "team", teams
    yield "teammember", members
    observations: list[tuple[Any, ...]] = []
    moments: list[tuple[Any, ...]] = []
    for s in made:
        n = world.lessons["target" if s["target"] else "other"]
        for semester in SEMESTERS:
            for obs, obs_moments in world.lessons_of(s, semester, n):
                observations.append(
                    (
                        obs["id"], obs["school_id"], obs["observer_id"], obs["observed_teacher_id"],
                        obs["group_label"], obs["subject"], obs["started_at"], obs["ended_at"],
                        obs["status"], obs["excluded_from_team"], obs["deleted_at"],
                    )
                )  # fmt: skip
                start = obs["started_at"]
                for m in obs_moments:
                    at = start + timedelta(milliseconds=m["offset_ms"])
                    moments.append(
                        (
                            m["id"], obs["id"], obs["school_id"], m["code"], m["offset_ms"],
                            m["phase"], m["zone"], obs["observer_id"], at,
                            at if m["deleted"] else None,
                        )
                    )  # fmt: skip
                if len(moments) >= 100_000:
                    yield "observation", observations
                    yield "moment", moments
                    observations, moments = [], []
    yield "observation", observations
    yield "moment", moments


COLUMNS = {
    "person": "id, email, name, created_at",
    "team": "id, school_id, name",
    "teammember": "team_id, person_id",
    "observation": "id, school_id, observer_id, observed_teacher_id, group_label, subject, "
    "started_at, ended_at, status, excluded_from_team, deleted_at",
    "moment": "id, observation_id, school_id, code, offset_ms, phase, zone, created_by_id, "
    "created_at, deleted_at",
}
# Columns the bulk rows leave to a constant (what the app would store).
CONSTANTS: dict[str, dict[str, Any]] = {
    "person": {"active": True},
    "observation": {
        "summary": "",
        "phases": json.dumps(PHASES),
        "focus_codes": "[]",
        "version": 1,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
    },
    "moment": {"note": "", "note_shareable": False},
}


def sqlite_value(v: Any) -> Any:
    """As SQLAlchemy stores it on SQLite: UUIDs as hex, timestamps as naive UTC text."""
    if isinstance(v, uuid.UUID):
        return v.hex
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, bool):
        return int(v)
    return v


def load_sqlite(world: World, made: list[dict[str, Any]]) -> dict[str, int]:
    con = sqlite3.connect(DB_PATH, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # a throwaway file: loading speed, not durability
    counts: dict[str, int] = {}
    for table, batch in rows(world, made):
        consts = CONSTANTS.get(table, {})
        cols = [c.strip() for c in COLUMNS[table].split(",")] + list(consts)
        tail = tuple(sqlite_value(v) for v in consts.values())
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        con.execute("BEGIN")
        con.executemany(sql, (tuple(map(sqlite_value, r)) + tail for r in batch))
        con.execute("COMMIT")
        counts[table] = counts.get(table, 0) + len(batch)
    con.execute("ANALYZE")
    con.close()
    return counts


def load_postgres(world: World, made: list[dict[str, Any]], url: str) -> dict[str, int]:
    import psycopg

    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as con:
        for table, batch in rows(world, made):
            consts = CONSTANTS.get(table, {})
            cols = [c.strip() for c in COLUMNS[table].split(",")] + list(consts)
            tail = tuple(consts.values())
            with (
                con.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp,
            ):
                for r in batch:
                    cp.write_row(r + tail)
            counts[table] = counts.get(table, 0) + len(batch)
        con.execute("VACUUM ANALYZE")  # index-only scans need the visibility map
    return counts


# --- timing ---------------------------------------------------------------------------------------


def timed(
    fn: Callable[[], Any], runs: int = RUNS, before: Callable[[], Any] | None = None
) -> dict[str, float]:
    fn()  # warm-up: the engine's pool, SQLAlchemy's statement cache, the database's cache
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def cold() -> None:
    """Forget every suppression plan: the build must work it out again (a first visit)."""
    coulissen._plan_cached.cache_clear()


BARE_SQL = """
SELECT m.code, count(*)
FROM moment m JOIN observation o ON o.id = m.observation_id
WHERE o.school_id = :school AND o.started_at >= :lo AND o.started_at < :hi
  AND o.deleted_at IS NULL AND NOT o.excluded_from_team AND o.status <> 'in_progress'
  AND o.ended_at IS NOT NULL AND m.deleted_at IS NULL
GROUP BY m.code
"""


def measure(made: list[dict[str, Any]], label: str) -> dict[str, Any]:
    target = made[0]
    school_id, semester_id = target["id"], target["semesters"][-1]
    engine = db.get_engine()
    with db.new_session() as session:
        semester = session.get(Semester, semester_id)
        assert semester is not None
        team = session.get(Team, target["team_ids"]["Onderbouw havo/vwo"])
        assert team is not None
        lo, hi = coulissen._window(semester)
        params = {"school": school_id, "lo": lo, "hi": hi}
        bare = sa.text(BARE_SQL).bindparams(
            sa.bindparam("school", type_=sa.Uuid()),
            sa.bindparam("lo", type_=sa.DateTime(timezone=True)),
            sa.bindparam("hi", type_=sa.DateTime(timezone=True)),
        )
        if engine.dialect.name == "sqlite":  # stored as naive UTC text, compare likewise
            params = {
                "school": school_id,
                "lo": lo.astimezone(UTC).replace(tzinfo=None),
                "hi": hi.astimezone(UTC).replace(tzinfo=None),
            }

        def run_bare() -> list[Any]:
            with engine.connect() as conn:
                return list(conn.execute(bare, params))

        def run_school() -> coulissen.Dashboard:
            return coulissen.build(session, school_id=school_id, semester_id=semester_id)

        def run_team() -> coulissen.Dashboard:
            return coulissen.build(
                session, school_id=school_id, semester_id=semester_id, team_id=team.id
            )

        dash = run_school()
        per_code = {code: n for code, n in run_bare()}
        # The dashboard and the bare query count the same moments.
        assert dash.overview.moments.value == sum(per_code.values()), (
            dash.overview.moments,
            per_code,
        )
        lessons = coulissen._read_lessons(session, school_id, semester)
        groups = coulissen._groups(lessons)
        teams = coulissen._team_members(session, school_id, semester)
        plan = coulissen.plan_suppression(groups, teams, 5)
        figures = {
            "semester_lessons": len(lessons),
            "semester_moments": sum(per_code.values()),
            "semester_teachers": len({lesson.teacher for lesson in lessons}),
            "populations": len(plan.teachers),
            "populations_shown": len(plan.visible),
            "bare_sql": timed(run_bare),
            "build_school": timed(run_school, before=cold),
            "build_school_warm": timed(run_school),
            "build_team": timed(run_team, before=cold),
            "plan_only": timed(lambda: coulissen.plan_suppression(groups, teams, 5), before=cold),
        }
    figures["ratio_school_to_bare"] = round(
        figures["build_school"]["p50_ms"] / max(figures["bare_sql"]["p50_ms"], 0.01), 1
    )
    print(
        f"  [{label}] semester: {figures['semester_lessons']} lessons, "
        f"{figures['semester_moments']} moments, {figures['semester_teachers']} teachers; "
        f"{figures['populations_shown']}/{figures['populations']} populations shown\n"
        f"  [{label}] bare SQL per code  p50 {figures['bare_sql']['p50_ms']:>7} ms  "
        f"max {figures['bare_sql']['max_ms']} ms\n"
        f"  [{label}] build (school)     p50 {figures['build_school']['p50_ms']:>7} ms  "
        f"max {figures['build_school']['max_ms']} ms  ({figures['ratio_school_to_bare']}x bare; "
        f"plans worked out afresh)\n"
        f"  [{label}] build (school)     p50 {figures['build_school_warm']['p50_ms']:>7} ms  "
        f"max {figures['build_school_warm']['max_ms']} ms  (plans kept from an earlier visit)\n"
        f"  [{label}] build (team)       p50 {figures['build_team']['p50_ms']:>7} ms  "
        f"max {figures['build_team']['max_ms']} ms  (plans worked out afresh)\n"
        f"  [{label}] suppression plan   p50 {figures['plan_only']['p50_ms']:>7} ms  "
        f"max {figures['plan_only']['max_ms']} ms"
    )
    return figures


def without_index(made: list[dict[str, Any]], label: str) -> dict[str, Any]:
    with db.get_engine().begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_moment_observation_counted")
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE moment")
    return measure(made, label + ", no covering index")


def run_backend(label: str, world_size: int, load: Callable[..., dict[str, int]]) -> dict[str, Any]:
    db.migrate()
    world = World(world_size)
    made = make_schools(world)
    t0 = time.perf_counter()
    counts = load(world, made)
    load_s = round(time.perf_counter() - t0, 1)
    print(f"  [{label}] loaded {counts} in {load_s} s")
    result: dict[str, Any] = {"rows": counts, "load_seconds": load_s}
    result["with_index"] = measure(made, label)
    result["without_index"] = without_index(made, label)
    db.reset_engine()
    return result


def use_database(url: str) -> None:
    os.environ["COULISSE_DATABASE_URL"] = url
    get_settings.cache_clear()
    db.reset_engine()


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moments", type=int, default=1_000_000)
    args = parser.parse_args()
    t_start = time.perf_counter()
    figures: dict[str, Any] = {"moments_generated": args.moments}
    print(f"Coulissen dashboard over {args.moments} generated moments, SQLite in {TMP}")
    use_database(f"sqlite:///{DB_PATH}")
    figures["sqlite"] = run_backend("sqlite", args.moments, load_sqlite)

    if postgres_reachable():
        import psycopg

        name = f"coulisse_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        print(f"Same rows in PostgreSQL (throwaway database {name})")
        try:
            use_database(url)
            figures["postgresql"] = run_backend(
                "postgresql", args.moments, lambda w, m: load_postgres(w, m, url)
            )
        finally:
            db.reset_engine()
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("PostgreSQL not reachable at 127.0.0.1:5432: skipped")
        figures["postgresql"] = None

    figures["total_seconds"] = round(time.perf_counter() - t_start, 1)
    import shutil

    shutil.rmtree(TMP, ignore_errors=True)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
