"""Offline sync, server side: the guarantees of design.md ("Sync: the guarantees") through the
real endpoints POST /api/sync/push and GET /api/sync/pull, checked against the real database."""

import gc
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from app import changelog
from app.codebook import default_book
from app.models import (
    Change,
    Moment,
    Observation,
    Person,
    Reflection,
    Role,
    School,
    Share,
    SyncMutation,
    utcnow,
)
from app.sync import KEPT_MAX
from tests.factories import ClientFactory, login, make_observation, make_person, make_school

CODES = [c["key"] for c in default_book()["codes"]]
CODE, OTHER_CODE = CODES[0], CODES[1]
STARTED = (datetime.now(UTC) - timedelta(hours=1)).isoformat()


@dataclass
class World:
    school: School
    coach: Person
    coach2: Person
    teacher: Person
    colleague: Person
    make_client: ClientFactory

    def client(self, person: Person) -> TestClient:
        return login(self.make_client(), person)


@pytest.fixture
def world(session: Session, make_client: ClientFactory) -> World:
    school = make_school(session)
    return World(
        school=school,
        coach=make_person(session, school, [Role.coach]),
        coach2=make_person(session, school, [Role.coach]),
        teacher=make_person(session, school, [Role.teacher]),
        colleague=make_person(session, school, [Role.teacher]),
        make_client=make_client,
    )


def obs_put(
    seq: int,
    obs_id: uuid.UUID,
    teacher: Person,
    base_version: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    data = {"observed_teacher_id": str(teacher.id), "started_at": STARTED, "group_label": "3A"}
    data.update(fields)
    return {
        "seq": seq,
        "type": "observation.put",
        "id": str(obs_id),
        "base_version": base_version,
        "data": data,
    }


def moment_add(
    seq: int, moment_id: uuid.UUID, obs_id: uuid.UUID, code: str = CODE, offset_ms: int = 1000
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "moment.add",
        "id": str(moment_id),
        "base_version": None,
        "data": {"observation_id": str(obs_id), "code": code, "offset_ms": offset_ms},
    }


def moment_delete(seq: int, moment_id: uuid.UUID, obs_id: uuid.UUID) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "moment.delete",
        "id": str(moment_id),
        "base_version": None,
        "data": {"observation_id": str(obs_id)},
    }


def reflection_put(
    seq: int,
    refl_id: uuid.UUID,
    obs_id: uuid.UUID,
    base_version: int | None = None,
    next_step: str = "",
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "reflection.put",
        "id": str(refl_id),
        "base_version": base_version,
        "data": {
            "observation_id": str(obs_id),
            "dominant_mechanism": "onrust",
            "next_step": next_step,
        },
    }


def push(
    client: TestClient,
    device: uuid.UUID,
    mutations: list[dict[str, Any]],
    *,
    expect: int = 200,
    schema_version: int = 1,
) -> dict[str, Any]:
    response = client.post(
        "/api/sync/push",
        json={
            "device_id": str(device),
            "schema_version": schema_version,
            "mutations": mutations,
        },
    )
    assert response.status_code == expect, response.text
    return response.json()


def pull(client: TestClient, cursor: int = 0, limit: int = 500) -> dict[str, Any]:
    response = client.get("/api/sync/pull", params={"cursor": cursor, "limit": limit})
    assert response.status_code == 200, response.text
    return response.json()


def pull_all(client: TestClient, cursor: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    while True:
        page = pull(client, cursor, limit)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes


def statuses(answer: dict[str, Any]) -> list[str]:
    return [r["status"] for r in answer["results"]]


def count(session: Session, model: Any, *where: Any) -> int:
    session.commit()  # end the snapshot: see what the requests wrote
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def mutations_of(session: Session, device: uuid.UUID) -> list[SyncMutation]:
    session.commit()
    return list(
        session.exec(
            select(SyncMutation)
            .where(SyncMutation.device_id == device)
            .order_by(col(SyncMutation.seq))
        )
    )


def lesson(world: World, client: TestClient, device: uuid.UUID) -> uuid.UUID:
    """An observation by the world's coach of the world's teacher, pushed as seq 1."""
    obs_id = uuid.uuid4()
    assert statuses(push(client, device, [obs_put(1, obs_id, world.teacher)])) == ["applied"]
    return obs_id


# --- push: idempotent, ordered, nothing lost ------------------------------------------------------


def test_pushing_the_same_batch_twice_stores_it_once_and_answers_duplicate(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id, m1, m2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    batch = [
        obs_put(1, obs_id, world.teacher),
        moment_add(2, m1, obs_id),
        moment_add(3, m2, obs_id, OTHER_CODE, 2000),
    ]
    first = push(coach, device, batch)
    second = push(coach, device, batch)
    assert statuses(first) == ["applied"] * 3
    assert statuses(second) == ["duplicate"] * 3
    assert [r["seq"] for r in second["results"]] == [1, 2, 3]
    assert count(session, Observation, Observation.id == obs_id) == 1
    assert count(session, Moment, Moment.observation_id == obs_id) == 2
    assert count(session, SyncMutation, SyncMutation.device_id == device) == 3
    assert first["expected_seq"] is None and second["expected_seq"] is None


def test_a_gap_in_seq_stops_the_batch_at_the_gap_and_reports_expected_seq(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    m2, m4 = uuid.uuid4(), uuid.uuid4()
    answer = push(coach, device, [moment_add(2, m2, obs_id), moment_add(4, m4, obs_id)])
    assert statuses(answer) == ["applied"]
    assert answer["expected_seq"] == 3
    assert count(session, Moment, Moment.id == m4) == 0
    assert [m.seq for m in mutations_of(session, device)] == [1, 2]

    later_first = push(coach, device, [moment_add(5, uuid.uuid4(), obs_id)])
    assert later_first == {"results": [], "expected_seq": 3}
    assert count(session, Moment, Moment.observation_id == obs_id) == 1


def test_an_unknown_code_is_rejected_in_dutch_stored_and_does_not_block_the_next(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    bad, good = uuid.uuid4(), uuid.uuid4()
    answer = push(
        coach,
        device,
        [moment_add(2, bad, obs_id, code="geen-bestaande-code"), moment_add(3, good, obs_id)],
    )
    assert statuses(answer) == ["rejected", "applied"]
    assert "Onbekende code" in answer["results"][0]["reason"]
    assert answer["expected_seq"] is None
    stored = {m.seq: m for m in mutations_of(session, device)}
    assert stored[2].status == "rejected"
    assert stored[2].data is not None and stored[2].data["code"] == "geen-bestaande-code"
    assert "Onbekende code" in stored[2].reason
    assert count(session, Moment, Moment.id == bad) == 0
    assert count(session, Moment, Moment.id == good) == 1
    # The rejected one is done: sending it again repeats the stored outcome, so that a retry
    # after a lost answer still tells the tablet it was rejected, and why.
    again = push(coach, device, [moment_add(2, bad, obs_id, code="geen-bestaande-code")])
    assert statuses(again) == ["rejected"]
    assert "Onbekende code" in again["results"][0]["reason"]


def test_a_moment_id_sent_again_with_other_content_is_a_kept_conflict_not_a_500(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    moment_id = uuid.uuid4()
    push(coach, device, [moment_add(2, moment_id, obs_id, CODE, 1000)])
    answer = push(coach, device, [moment_add(3, moment_id, obs_id, OTHER_CODE, 5000)])
    assert statuses(answer) == ["conflict"]
    assert answer["results"][0]["reason"]
    stored = {m.seq: m for m in mutations_of(session, device)}
    assert stored[3].status == "conflict"
    assert stored[3].data is not None and stored[3].data["code"] == OTHER_CODE
    moment = session.get(Moment, moment_id)
    assert moment is not None and moment.code == CODE and moment.offset_ms == 1000
    # The same content from a second device (a resend after reinstall) is a harmless duplicate.
    other_device = uuid.uuid4()
    assert statuses(push(coach, other_device, [moment_add(1, moment_id, obs_id)])) == ["duplicate"]
    assert count(session, Moment, Moment.id == moment_id) == 1


def test_observation_put_with_a_stale_base_version_is_a_conflict_and_keeps_the_loser(
    world: World, session: Session
) -> None:
    coach = world.client(world.coach)
    tablet, phone = uuid.uuid4(), uuid.uuid4()
    obs_id = lesson(world, coach, tablet)
    won = push(coach, tablet, [obs_put(2, obs_id, world.teacher, 1, subject="Wiskunde")])
    assert statuses(won) == ["applied"] and won["results"][0]["version"] == 2
    lost = push(coach, phone, [obs_put(1, obs_id, world.teacher, 1, subject="Biologie")])
    assert statuses(lost) == ["conflict"]
    assert lost["results"][0]["version"] == 2
    assert "versie 2" in lost["results"][0]["reason"]
    session.commit()
    obs = session.get(Observation, obs_id)
    assert obs is not None and obs.subject == "Wiskunde" and obs.version == 2
    (kept,) = mutations_of(session, phone)
    assert kept.status == "conflict" and kept.data is not None
    assert kept.data["subject"] == "Biologie"


def test_observation_put_with_the_current_base_version_applies_and_raises_the_version(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    answer = push(
        coach,
        device,
        [
            obs_put(2, obs_id, world.teacher, 1, subject="Frans"),
            obs_put(3, obs_id, world.teacher, 2, subject="Frans", status="ended"),
        ],
    )
    assert statuses(answer) == ["applied", "applied"]
    assert [r["version"] for r in answer["results"]] == [2, 3]
    session.commit()
    obs = session.get(Observation, obs_id)
    assert obs is not None and obs.version == 3 and obs.subject == "Frans"
    assert obs.status == "ended"


def test_moment_delete_makes_a_tombstone_that_pull_returns_as_deleted(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    moment_id = uuid.uuid4()
    push(coach, device, [moment_add(2, moment_id, obs_id)])
    cursor = pull(coach)["cursor"]
    answer = push(coach, device, [moment_delete(3, moment_id, obs_id)])
    assert statuses(answer) == ["applied"]
    session.commit()
    moment = session.get(Moment, moment_id)
    assert moment is not None and moment.deleted_at is not None
    changes = pull(coach, cursor)["changes"]
    assert [(c["entity"], c["id"], c["deleted"]) for c in changes] == [
        ("moment", str(moment_id), True)
    ]
    # Deleting again is a duplicate, not a second tombstone or change.
    assert statuses(push(coach, device, [moment_delete(4, moment_id, obs_id)])) == ["duplicate"]
    assert pull(coach, cursor)["changes"] == changes
    # The REST view no longer shows it.
    detail = coach.get(f"/api/observations/{obs_id}").json()
    assert detail["moments"] == [] and detail["moment_count"] == 0


def test_reflection_put_only_by_the_observed_teacher_with_compare_and_set(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    teacher, t_device = world.client(world.teacher), uuid.uuid4()
    by_coach = push(coach, device, [reflection_put(2, uuid.uuid4(), obs_id)])
    assert statuses(by_coach) == ["rejected"]
    assert "geobserveerde docent" in by_coach["results"][0]["reason"]
    assert count(session, Reflection, Reflection.observation_id == obs_id) == 0

    refl_id = uuid.uuid4()
    answer = push(
        teacher,
        t_device,
        [
            reflection_put(1, refl_id, obs_id, None, "eerst"),
            reflection_put(2, refl_id, obs_id, 1, "daarna"),
            reflection_put(3, refl_id, obs_id, 1, "verouderd"),
        ],
    )
    assert statuses(answer) == ["applied", "applied", "conflict"]
    assert [r["version"] for r in answer["results"]] == [1, 2, 2]
    session.commit()
    refl = session.get(Reflection, refl_id)
    assert refl is not None and refl.next_step == "daarna" and refl.version == 2
    kept = mutations_of(session, t_device)[2]
    assert kept.status == "conflict" and kept.data is not None
    assert kept.data["next_step"] == "verouderd"
    # The reflection travels to the observer too.
    entities = {(c["entity"], c["id"]) for c in pull_all(coach)}
    assert ("reflection", str(refl_id)) in entities


# --- pull: by cursor, in pages, only what one may see -----------------------------------------


def test_pull_pages_with_has_more_and_a_cursor_that_moves(world: World) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    moments = [uuid.uuid4() for _ in range(6)]
    push(coach, device, [moment_add(i + 2, m, obs_id, offset_ms=i) for i, m in enumerate(moments)])
    cursor, seen, pages = 0, [], 0
    while True:
        page = pull(coach, cursor, limit=3)
        pages += 1
        assert len(page["changes"]) <= 3
        assert page["cursor"] > cursor or not page["changes"]
        assert page["school_id"] == str(world.school.id)
        seen += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert pages == 3
    assert [c["id"] for c in seen] == [str(obs_id)] + [str(m) for m in moments]
    assert all(not c["deleted"] for c in seen)
    assert [c["data"]["offset_ms"] for c in seen[1:]] == list(range(6))
    last = pull(coach, cursor)
    assert last["changes"] == [] and not last["has_more"] and last["cursor"] == cursor


def test_pull_never_shows_another_coachs_observation(world: World) -> None:
    coach, other = world.client(world.coach), world.client(world.coach2)
    obs_id = lesson(world, coach, uuid.uuid4())
    mine = lesson(world, other, uuid.uuid4())
    coach_ids = {c["id"] for c in pull_all(coach)}
    assert str(obs_id) in coach_ids and str(mine) not in coach_ids
    other_ids = {c["id"] for c in pull_all(other)}
    assert str(obs_id) not in other_ids and str(mine) in other_ids
    # The observed teacher sees it and its moments.
    teacher_ids = {c["id"] for c in pull_all(world.client(world.teacher))}
    assert {str(obs_id), str(mine)} <= teacher_ids


def test_a_shared_observation_appears_for_the_colleague_and_is_deleted_after_revoke(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    moment_id = uuid.uuid4()
    push(coach, device, [moment_add(2, moment_id, obs_id)])
    colleague = world.client(world.colleague)
    before = pull(colleague)
    assert before["changes"] == []
    cursor = before["cursor"]

    share = Share(
        observation_id=obs_id, person_id=world.colleague.id, created_by_id=world.teacher.id
    )
    session.add(share)
    changelog.record(
        session,
        school_id=world.school.id,
        entity="observation",
        entity_id=obs_id,
        observation_id=obs_id,
    )
    session.commit()
    after_share = pull(colleague, cursor)
    assert [(c["entity"], c["id"], c["deleted"]) for c in after_share["changes"]] == [
        ("observation", str(obs_id), False)
    ]
    # A colleague who starts from zero gets the observation and its moment.
    full = {(c["entity"], c["id"]) for c in pull_all(colleague)}
    assert {("observation", str(obs_id)), ("moment", str(moment_id))} <= full

    share.revoked_at = utcnow()
    session.add(share)
    changelog.record(
        session,
        school_id=world.school.id,
        entity="observation",
        entity_id=obs_id,
        observation_id=obs_id,
    )
    session.commit()
    after_revoke = pull(colleague, after_share["cursor"])
    assert after_revoke["changes"] == [
        {
            "seq": after_revoke["cursor"],
            "entity": "observation",
            "id": str(obs_id),
            "deleted": True,
            "data": None,
        }
    ]
    # Later changes to it stay hidden.
    push(coach, device, [moment_add(3, uuid.uuid4(), obs_id)])
    assert pull(colleague, after_revoke["cursor"])["changes"] == []


def test_a_cursor_beyond_the_schools_counter_gets_reset_and_a_full_snapshot(world: World) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    kept, gone = uuid.uuid4(), uuid.uuid4()
    push(
        coach,
        device,
        [moment_add(2, kept, obs_id), moment_add(3, gone, obs_id), moment_delete(4, gone, obs_id)],
    )
    top = pull(coach)["cursor"]
    snapshot = pull(coach, top + 1000)
    assert snapshot["reset"] is True and snapshot["has_more"] is False
    assert snapshot["cursor"] == top
    found = {(c["entity"], c["id"]): c["deleted"] for c in snapshot["changes"]}
    assert found == {
        ("observation", str(obs_id)): False,
        ("moment", str(kept)): False,
        ("moment", str(gone)): True,
    }
    assert pull(coach, top)["reset"] is False


def test_changes_through_the_rest_api_appear_in_pull(world: World) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    cursor = pull(coach)["cursor"]
    response = coach.post(
        f"/api/observations/{obs_id}/moments", json={"code": CODE, "offset_ms": 4321}
    )
    assert response.status_code == 201, response.text
    moment_id = response.json()["id"]
    changes = pull(coach, cursor)["changes"]
    assert [(c["entity"], c["id"], c["deleted"]) for c in changes] == [("moment", moment_id, False)]
    assert changes[0]["data"]["offset_ms"] == 4321
    patched = coach.patch(f"/api/observations/{obs_id}", json={"subject": "Latijn", "version": 1})
    assert patched.status_code == 200, patched.text
    changes = pull(coach, changes[0]["seq"])["changes"]
    assert [(c["entity"], c["data"]["subject"], c["data"]["version"]) for c in changes] == [
        ("observation", "Latijn", 2)
    ]


def test_each_change_number_is_unique_and_increasing_per_school(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = lesson(world, coach, device)
    ids = [uuid.uuid4() for _ in range(5)]
    push(coach, device, [moment_add(i + 2, m, obs_id) for i, m in enumerate(ids)])
    push(coach, device, [moment_delete(7, ids[0], obs_id)])
    coach.post(f"/api/observations/{obs_id}/moments", json={"code": CODE, "offset_ms": 1})
    lesson(world, world.client(world.coach2), uuid.uuid4())
    session.commit()
    seqs = list(session.exec(select(Change.seq).where(Change.school_id == world.school.id)))
    assert len(seqs) == len(set(seqs)) == 9
    assert sorted(seqs) == list(range(1, 10))
    assert changelog.current(session, world.school.id) == 9
    # Another school counts on its own.
    other = make_school(session)
    assert changelog.current(session, other.id) == 0


# --- refused batches change nothing --------------------------------------------------------------


def test_schema_version_2_gets_426_in_dutch_and_changes_nothing(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = uuid.uuid4()
    answer = push(coach, device, [obs_put(1, obs_id, world.teacher)], expect=426, schema_version=2)
    assert "Werk de app bij" in answer["detail"]
    assert count(session, Observation, Observation.id == obs_id) == 0
    assert count(session, SyncMutation, SyncMutation.device_id == device) == 0
    assert count(session, Change, Change.school_id == world.school.id) == 0


def test_a_device_id_used_by_another_person_gets_403(world: World, session: Session) -> None:
    coach, other, device = world.client(world.coach), world.client(world.coach2), uuid.uuid4()
    lesson(world, coach, device)
    obs_id = uuid.uuid4()
    answer = push(other, device, [obs_put(2, obs_id, world.teacher)], expect=403)
    assert "apparaat" in answer["detail"]
    assert count(session, Observation, Observation.id == obs_id) == 0
    assert count(session, SyncMutation, SyncMutation.device_id == device) == 1


def test_a_batch_over_500_mutations_gets_422_and_changes_nothing(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = uuid.uuid4()
    batch = [obs_put(1, obs_id, world.teacher)] + [
        moment_add(i, uuid.uuid4(), obs_id) for i in range(2, 503)
    ]
    answer = push(coach, device, batch, expect=422)
    assert answer["detail"]
    assert count(session, Observation, Observation.id == obs_id) == 0
    assert count(session, SyncMutation, SyncMutation.device_id == device) == 0


def test_a_seq_repeated_inside_one_batch_is_applied_once(world: World, session: Session) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id = uuid.uuid4()
    first, second = uuid.uuid4(), uuid.uuid4()
    answer = push(
        coach,
        device,
        [
            obs_put(1, obs_id, world.teacher),
            moment_add(2, first, obs_id),
            moment_add(2, second, obs_id),
        ],
    )
    assert statuses(answer) == ["applied", "applied", "duplicate"]
    assert count(session, Moment, Moment.observation_id == obs_id) == 1
    assert count(session, SyncMutation, SyncMutation.device_id == device) == 2


def test_a_moment_sent_twice_in_one_batch_is_a_duplicate_not_a_500(
    world: World, session: Session
) -> None:
    coach, device = world.client(world.coach), uuid.uuid4()
    obs_id, moment_id = uuid.uuid4(), uuid.uuid4()
    batch = [
        obs_put(1, obs_id, world.teacher),
        moment_add(2, moment_id, obs_id),
        moment_delete(3, moment_id, obs_id),
        moment_add(4, moment_id, obs_id),  # e.g. restored from a backup: must not revive it
        moment_add(5, moment_id, obs_id, OTHER_CODE),
        obs_put(6, obs_id, world.teacher),
    ]
    # The request's session still holds the moment from mutation 4 when 5 arrives whenever the
    # garbage collector has not run yet; without it, that is every time.
    gc.disable()
    try:
        answer = push(coach, device, batch)
    finally:
        gc.enable()
    assert statuses(answer) == [
        "applied",
        "applied",
        "applied",
        "duplicate",
        "conflict",
        "duplicate",
    ]
    assert count(session, Moment, Moment.id == moment_id) == 1
    moment = session.get(Moment, moment_id)
    assert moment is not None and moment.deleted_at is not None and moment.code == CODE


# --- one bad mutation never blocks a tablet ----------------------------------------------------


def test_an_observation_time_without_a_time_zone_is_rejected_alone_and_stays_rejected(
    world: World, session: Session
) -> None:
    client = world.client(world.coach)
    device = uuid.uuid4()
    naive, ancient, far, good = (uuid.uuid4() for _ in range(4))
    batch = [
        obs_put(1, naive, world.teacher, started_at="2026-11-24T09:00:00"),
        obs_put(2, ancient, world.teacher, started_at="0001-01-01T00:00:00+00:00"),
        obs_put(3, far, world.teacher, started_at=STARTED, ended_at="9999-12-31T23:59:59+14:00"),
        obs_put(4, good, world.teacher),
        moment_add(5, uuid.uuid4(), good),
    ]
    first = push(client, device, batch)
    assert statuses(first) == ["rejected", "rejected", "rejected", "applied", "applied"]
    reasons = [r["reason"] for r in first["results"][:3]]
    assert "tijdzone" in reasons[0] and "1900" in reasons[1] and "1900" in reasons[2]
    again = push(client, device, batch)  # a retry after a lost answer
    assert statuses(again) == ["rejected", "rejected", "rejected", "duplicate", "duplicate"]
    assert count(session, Observation, Observation.id == good) == 1
    assert count(session, Observation, Observation.id == naive) == 0


def test_a_refused_mutation_keeps_its_content_for_review_but_never_an_unbounded_copy(
    world: World, session: Session
) -> None:
    client = world.client(world.coach)
    device = uuid.uuid4()
    obs_id = lesson(world, client, device)
    huge = moment_add(2, uuid.uuid4(), obs_id)
    huge["data"]["note"] = "x" * 2_000_000
    odd = moment_add(3, uuid.uuid4(), obs_id)
    odd["data"]["note"] = "nul\x00 en \ud800 los"
    small = moment_add(4, uuid.uuid4(), obs_id)
    small["data"]["code"] = "bestaat-niet"
    response = client.post(
        "/api/sync/push",
        content=json.dumps(
            {"device_id": str(device), "schema_version": 1, "mutations": [huge, odd, small]}
        ),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert statuses(answer) == ["rejected", "rejected", "rejected"]
    stored = {m.seq: m for m in mutations_of(session, device)}
    for seq in (2, 3, 4):
        assert len(json.dumps(stored[seq].data).encode()) <= KEPT_MAX
    assert stored[2].data is not None and stored[2].data["te_groot"] is True
    assert stored[4].data == small["data"]
    assert "\x00" not in json.dumps(stored[3].data)


def _texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=30),
        st.sampled_from(["", "\x00", "\ud800", "a\udfff", "x" * 5000, "<script>", "Ω" * 41]),
        st.sampled_from(
            [
                "2026-11-24T09:00:00",
                "2026-11-24T09:00:00Z",
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59-14:00",
                "2026-02-30T10:00:00+01:00",
                "morgen",
            ]
        ),
    )


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        _texts(),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

FIELDS = [
    "observed_teacher_id",
    "observation_id",
    "group_label",
    "subject",
    "started_at",
    "ended_at",
    "status",
    "summary",
    "focus_codes",
    "phases",
    "code",
    "offset_ms",
    "phase",
    "zone",
    "target",
    "note",
    "note_shareable",
    "dominant_mechanism",
    "zones",
    "next_step",
]


TIMESTAMPS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(st.none(), st.just(UTC)),
).map(lambda d: d.isoformat())
VALUES = st.one_of(JSON_VALUES, TIMESTAMPS, st.uuids().map(str))


@st.composite
def mutation_content(draw: Any, world: World, obs_id: uuid.UUID) -> dict[str, Any]:
    """A valid mutation of a random type with up to three fields changed into anything, or
    dropped: content that gets far into the code before something is wrong with it."""
    templates: dict[str, dict[str, Any]] = {
        "observation.put": {
            "observed_teacher_id": str(world.teacher.id),
            "started_at": draw(st.one_of(st.just(STARTED), TIMESTAMPS)),
            "ended_at": draw(st.one_of(st.none(), TIMESTAMPS)),
            "group_label": "3A",
        },
        "moment.add": {"observation_id": str(obs_id), "code": CODE, "offset_ms": 1000},
        "moment.delete": {"observation_id": str(obs_id)},
        "reflection.put": {"observation_id": str(obs_id), "dominant_mechanism": "onrust"},
    }
    kind = draw(st.sampled_from(sorted(templates)))
    data = dict(templates[kind])
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        if name in data and draw(st.booleans()):
            del data[name]
        else:
            data[name] = draw(VALUES)
    return {
        "type": kind,
        "id": str(draw(st.one_of(st.uuids(), st.just(obs_id)))),
        "base_version": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=2**40))),
        "data": data,
    }


def test_push_never_answers_a_server_error_and_applies_the_valid_rest(
    world: World, session: Session
) -> None:
    client = world.client(world.coach)
    setup = uuid.uuid4()
    obs_id = lesson(world, client, setup)
    seen: set[str] = set()

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(content=mutation_content(world, obs_id))
    def one_batch(content: dict[str, Any]) -> None:
        device = uuid.uuid4()
        valid_id = uuid.uuid4()
        batch = [
            {"seq": 1, **content},
            moment_add(2, valid_id, obs_id),
        ]
        response = client.post(
            "/api/sync/push",
            content=json.dumps({"device_id": str(device), "schema_version": 1, "mutations": batch}),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["seq"] for r in results] == [1, 2]
        seen.add(results[0]["status"])
        if results[0]["status"] == "rejected":
            assert results[0]["reason"]
        assert results[1]["status"] == "applied"

    one_batch()
    assert {"rejected", "applied"} <= seen
    session.commit()
    assert session.exec(select(Moment).where(Moment.observation_id == obs_id)).first()
    assert session.exec(select(SyncMutation).where(SyncMutation.status == "rejected")).first()


# --- moments in a batch are applied together, with the outcomes each would have alone -------------


def mixed_moments(world: World, session: Session, base: int) -> list[dict[str, Any]]:
    """A run of moments with every kind of outcome, in one unbroken run of seqs."""
    elsewhere = make_school(session)
    stranger = make_person(session, elsewhere, [Role.coach])
    foreign_teacher = make_person(session, elsewhere, [Role.teacher])
    foreign = make_observation(session, elsewhere, stranger, foreign_teacher)
    obs_id = uuid.uuid4()
    first, stored_elsewhere = uuid.uuid4(), uuid.uuid4()
    session.add(
        Moment(
            id=stored_elsewhere,
            observation_id=foreign.id,
            school_id=elsewhere.id,
            code=CODE,
            offset_ms=5,
            created_by_id=stranger.id,
        )
    )
    session.commit()
    return [
        obs_put(base + 1, obs_id, world.teacher),
        moment_add(base + 2, first, obs_id),  # applied
        moment_add(base + 3, uuid.uuid4(), obs_id, code="geen-code"),  # rejected: unknown code
        moment_add(base + 4, first, obs_id),  # duplicate of seq 2 in the same batch
        moment_add(base + 5, first, obs_id, code=OTHER_CODE),  # conflict with seq 2
        moment_add(base + 6, uuid.uuid4(), foreign.id),  # rejected: not visible
        moment_add(base + 7, stored_elsewhere, obs_id),  # rejected: an id one may not see
        {**moment_add(base + 8, uuid.uuid4(), obs_id), "data": {"code": CODE}},  # invalid
        moment_add(base + 9, uuid.uuid4(), obs_id, offset_ms=2000),  # applied
    ]


def outcomes(answer: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    return [(r["status"], r["reason"], r["version"]) for r in answer["results"]]


def test_a_batch_of_moments_answers_as_the_same_moments_sent_one_by_one(
    world: World, session: Session
) -> None:
    coach = world.client(world.coach)
    together = mixed_moments(world, session, 0)
    alone = mixed_moments(world, session, 0)
    batch = push(coach, uuid.uuid4(), together)
    device = uuid.uuid4()
    one_by_one = [push(coach, device, [m])["results"][0] for m in alone]
    assert outcomes(batch) == outcomes({"results": one_by_one})
    assert [r["status"] for r in batch["results"]] == [
        "applied",
        "applied",
        "rejected",
        "duplicate",
        "conflict",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]


def test_a_run_of_moments_takes_consecutive_change_numbers_and_one_outcome_row_each(
    world: World, session: Session
) -> None:
    coach = world.client(world.coach)
    obs_id, device = uuid.uuid4(), uuid.uuid4()
    push(coach, device, [obs_put(1, obs_id, world.teacher)])
    session.commit()
    before = changelog.current(session, world.school.id)
    ids = [uuid.uuid4() for _ in range(50)]
    answer = push(
        coach, device, [moment_add(2 + i, m, obs_id, offset_ms=i) for i, m in enumerate(ids)]
    )
    assert {r["status"] for r in answer["results"]} == {"applied"}
    session.commit()
    changes = list(
        session.exec(
            select(Change)
            .where(Change.school_id == world.school.id, col(Change.seq) > before)
            .order_by(col(Change.seq))
        )
    )
    assert [c.seq for c in changes] == list(range(before + 1, before + 51))
    assert [c.entity_id for c in changes] == ids
    rows = list(session.exec(select(SyncMutation).where(SyncMutation.device_id == device)))
    assert sorted(r.seq for r in rows) == list(range(1, 52))
    stored = list(session.exec(select(Moment.id).where(Moment.observation_id == obs_id)))
    assert sorted(stored) == sorted(ids)
