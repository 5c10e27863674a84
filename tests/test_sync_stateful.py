"""Offline sync as a state machine: simulated tablets edit offline and sync through the real
endpoints while the network repeats, loses and reorders their pushes.

Each device is a small model of the tablet: the state it last pulled (observations, moments,
tombstones), an outbox of mutations numbered by a per-device seq, and a cursor. What the device
shows is the pulled state with its outbox replayed on top. A device deletes an outbox entry
only when the server answered for that seq.

After every step the database must hold exactly the mutations the server acknowledged, each
once; at the end every device pushes and pulls everything and must show what the server shows.
"""

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import col, select

from app import db
from app.codebook import default_book
from app.models import Moment, Observation, Person, Role, SyncDevice, SyncMutation
from tests.factories import login, make_person, make_school

CODES = [c["key"] for c in default_book()["codes"]][:12]
SUBJECTS = ["Engels", "Wiskunde", "Frans", "Biologie"]
ALLOWED = {
    "create": {"applied"},
    "observation.put": {"applied", "conflict", "duplicate"},
    "moment.add": {"applied"},
    "bad_moment": {"rejected"},
    "moment.delete": {"applied", "duplicate"},
    # The same mutation again from the person's other device (a restored backup):
    "resend moment.add": {"duplicate"},
    "resend moment.delete": {"duplicate"},
    "resend observation.put": {"applied", "duplicate", "conflict"},
}
Row = tuple[str, uuid.UUID, str]  # (mutation type, record id, status)


@dataclass
class Device:
    name: str
    person: Person
    client: TestClient
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    next_seq: int = 1
    outbox: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0
    # The state as last pulled from the server.
    observations: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    moments: dict[uuid.UUID, tuple[uuid.UUID, str, int]] = field(default_factory=dict)
    tombstones: set[uuid.UUID] = field(default_factory=set)
    known_version: dict[uuid.UUID, int] = field(default_factory=dict)

    def enqueue(self, kind: str, record_id: uuid.UUID, data: dict[str, Any], **kw: Any) -> None:
        self.outbox.append(
            {
                "seq": self.next_seq,
                "type": kind,
                "id": str(record_id),
                "base_version": kw.get("base_version"),
                "data": data,
            }
        )
        self.next_seq += 1

    def visible(self) -> tuple[dict[uuid.UUID, dict[str, Any]], dict[uuid.UUID, Any]]:
        """The pulled state with the outbox replayed on top: what the tablet shows."""
        obs = {k: dict(v) for k, v in self.observations.items()}
        moments = dict(self.moments)
        for m in self.outbox:
            rid, data = uuid.UUID(m["id"]), m["data"]
            if m["type"] == "observation.put":
                obs.setdefault(rid, {"observer_id": str(self.person.id)}).update(data)
            elif m["type"] == "moment.add" and rid not in self.tombstones:
                moments[rid] = (uuid.UUID(data["observation_id"]), data["code"], data["offset_ms"])
            elif m["type"] == "moment.delete":
                moments.pop(rid, None)
        return obs, moments

    def apply_pull(self, page: dict[str, Any]) -> None:
        if page["reset"]:
            self.observations.clear()
            self.moments.clear()
        for c in page["changes"]:
            rid, data = uuid.UUID(c["id"]), c["data"]
            if c["entity"] == "observation":
                if c["deleted"]:
                    self.observations.pop(rid, None)
                    self.moments = {k: v for k, v in self.moments.items() if v[0] != rid}
                else:
                    self.observations[rid] = {
                        k: data[k]
                        for k in ("observed_teacher_id", "observer_id", "started_at", "subject")
                    } | {"group_label": data["group_label"]}
                    self.known_version[rid] = data["version"]
            elif c["entity"] == "moment":
                if c["deleted"]:
                    self.moments.pop(rid, None)
                    self.tombstones.add(rid)
                else:
                    self.moments[rid] = (
                        uuid.UUID(data["observation_id"]),
                        data["code"],
                        data["offset_ms"],
                    )
        self.cursor = page["cursor"]


class SyncMachine(RuleBasedStateMachine):
    app: FastAPI  # set by the test

    def __init__(self) -> None:
        super().__init__()
        with db.new_session(write=True) as s:
            self.school = make_school(s)
            coach = make_person(s, self.school, [Role.coach])
            peer = make_person(s, self.school, [Role.teacher])
            self.teachers = [make_person(s, self.school, [Role.teacher]) for _ in range(2)]
        self.devices = [
            Device("coach-tablet", coach, self._client(coach)),
            Device("coach-phone", coach, self._client(coach)),
            Device("peer-tablet", peer, self._client(peer)),
        ]
        # What the server acknowledged: (device, seq) -> (type, record id, status).
        self.server: dict[tuple[uuid.UUID, int], Row] = {}
        self.kind: dict[tuple[uuid.UUID, int], str] = {}  # which rule made the mutation
        self.bad_moments: set[uuid.UUID] = set()
        self.sent: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}

    def _client(self, person: Person) -> TestClient:
        return login(TestClient(self.app, raise_server_exceptions=False), person)

    def teardown(self) -> None:
        try:
            self._final_sync_and_compare()
        finally:
            for d in self.devices:
                d.client.close()

    # --- offline edits ------------------------------------------------------------------------

    def _draw_device(self, data: st.DataObject) -> Device:
        return data.draw(st.sampled_from(self.devices), label="device")

    def _own_observations(self, d: Device) -> list[uuid.UUID]:
        obs, _m = d.visible()
        return sorted(k for k, v in obs.items() if v.get("observer_id") == str(d.person.id))

    @initialize(data=st.data())
    def every_device_starts_a_lesson(self, data: st.DataObject) -> None:
        for d in self.devices:
            self._start_lesson(d, data)

    @rule(data=st.data())
    def create_observation(self, data: st.DataObject) -> None:
        d = self._draw_device(data)
        if len(self._own_observations(d)) < 3:  # a few lessons each, for the other rules
            self._start_lesson(d, data)

    def _start_lesson(self, d: Device, data: st.DataObject) -> None:
        teacher = data.draw(st.sampled_from(self.teachers), label="teacher")
        started = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        self.kind[(d.id, d.next_seq)] = "create"
        d.enqueue(
            "observation.put",
            uuid.uuid4(),
            {
                "observed_teacher_id": str(teacher.id),
                "started_at": started,
                "group_label": "2B",
                "subject": data.draw(st.sampled_from(SUBJECTS), label="subject"),
            },
        )

    @rule(
        data=st.data(),
        code=st.sampled_from(CODES),
        offset=st.integers(0, 3_000_000),
        taps=st.integers(1, 3),
        unknown=st.integers(0, 7),
    )
    def add_moments(
        self, data: st.DataObject, code: str, offset: int, taps: int, unknown: int
    ) -> None:
        d = self._draw_device(data)
        own = self._own_observations(d)
        if not own:
            return
        obs_id = data.draw(st.sampled_from(own), label="observation")
        for i in range(taps):
            moment_id = uuid.uuid4()
            bad = unknown == i  # now and then a code the codebook does not have: rejected
            if bad:
                self.bad_moments.add(moment_id)
            self.kind[(d.id, d.next_seq)] = "bad_moment" if bad else "moment.add"
            d.enqueue(
                "moment.add",
                moment_id,
                {
                    "observation_id": str(obs_id),
                    "code": "geen-code-uit-het-boek"
                    if bad
                    else CODES[(CODES.index(code) + i) % 12],
                    "offset_ms": offset + i * 1000,
                },
            )

    @rule(data=st.data())
    def delete_moment(self, data: st.DataObject) -> None:
        self._delete_moment(self._draw_device(data), data)

    @rule(data=st.data(), code=st.sampled_from(CODES))
    def correct_moment(self, data: st.DataObject, code: str) -> None:
        """A correction: a tombstone for the old moment plus a new one."""
        d = self._draw_device(data)
        old = self._delete_moment(d, data)
        if old is None:
            return
        obs_id, _code, offset = old
        self.kind[(d.id, d.next_seq)] = "moment.add"
        d.enqueue(
            "moment.add",
            uuid.uuid4(),
            {"observation_id": str(obs_id), "code": code, "offset_ms": offset},
        )

    def _delete_moment(self, d: Device, data: st.DataObject) -> tuple[uuid.UUID, str, int] | None:
        _obs, moments = d.visible()
        choices = sorted(k for k in moments if k not in self.bad_moments)
        if not choices:
            return None
        moment_id = data.draw(st.sampled_from(choices), label="moment")
        self.kind[(d.id, d.next_seq)] = "moment.delete"
        d.enqueue("moment.delete", moment_id, {"observation_id": str(moments[moment_id][0])})
        return moments[moment_id]

    @rule(data=st.data(), subject=st.sampled_from(SUBJECTS))
    def edit_header(self, data: st.DataObject, subject: str) -> None:
        d = self._draw_device(data)
        own = self._own_observations(d)
        if not own:
            return
        obs_id = data.draw(st.sampled_from(own), label="observation")
        header = d.visible()[0][obs_id]
        self.kind[(d.id, d.next_seq)] = "observation.put"
        d.enqueue(
            "observation.put",
            obs_id,
            {
                "observed_teacher_id": header["observed_teacher_id"],
                "started_at": header["started_at"],
                "group_label": header["group_label"],
                "subject": subject,
            },
            base_version=d.known_version.get(obs_id, 1),
        )

    @rule(data=st.data())
    def resend_from_the_other_device(self, data: st.DataObject) -> None:
        """A mutation the server already applied arrives again, from the same person's other
        tablet: a repeat is absorbed by the record's id, never stored twice."""
        source, target = data.draw(st.permutations(self.devices[:2]), label="devices")
        done = sorted(
            (seq, rid)
            for (dev, seq), (_t, rid, status) in self.server.items()
            if dev == source.id and status == "applied"
        )
        if not done:
            return
        seq, _rid = data.draw(st.sampled_from(done), label="mutation")
        original = self.sent[(source.id, seq)]
        self.kind[(target.id, target.next_seq)] = "resend " + original["type"]
        target.enqueue(
            original["type"],
            uuid.UUID(original["id"]),
            original["data"],
            base_version=original["base_version"],
        )

    # --- the network --------------------------------------------------------------------------

    def _send(self, d: Device, batch: list[dict[str, Any]]) -> dict[str, Any]:
        """Push and check the answer against the model of the server; record what it stored."""
        last = self._server_last(d)
        expected_seqs, expected_gap = [], None
        for m in sorted(batch, key=lambda m: m["seq"]):
            if m["seq"] <= last:
                expected_seqs.append(m["seq"])
            elif m["seq"] == last + 1:
                expected_seqs.append(m["seq"])
                last += 1
            else:
                expected_gap = last + 1
                break
        response = d.client.post(
            "/api/sync/push",
            json={"device_id": str(d.id), "schema_version": 1, "mutations": batch},
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert [r["seq"] for r in answer["results"]] == expected_seqs
        assert answer["expected_seq"] == expected_gap
        by_seq = {m["seq"]: m for m in batch}
        for r in answer["results"]:
            key = (d.id, r["seq"])
            if key in self.server:
                # A repeat gets its stored outcome: what was refused stays refused.
                first = self.server[key][2]
                again = first if first in ("conflict", "rejected") else "duplicate"
                assert r["status"] == again, (first, r)
                continue
            assert r["status"] in ALLOWED[self.kind[key]], (self.kind[key], r)
            m = by_seq[r["seq"]]
            self.sent[key] = m
            self.server[key] = (m["type"], uuid.UUID(m["id"]), r["status"])
            if m["type"] == "observation.put" and r["version"] is not None:
                rid = uuid.UUID(m["id"])
                d.known_version[rid] = max(d.known_version.get(rid, 0), r["version"])
        return answer

    def _server_last(self, d: Device) -> int:
        return max((seq for dev, seq in self.server if dev == d.id), default=0)

    @staticmethod
    def _acknowledge(d: Device, answer: dict[str, Any]) -> None:
        done = {r["seq"] for r in answer["results"]}
        d.outbox = [m for m in d.outbox if m["seq"] not in done]

    @rule(data=st.data(), k=st.integers(1, 6))
    def push(self, data: st.DataObject, k: int) -> None:
        d = self._draw_device(data)
        self._acknowledge(d, self._send(d, d.outbox[:k]))

    @rule(data=st.data(), k=st.integers(1, 6))
    def push_delivered_twice(self, data: st.DataObject, k: int) -> None:
        d = self._draw_device(data)
        batch = d.outbox[:k]
        self._send(d, batch)
        again = self._send(d, batch)
        # _send checked each repeat against its stored outcome; nothing is applied twice.
        assert all(r["status"] != "applied" for r in again["results"])
        self._acknowledge(d, again)

    @rule(data=st.data(), k=st.integers(1, 6))
    def push_with_lost_response(self, data: st.DataObject, k: int) -> None:
        d = self._draw_device(data)
        self._send(d, d.outbox[:k])  # the server committed; the tablet never heard back

    @rule(data=st.data(), split=st.integers(1, 4), k=st.integers(2, 8))
    def push_reordered(self, data: st.DataObject, split: int, k: int) -> None:
        d = self._draw_device(data)
        batch = d.outbox[:k]
        if len(batch) < 2:
            return
        split = min(split, len(batch) - 1)
        early, late = batch[:split], batch[split:]
        self._acknowledge(d, self._send(d, late))  # arrives first: stops at the gap (if any)
        self._acknowledge(d, self._send(d, early))

    @rule(data=st.data())
    def push_with_a_broken_body(self, data: st.DataObject) -> None:
        d = self._draw_device(data)
        body = json.dumps({"device_id": str(d.id), "schema_version": 1, "mutations": d.outbox[:3]})
        response = d.client.post(
            "/api/sync/push",
            content=body[: len(body) // 2].encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        # Nothing was acknowledged: the outbox stays; the invariants check the database.

    @rule(data=st.data(), limit=st.integers(1, 5))
    def pull(self, data: st.DataObject, limit: int) -> None:
        d = self._draw_device(data)
        self._pull_page(d, limit)

    def _pull_page(self, d: Device, limit: int) -> dict[str, Any]:
        response = d.client.get("/api/sync/pull", params={"cursor": d.cursor, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["changes"]) <= limit
        assert page["cursor"] >= d.cursor
        assert not page["reset"]
        assert page["school_id"] == str(self.school.id)
        d.apply_pull(page)
        return page

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def server_holds_exactly_the_acknowledged_mutations(self) -> None:
        device_ids = [d.id for d in self.devices]
        with db.new_session() as s:
            rows = s.exec(select(SyncMutation).where(col(SyncMutation.device_id).in_(device_ids)))
            stored = {(r.device_id, r.seq): (r.type, r.record_id, r.status) for r in rows}
            assert stored == self.server
            for dev in s.exec(select(SyncDevice).where(col(SyncDevice.id).in_(device_ids))):
                assert dev.last_seq == max(
                    (seq for d, seq in self.server if d == dev.id), default=0
                )
            moments = list(s.exec(select(Moment).where(Moment.school_id == self.school.id)))
            observation_ids = set(
                s.exec(select(Observation.id).where(Observation.school_id == self.school.id))
            )
        applied = [(t, rid) for t, rid, status in self.server.values() if status == "applied"]
        assert len({m.id for m in moments}) == len(moments)
        assert {m.id for m in moments} == {rid for t, rid in applied if t == "moment.add"}
        assert {m.id for m in moments if m.deleted_at is not None} == {
            rid for t, rid in applied if t == "moment.delete"
        }
        created = {
            self.server[key][1]
            for key, kind in self.kind.items()
            if kind == "create" and key in self.server
        }
        assert observation_ids == created

    # --- the end: everyone syncs everything ---------------------------------------------------

    def _final_sync_and_compare(self) -> None:
        for d in self.devices:
            while d.outbox:
                answer = self._send(d, d.outbox[:500])
                assert answer["expected_seq"] is None
                self._acknowledge(d, answer)
        self.server_holds_exactly_the_acknowledged_mutations()
        for d in self.devices:
            while self._pull_page(d, 7)["has_more"]:
                pass
            assert self._device_view(d) == self._server_view(d), d.name

    @staticmethod
    def _device_view(d: Device) -> dict[str, Any]:
        obs, moments = d.visible()
        return {
            str(oid): (
                o["subject"],
                d.known_version[oid],
                sorted((str(mid), c, off) for mid, (o2, c, off) in moments.items() if o2 == oid),
            )
            for oid, o in obs.items()
        }

    @staticmethod
    def _server_view(d: Device) -> dict[str, Any]:
        listed = d.client.get("/api/observations", params={"limit": 500})
        assert listed.status_code == 200, listed.text
        view: dict[str, Any] = {}
        for o in listed.json():
            detail = d.client.get(f"/api/observations/{o['id']}").json()
            view[o["id"]] = (
                detail["subject"],
                detail["version"],
                sorted((m["id"], m["code"], m["offset_ms"]) for m in detail["moments"]),
            )
        return view


def test_devices_that_sync_through_a_bad_network_end_up_with_the_servers_state(
    migrated: None, app: FastAPI
) -> None:
    SyncMachine.app = app
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            # In CI the same schedules every run, so that main stays green for a known reason;
            # on a developer's machine new random schedules every run.
            derandomize=bool(os.environ.get("CI")),
        ),
    )
