"""The tablet (web/js/sync.js) in a real browser against the real server, answered "busy":
it keeps its outbox, says so calmly, waits what Retry-After asks (and a random part more),
and then delivers every moment exactly once (docs/sync.md, "Overload")."""

import time
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Route
from sqlmodel import Session, select

from app.models import Person, Role, SyncMutation
from tests import factories
from tests.test_sync_browser import Tablet, js, moments_on_server, record_lesson
from tests.test_sync_browser import tablets as tablets  # the fixture, used by name

pytestmark = pytest.mark.browser

RETRY_AFTER = 3  # seconds; longer than the backoff after a first failure (2 s)


def test_a_tablet_answered_busy_keeps_its_outbox_waits_and_then_delivers_once(
    session: Session, live_server: str, tablets: Callable[[Person], Tablet]
) -> None:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    teacher = factories.make_person(session, school, [Role.teacher])
    tablet = tablets(coach)
    page = tablet.page
    observation_id = record_lesson(page, teacher, 5)

    pushes: list[float] = []

    def busy_once(route: Route) -> None:
        pushes.append(time.monotonic())
        if len(pushes) > 1:
            route.continue_()
            return
        route.fulfill(
            status=503,
            headers={"Retry-After": str(RETRY_AFTER)},
            json={"detail": "Het is even druk op de server.", "code": "busy"},
        )

    page.route(f"{live_server}/api/sync/push", busy_once)
    js(page, "sync.start();")
    page.wait_for_function("() => window.coulisse.sync.state.error !== null", timeout=10_000)
    # Turned away: everything is still on the tablet, and the person reads why, calmly.
    waiting = js(page, "return { outbox: (await db.outbox()).length, error: sync.state.error };")
    assert waiting["outbox"] == 6
    assert waiting["error"].startswith("De server is even druk.")
    assert moments_on_server(session, observation_id) == 0

    page.wait_for_function(
        "() => window.coulisse.sync.state.pending.count === 0"
        " && window.coulisse.sync.state.lastSync",
        timeout=3 * RETRY_AFTER * 1000 + 10_000,
    )
    js(page, "sync.stop();")
    assert len(pushes) == 2
    # At least Retry-After, and less than twice it: the random part spreads the tablets out.
    # (Not a speed measurement: it checks which wait the tablet chose.)
    assert RETRY_AFTER <= pushes[1] - pushes[0] < 2 * RETRY_AFTER + 2
    assert js(page, "return (await db.outbox()).length;") == 0
    assert js(page, "return sync.state.error;") is None
    assert moments_on_server(session, observation_id) == 5
    device = uuid.UUID(js(page, "return await db.deviceId();"))
    session.commit()
    seqs = session.exec(select(SyncMutation.seq).where(SyncMutation.device_id == device)).all()
    assert sorted(seqs) == [1, 2, 3, 4, 5, 6]
