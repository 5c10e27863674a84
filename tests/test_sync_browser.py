"""The tablet modules (web/js/db.js, web/js/sync.js) in a real browser against the real server:
a lesson recorded offline survives a reload, arrives once, and reaches a second device."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import (
    Membership,
    Moment,
    Observation,
    ObservationStatus,
    Person,
    Reflection,
    Role,
    School,
)
from tests import factories

WEB = Path(__file__).resolve().parent.parent / "web"
HARNESS = "/static/sync-harness.html"
# No service worker yet: these routes stand in for its cache, so the page loads offline.
OFFLINE_FILES = {
    HARNESS: (WEB / "sync-harness.html", "text/html; charset=utf-8"),
    "/static/sync-harness.js": (WEB / "sync-harness.js", "text/javascript; charset=utf-8"),
    "/static/js/db.js": (WEB / "js" / "db.js", "text/javascript; charset=utf-8"),
    "/static/js/sync.js": (WEB / "js" / "sync.js", "text/javascript; charset=utf-8"),
    "/static/js/tablet.js": (WEB / "js" / "tablet.js", "text/javascript; charset=utf-8"),
}

pytestmark = pytest.mark.browser


class Tablet:
    """A browser context with the harness open. Offline, the harness and its modules come
    from disk (no service worker yet: these routes stand in for its cache)."""

    def __init__(self, browser: Browser, live_server: str, person: Person) -> None:
        self.live_server = live_server
        self.offline = False
        self.context = browser.new_context(viewport={"width": 1024, "height": 768})
        for path, (file, content_type) in OFFLINE_FILES.items():
            self.context.route(f"{live_server}{path}", self._serve(file, content_type))
        self.page = self.context.new_page()
        log_in(self.page, live_server, person)
        self.load()

    def _serve(self, file: Path, content_type: str) -> Callable[[Route], None]:
        def serve(route: Route) -> None:
            if not self.offline:
                route.continue_()
                return
            route.fulfill(status=200, body=file.read_bytes(), content_type=content_type)

        return serve

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self.context.set_offline(offline)

    def load(self) -> None:
        self.page.goto(f"{self.live_server}{HARNESS}")
        self.page.wait_for_function("() => window.coulisse !== undefined")
        self.page.evaluate("window.coulisse.ready")


@pytest.fixture
def tablets(browser: Browser, live_server: str) -> Iterator[Callable[[Person], Tablet]]:
    made: list[Tablet] = []

    def make(person: Person) -> Tablet:
        made.append(Tablet(browser, live_server, person))
        return made[-1]

    yield make
    for tablet in made:
        tablet.context.close()


def log_in(page: Page, live_server: str, person: Person) -> str:
    response = page.request.post(
        f"{live_server}/api/auth/login",
        data={"email": person.email, "password": factories.PASSWORD},
    )
    assert response.status == 200, response.text()
    return str(response.json()["csrf_token"])


def js(page: Page, body: str, arg: Any = None) -> Any:
    """Run an async function body with `db`, `sync` and `arg` in scope."""
    return page.evaluate(
        f"async (arg) => {{ const {{ db, sync }} = window.coulisse; {body} }}", arg
    )


def record_lesson(page: Page, teacher: Person, moments: int) -> str:
    return str(
        js(
            page,
            """
            const obs = await db.putObservation({
              observed_teacher_id: arg.teacher, group_label: "2B havo", subject: "Engels",
              started_at: new Date().toISOString() });
            for (let i = 0; i < arg.moments; i++) {
              await db.addMoment({ observation_id: obs.id, code: "suc-s-succes",
                                   offset_ms: 1000 * i });
            }
            return obs.id;
            """,
            {"teacher": str(teacher.id), "moments": moments},
        )
    )


def counts(page: Page, observation_id: str) -> dict[str, int]:
    return dict(
        js(
            page,
            """
            return { moments: (await db.momentsOf(arg)).length,
                     outbox: (await db.outbox()).length,
                     problems: (await db.problems()).length };
            """,
            observation_id,
        )
    )


def moments_on_server(session: Session, observation_id: str) -> int:
    session.commit()  # end the snapshot: see what the server committed since
    query = select(func.count()).where(Moment.observation_id == uuid.UUID(observation_id))
    return int(session.exec(query).one())


def coach_school(session: Session, person: Person) -> uuid.UUID:
    return session.exec(select(Membership.school_id).where(Membership.person_id == person.id)).one()


@pytest.fixture
def people(session: Session) -> tuple[Person, Person]:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    teacher = factories.make_person(session, school, [Role.teacher])
    return coach, teacher


def test_a_lesson_recorded_offline_survives_a_reload_and_arrives_exactly_once(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    page = tablet.page

    tablet.set_offline(True)
    observation_id = record_lesson(page, teacher, 200)
    tablet.load()
    assert counts(page, observation_id) == {"moments": 200, "outbox": 201, "problems": 0}
    pending = js(page, "return await db.pending();")
    assert pending["count"] == 201 and pending["oldest"]
    names = js(page, "return (await indexedDB.databases()).map((d) => d.name);")
    assert names == [f"coulisse-{coach.id}"]  # one database per person

    tablet.set_offline(False)
    assert js(page, "return await sync.syncNow();") is True
    assert moments_on_server(session, observation_id) == 200
    assert counts(page, observation_id) == {"moments": 200, "outbox": 0, "problems": 0}

    assert js(page, "return await sync.syncNow();") is True
    assert moments_on_server(session, observation_id) == 200

    other = tablets(coach).page
    assert js(other, "return await sync.syncNow();") is True
    assert counts(other, observation_id) == {"moments": 200, "outbox": 0, "problems": 0}


def test_a_sync_while_logged_out_keeps_the_outbox_until_the_next_login(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    page = tablets(coach).page
    observation_id = record_lesson(page, teacher, 0)
    assert js(page, "return await sync.syncNow();") is True

    csrf = js(page, "return (await sync.identify()).csrf_token;")
    response = page.request.post(f"{live_server}/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status == 204
    js(
        page,
        "await db.addMoment({ observation_id: arg, code: 'suc-s-succes', offset_ms: 5000 });",
        observation_id,
    )
    assert js(page, "return await sync.syncNow();") is False
    assert js(page, "return sync.state.needsLogin;") is True
    assert counts(page, observation_id)["outbox"] == 1
    assert moments_on_server(session, observation_id) == 0

    log_in(page, live_server, coach)
    assert js(page, "return await sync.syncNow();") is True
    assert js(page, "return sync.state.needsLogin;") is False
    assert counts(page, observation_id) == {"moments": 1, "outbox": 0, "problems": 0}
    assert moments_on_server(session, observation_id) == 1


def test_a_shared_tablet_never_pushes_one_persons_outbox_under_another_login(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    school = session.get(School, coach_school(session, coach))
    assert school is not None
    colleague = factories.make_person(session, school, [Role.coach])
    tablet = tablets(coach)
    page = tablet.page
    observation_id = record_lesson(page, teacher, 3)

    csrf = js(page, "return (await sync.identify()).csrf_token;")
    page.request.post(f"{live_server}/api/auth/logout", headers={"X-CSRF-Token": csrf})
    log_in(page, live_server, colleague)
    assert js(page, "return await sync.syncNow();") is True
    assert js(page, "return (await db.outbox()).length;") == 0  # the colleague's own database
    assert moments_on_server(session, observation_id) == 0

    csrf = js(page, "return (await sync.identify()).csrf_token;")
    page.request.post(f"{live_server}/api/auth/logout", headers={"X-CSRF-Token": csrf})
    log_in(page, live_server, coach)
    assert js(page, "return await sync.syncNow();") is True
    assert moments_on_server(session, observation_id) == 3


def test_edits_waiting_unsent_are_merged_and_edits_behind_a_sent_one_chain_their_versions(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    tablet.set_offline(True)
    observation_id = record_lesson(tablet.page, teacher, 1)
    js(
        tablet.page,
        """
        await db.putObservation({ id: arg, summary: "Eerste indruk" });
        await db.putObservation({ id: arg, summary: "Rustige les", status: "ended" });
        """,
        observation_id,
    )
    puts = "return (await db.outbox()).filter((e) => e.type === 'observation.put').length;"
    assert js(tablet.page, puts) == 1
    tablet.set_offline(False)
    assert js(tablet.page, "return await sync.syncNow();") is True
    session.commit()
    observation = session.get(Observation, uuid.UUID(observation_id))
    assert observation is not None
    assert (observation.summary, observation.status, observation.version) == (
        "Rustige les",
        ObservationStatus.ended,
        1,
    )

    # A push takes the next edit and is lost on the way: that edit may no longer change, so a
    # later edit queues behind it and gets its base version from the first one's answer.
    tablet.page.route("**/api/sync/push", lambda route: route.abort())
    js(tablet.page, "await db.putObservation({ id: arg, summary: 'Tweede blik' });", observation_id)
    assert js(tablet.page, "return await sync.syncNow();") is False
    js(tablet.page, "await db.putObservation({ id: arg, summary: 'Derde blik' });", observation_id)
    assert js(tablet.page, puts) == 2
    tablet.page.unroute("**/api/sync/push")
    assert js(tablet.page, "return await sync.syncNow();") is True
    assert js(tablet.page, "return (await db.problems()).length;") == 0
    assert js(tablet.page, "return (await db.outbox()).length;") == 0
    session.commit()
    session.refresh(observation)
    assert (observation.summary, observation.version) == ("Derde blik", 3)


def test_an_unsupported_app_version_keeps_the_outbox_and_asks_for_an_update(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    # The real server only answers 426 to an older app than this one; stand in for that.
    tablet.context.route(
        f"{live_server}/api/sync/push",
        lambda route: route.fulfill(
            status=426, json={"detail": "Werk de app bij.", "code": "upgrade_required"}
        ),
    )
    observation_id = record_lesson(tablet.page, teacher, 2)
    assert js(tablet.page, "return await sync.syncNow();") is False
    assert js(tablet.page, "return sync.state.needsUpdate;") is True
    assert counts(tablet.page, observation_id)["outbox"] == 3


def test_a_started_tablet_delivers_by_itself_when_it_comes_back_online(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    tablet.set_offline(True)
    js(tablet.page, "sync.start();")
    observation_id = record_lesson(tablet.page, teacher, 5)
    assert counts(tablet.page, observation_id)["outbox"] == 6

    tablet.set_offline(False)  # the "online" event; no syncNow()
    tablet.page.wait_for_function(
        "() => window.coulisse.sync.state.pending.count === 0"
        " && window.coulisse.sync.state.lastSync",
        timeout=10_000,
    )
    js(tablet.page, "sync.stop();")
    assert moments_on_server(session, observation_id) == 5


def test_unsynced_work_can_be_counted_and_exported_as_a_file(
    people: tuple[Person, Person], tablets: Callable[[Person], Tablet]
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    tablet.set_offline(True)
    record_lesson(tablet.page, teacher, 2)
    exported = js(
        tablet.page,
        """
        const file = await db.exportUnsynced();
        return { type: file.type, data: JSON.parse(await file.text()),
                 pending: await sync.refreshPending() };
        """,
    )
    assert exported["type"] == "application/json"
    assert [e["type"] for e in exported["data"]["outbox"]] == [
        "observation.put",
        "moment.add",
        "moment.add",
    ]
    assert exported["data"]["person"] == str(coach.id)
    assert exported["pending"]["count"] == 3
    assert exported["pending"]["ageMs"] >= 0 and exported["pending"]["oldest"]


def test_a_deleted_moment_and_a_twice_edited_reflection_travel_between_tablets(
    session: Session,
    people: tuple[Person, Person],
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    coaching = tablets(coach).page
    observation_id = record_lesson(coaching, teacher, 2)
    js(coaching, "await db.deleteMoment((await db.momentsOf(arg))[0].id);", observation_id)
    assert js(coaching, "return await sync.syncNow();") is True

    reflecting = tablets(teacher)
    assert js(reflecting.page, "return await sync.syncNow();") is True
    assert counts(reflecting.page, observation_id)["moments"] == 1  # the tombstone hides one
    reflecting.set_offline(True)
    js(
        reflecting.page,
        """
        const first = await db.putReflection({ observation_id: arg, next_step: "Eerst" });
        await db.putReflection({ id: first.id, next_step: "Meer wachttijd na een vraag" });
        """,
        observation_id,
    )
    reflecting.set_offline(False)
    assert js(reflecting.page, "return await sync.syncNow();") is True
    assert counts(reflecting.page, observation_id) == {"moments": 1, "outbox": 0, "problems": 0}
    session.commit()
    reflection = session.exec(
        select(Reflection).where(Reflection.observation_id == uuid.UUID(observation_id))
    ).one()
    # Both edits waited unsent on the tablet, so they travelled as one.
    assert (reflection.next_step, reflection.version) == ("Meer wachttijd na een vraag", 1)


def test_a_push_whose_answer_is_lost_is_retried_without_doubling_or_hiding_a_rejection(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    observation_id = record_lesson(tablet.page, teacher, 3)
    js(
        tablet.page,
        "await db.addMoment({ observation_id: arg, code: 'bestaat-niet', offset_ms: 9000 });",
        observation_id,
    )

    def commit_then_drop_the_answer(route: Route) -> None:
        route.fetch()  # the server commits the batch ...
        route.abort("connectionreset")  # ... and the tablet never hears back

    push_url = f"{live_server}/api/sync/push"
    tablet.context.route(push_url, commit_then_drop_the_answer)
    assert js(tablet.page, "return await sync.syncNow();") is False
    assert counts(tablet.page, observation_id)["outbox"] == 5
    assert moments_on_server(session, observation_id) == 3

    tablet.context.unroute(push_url)
    assert js(tablet.page, "return await sync.syncNow();") is True
    assert moments_on_server(session, observation_id) == 3
    assert counts(tablet.page, observation_id)["outbox"] == 0
    problems = js(tablet.page, "return await db.problems();")
    assert [(p["type"], p["data"]["code"]) for p in problems] == [("moment.add", "bestaat-niet")]


def test_a_moment_not_yet_sent_is_changed_or_removed_in_place_without_a_gap_in_the_sequence(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    tablet.set_offline(True)
    observation_id = record_lesson(tablet.page, teacher, 4)
    outcome = js(
        tablet.page,
        """
        const [first, second, third] = await db.momentsOf(arg);
        const edited = await db.editMoment(second.id, { zone: "rood", note: "Lange uitleg" });
        await db.deleteMoment(third.id);
        const seqs = (await db.outbox()).map((e) => e.seq);
        return { same: edited.id === second.id, seqs, next: await db.getMeta("next_seq"),
                 live: (await db.momentsOf(arg, { withDeleted: true })).length };
        """,
        observation_id,
    )
    # One observation put and three moment adds, numbered 1..4; the deleted one left no trace.
    assert outcome == {"same": True, "seqs": [1, 2, 3, 4], "next": 5, "live": 3}
    tablet.set_offline(False)
    assert js(tablet.page, "return await sync.syncNow();") is True
    session.commit()
    rows = session.exec(
        select(Moment).where(Moment.observation_id == uuid.UUID(observation_id))
    ).all()
    assert len(rows) == 3
    assert all(m.deleted_at is None for m in rows)
    assert sorted((m.offset_ms, m.zone, m.note) for m in rows) == [
        (0, None, ""),
        (1000, "rood", "Lange uitleg"),
        (3000, None, ""),
    ]


def test_a_moment_the_server_has_is_changed_by_a_tombstone_and_a_new_moment(
    session: Session,
    people: tuple[Person, Person],
    live_server: str,
    tablets: Callable[[Person], Tablet],
) -> None:
    coach, teacher = people
    tablet = tablets(coach)
    observation_id = record_lesson(tablet.page, teacher, 2)
    assert js(tablet.page, "return await sync.syncNow();") is True
    new_id = js(
        tablet.page,
        """
        const [first] = await db.momentsOf(arg);
        const edited = await db.editMoment(first.id, { code: "ver-p-wachttijd-doorvragen",
                                                       note: "Wacht lang op antwoord" });
        return edited.id;
        """,
        observation_id,
    )
    assert js(tablet.page, "return await sync.syncNow();") is True
    session.commit()
    rows = session.exec(
        select(Moment).where(Moment.observation_id == uuid.UUID(observation_id))
    ).all()
    live = [m for m in rows if m.deleted_at is None]
    assert len(rows) == 3
    assert len(live) == 2
    replacement = next(m for m in live if str(m.id) == new_id)
    assert (replacement.code, replacement.offset_ms, replacement.note) == (
        "ver-p-wachttijd-doorvragen",
        0,
        "Wacht lang op antwoord",
    )
