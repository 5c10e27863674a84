"""The observed teacher's reflection: only they write it, it is versioned, a stale writer is
refused with the current version and loses nothing, and the page, the API and a tablet's sync
are one write path."""

import threading
import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Reflection, Role
from tests import factories
from tests.factories import ClientFactory
from tests.test_sharing import lesson_and_colleague

TEXTS = {
    "dominant_mechanism": "Ludificering bij de overgangen: de groep zocht elkaar op.",
    "zones": "Groen: de grap over de toets. Oranje: wachten bij het lokaal. Rood: niets.",
    "next_step": "De overgang naar verwerking in één zin aankondigen.",
}


def put(client: TestClient, obs_id: uuid.UUID, **body: object) -> dict:
    response = client.put(f"/api/observations/{obs_id}/reflection", json=body)
    return {"status": response.status_code, **response.json()}


def test_the_teacher_writes_a_reflection_and_versions_guard_it(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, _colleague, obs = lesson_and_colleague(session)
    as_teacher = factories.login(make_client(), teacher)
    as_coach = factories.login(make_client(), coach)

    first = put(as_teacher, obs.id, **TEXTS)
    assert first["status"] == 200 and first["version"] == 1
    assert first["dominant_mechanism"] == TEXTS["dominant_mechanism"]
    detail = as_coach.get(f"/api/observations/{obs.id}").json()
    assert detail["reflection"]["next_step"] == TEXTS["next_step"]

    # A second first reflection (another tab that loaded before the first was saved) is stale.
    again = put(as_teacher, obs.id, dominant_mechanism="Iets anders")
    assert again["status"] == 409 and again["current_version"] == 1

    step = {**TEXTS, "next_step": "Wachttijd na een vraag."}
    second = put(as_teacher, obs.id, **step, version=1)
    assert second["status"] == 200 and second["version"] == 2

    # The tab still on version 1 is told, with the version to reload, and nothing is overwritten.
    stale = put(as_teacher, obs.id, **{**TEXTS, "zones": "Alles groen."}, version=1)
    assert stale["status"] == 409 and stale["current_version"] == 2
    assert "versie 2" in stale["detail"]
    # The same words again, after they landed, change nothing and are no conflict.
    repeated = put(as_teacher, obs.id, **step, version=1)
    assert repeated["status"] == 200 and repeated["version"] == 2

    session.commit()
    rows = session.exec(select(Reflection).where(Reflection.observation_id == obs.id)).all()
    assert len(rows) == 1
    assert (rows[0].version, rows[0].zones, rows[0].next_step) == (
        2,
        TEXTS["zones"],
        "Wachttijd na een vraag.",
    )
    assert rows[0].author_id == teacher.id


def test_only_the_observed_teacher_writes_it(session: Session, make_client: ClientFactory) -> None:
    coach, teacher, colleague, obs = lesson_and_colleague(session)
    as_teacher = factories.login(make_client(), teacher)
    as_teacher.post(f"/api/observations/{obs.id}/shares", json={"person_id": str(colleague.id)})
    for person in (coach, colleague):
        refused = put(factories.login(make_client(), person), obs.id, **TEXTS)
        assert refused["status"] == 403
        assert refused["detail"] == "Alleen de geobserveerde docent schrijft de reflectie."
    session.commit()
    assert session.exec(select(Reflection).where(Reflection.observation_id == obs.id)).all() == []


def test_bad_input_is_a_clear_422(session: Session, make_client: ClientFactory) -> None:
    _coach, teacher, _colleague, obs = lesson_and_colleague(session)
    as_teacher = factories.login(make_client(), teacher)
    too_long = put(as_teacher, obs.id, next_step="x" * 4001)
    assert too_long["status"] == 422 and "4000" in too_long["detail"]
    nul = put(as_teacher, obs.id, zones="a\x00b")
    assert nul["status"] == 422
    unknown = put(as_teacher, obs.id, verdict="onvoldoende")
    assert unknown["status"] == 422


def test_two_writers_on_the_same_version_cannot_both_win(
    session: Session, make_client: ClientFactory
) -> None:
    """SQLite serialises writing requests; on PostgreSQL they run at once, and only the
    compare-and-set in one statement keeps a second winner out."""
    _coach, teacher, _colleague, obs = lesson_and_colleague(session)
    first = put(factories.login(make_client(), teacher), obs.id, **TEXTS)
    assert first["version"] == 1
    tabs = [factories.login(make_client(), teacher) for _ in range(6)]
    results: list[dict] = []
    start = threading.Barrier(len(tabs))

    def write(i: int, client: TestClient) -> None:
        start.wait()
        results.append(put(client, obs.id, **{**TEXTS, "next_step": f"Stap {i}"}, version=1))

    threads = [threading.Thread(target=write, args=(i, c)) for i, c in enumerate(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(r["status"] for r in results)
    assert statuses == [200] + [409] * 5, results
    winner = next(r for r in results if r["status"] == 200)
    session.commit()
    row = session.exec(select(Reflection).where(Reflection.observation_id == obs.id)).one()
    assert (row.version, row.next_step) == (2, winner["next_step"])


def test_the_tablet_and_the_page_share_one_history(
    session: Session, make_client: ClientFactory
) -> None:
    """A reflection written on a tablet arrives by push; the page then edits that version, and
    the tablet's next edit on the old version is a conflict that keeps its words."""
    _coach, teacher, _colleague, obs = lesson_and_colleague(session)
    tablet = factories.login(make_client(), teacher)
    device = str(uuid.uuid4())
    reflection_id = uuid.uuid4()

    def push(seq: int, base: int | None, **texts: str) -> dict:
        body = {
            "device_id": device,
            "schema_version": 1,
            "mutations": [
                {
                    "seq": seq,
                    "type": "reflection.put",
                    "id": str(reflection_id),
                    "base_version": base,
                    "data": {"observation_id": str(obs.id), **texts},
                }
            ],
        }
        response = tablet.post("/api/sync/push", json=body)
        assert response.status_code == 200, response.text
        return response.json()["results"][0]

    assert push(1, None, **TEXTS)["status"] == "applied"
    page = factories.login(make_client(), teacher)
    edited = put(page, obs.id, **{**TEXTS, "zones": "Groen: de grap."}, version=1)
    assert edited["status"] == 200 and edited["id"] == str(reflection_id)
    late = push(2, 1, **{**TEXTS, "zones": "Rood: het wachten."})
    assert late["status"] == "conflict" and late["version"] == 2
    session.commit()
    row = session.exec(select(Reflection).where(Reflection.observation_id == obs.id)).one()
    assert row.zones == "Groen: de grap."


def test_a_peer_observation_belongs_to_the_observed_colleague(
    session: Session, make_client: ClientFactory
) -> None:
    """A teacher observing a colleague records nothing the colleague cannot own: the observed
    teacher reflects, shares and keeps it out of team data; the peer who observed may not."""
    school = factories.make_school(session)
    peer = factories.make_person(session, school, [Role.teacher])
    observed = factories.make_person(session, school, [Role.teacher])
    obs = factories.make_observation(session, school, peer, observed)
    as_observed = factories.login(make_client(), observed)
    as_peer = factories.login(make_client(), peer)

    assert put(as_observed, obs.id, **TEXTS)["status"] == 200
    out = as_observed.patch(f"/api/observations/{obs.id}", json={"excluded_from_team": True})
    assert out.status_code == 200 and out.json()["excluded_from_team"] is True
    assert put(as_peer, obs.id, **TEXTS)["status"] == 403
    refused = as_peer.patch(f"/api/observations/{obs.id}", json={"excluded_from_team": False})
    assert refused.status_code == 403
    assert as_peer.get(f"/api/observations/{obs.id}/reads").status_code == 403
