"""Request bodies: a limit fitted to each route, checked before the body is read, and page forms
that refuse what cannot be stored with a clear 4xx instead of a server error."""

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlmodel import Session, select

from app.models import Comment, Role
from app.web.limits import DEFAULT_LIMIT, limit_for
from tests.factories import ClientFactory, login, make_observation, make_person, make_school
from tests.test_pages import browser, log_in, post


def call(app: Any, method: str, path: str, headers: dict[str, str], chunks: Any) -> tuple[int, int]:
    """Drive the ASGI app directly; returns the status and how many body bytes it pulled."""
    pulled = 0
    status = 0
    source = iter(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    # In a thread of its own: a browser test of the same worker may hold an event loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return status, pulled


def endless(size: int = 64 * 1024, total: int = 12 * 1024 * 1024) -> Any:
    """More than any route takes, in chunks; bounded, so that an app that reads it all ends."""
    for _ in range(total // size):
        yield b"x" * size


def test_a_100_mb_login_is_refused_before_its_body_is_read(app: Any) -> None:
    status, pulled = call(
        app,
        "POST",
        "/api/auth/login",
        {"content-type": "application/json", "content-length": str(100 * 1024 * 1024)},
        endless(),
    )
    assert status == 413 and pulled == 0


@pytest.mark.parametrize(
    "path", ["/inloggen", "/api/auth/login", "/api/sync/push", "/beheer/mensen", "/uitnodiging/x"]
)
def test_a_body_without_a_declared_length_is_cut_off_at_the_routes_limit(
    app: Any, path: str
) -> None:
    status, pulled = call(
        app, "POST", path, {"content-type": "application/x-www-form-urlencoded"}, endless()
    )
    assert status == 413
    assert pulled <= limit_for(path) + 64 * 1024


def test_each_route_has_a_limit_fitted_to_what_it_needs() -> None:
    assert limit_for("/inloggen") < DEFAULT_LIMIT
    assert limit_for("/api/auth/login") < DEFAULT_LIMIT
    # A full batch of 500 mutations, each with the longest summary, fits the push limit.
    from app.sync import MAX_BATCH

    mutation = {
        "seq": 2**62,
        "type": "observation.put",
        "id": str(uuid.uuid4()),
        "base_version": 2**40,
        "data": {
            "observed_teacher_id": str(uuid.uuid4()),
            "group_label": "é" * 40,
            "subject": "é" * 60,
            "started_at": "2026-11-24T09:00:00.000000+01:00",
            "ended_at": "2026-11-24T09:50:00.000000+01:00",
            "status": "in_progress",
            "summary": "€" * 4000,
            "focus_codes": ["x" * 40] * 40,
        },
    }
    batch = {"device_id": str(uuid.uuid4()), "schema_version": 1, "mutations": [mutation] * 500}
    assert MAX_BATCH == 500
    assert len(json.dumps(batch, ensure_ascii=False).encode()) < limit_for("/api/sync/push")


def test_a_too_large_answer_is_a_dutch_message_as_json_or_as_a_page(
    make_client: ClientFactory,
) -> None:
    client = make_client()
    api = client.post("/api/auth/login", content=b"{" + b" " * 20_000 + b"}")
    assert api.status_code == 413 and "te groot" in api.json()["detail"]
    page = client.post(
        "/inloggen",
        content=b"email=" + b"a" * 20_000,
        headers={"accept": "text/html", "content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413 and "te groot" in page.text and "<html" in page.text


@pytest.mark.parametrize(
    "raw",
    [b"body=hallo%00daar", b"body=los%ED%A0%80surrogaat", b"body=%C3", b"bo%00dy=x"],
)
def test_a_remark_form_with_nul_or_a_lone_surrogate_gets_a_clear_422(
    session: Session, make_client: ClientFactory, raw: bytes
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    client = browser(make_client)
    token = log_in(client, teacher)
    answer = client.post(
        f"/observaties/{obs.id}/gesprek",
        content=raw + b"&csrf_token=" + token.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert "teken" in answer.text
    session.commit()
    assert session.exec(select(Comment).where(Comment.observation_id == obs.id)).first() is None
    # The same form with ordinary text still works.
    fine = post(client, f"/observaties/{obs.id}/gesprek", token, {"body": "Mooi moment"})
    assert fine.status_code == 303


def test_every_json_text_field_refuses_a_lone_surrogate_with_422(
    session: Session, make_client: ClientFactory
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    client = login(make_client(), teacher)
    answer = client.post(
        f"/api/observations/{obs.id}/comments",
        content=json.dumps({"body": "los \ud800"}),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422 and "surrogaat" in answer.json()["detail"]
