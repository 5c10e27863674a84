"""The default TS-kijkwijzer and the school's versioned copy of it."""

import re

import pytest
from sqlmodel import Session

from app import codebook
from app.errors import Invalid
from app.models import CodeKind, Role
from tests.factories import (
    ClientFactory,
    login,
    make_moment,
    make_observation,
    make_person,
    make_school,
)

FAMILIES = ["ludificering", "succeservaringen", "verwachtingscues", "belonging-signalen"]


def test_the_default_book_has_the_four_families_with_all_three_kinds() -> None:
    book = codebook.default_book()
    assert [f["key"] for f in book["families"]] == FAMILIES
    keys = [c["key"] for c in book["codes"]]
    assert len(keys) == len(set(keys)), "stable keys are unique"
    for code in book["codes"]:
        assert re.fullmatch(r"[a-z0-9-]{1,40}", code["key"])
        assert code["family"] in FAMILIES
        assert CodeKind(code["kind"])
        assert code["label"] and len(code["label"]) <= 80
        sentence = code["description"].strip()
        assert 20 <= len(sentence) <= 300 and sentence.endswith((".", "!", "?", ")"))
    kinds = {(c["family"], c["kind"]) for c in book["codes"]}
    for family in FAMILIES:
        assert (family, "productieve-reflex") in kinds
        assert (family, "improductieve-reflex") in kinds
    assert {c["kind"] for c in book["codes"]} == {k.value for k in CodeKind}


def test_a_new_school_gets_the_default_book_as_version_one(
    session: Session, make_client: ClientFactory
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    body = login(make_client(), coach).get("/api/codebook").json()
    assert body["number"] == 1 and body["name"] == "TS-kijkwijzer"
    assert [c["key"] for c in body["codes"]] == [c["key"] for c in codebook.default_book()["codes"]]
    assert [f["key"] for f in body["families"]] == FAMILIES
    first = body["codes"][0]
    assert set(first) >= {
        "key",
        "family",
        "kind",
        "face",
        "aim",
        "label",
        "description",
        "colour",
        "retired",
    }


def test_editing_the_book_makes_a_new_version_and_old_moments_keep_their_meaning(
    session: Session, make_client: ClientFactory
) -> None:
    school = make_school(session)
    admin = make_person(session, school, [Role.admin])
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    key = codebook.default_book()["codes"][0]["key"]
    obs = make_observation(session, school, coach, teacher)
    make_moment(session, obs, code=key)

    codebook.rename_code(
        session,
        school_id=school.id,
        by=admin.id,
        key=key,
        label="Nieuwe naam",
        description="Een nieuwe omschrijving van deze code.",
    )
    codebook.set_retired(session, school_id=school.id, by=admin.id, key=key, retired=True)
    codebook.add_code(
        session,
        school_id=school.id,
        by=admin.id,
        key="lud-p-eigen-code",
        family="ludificering",
        kind="productieve-reflex",
        label="Eigen code",
        description="Een code die deze school zelf toevoegde.",
    )
    current = codebook.current_version(session, school.id)
    assert current.number == 4
    codes = {c.key: c for c in codebook.codes_of(session, current.id)}
    assert codes[key].label == "Nieuwe naam" and codes[key].retired
    assert codes["lud-p-eigen-code"].face == "ludificering"

    # The old moment still reads back through its stable key, and is still a known code.
    client = login(make_client(), coach)
    detail = client.get(f"/api/observations/{obs.id}").json()
    assert [m["code"] for m in detail["moments"]] == [key]
    assert key in codebook.known_keys(session, school.id)
    # A retired key stays known: a tablet with an older book may still send it.
    moment = client.post(
        f"/api/observations/{obs.id}/moments", json={"code": key, "offset_ms": 1000}
    )
    assert moment.status_code == 201


def test_a_key_can_never_be_reused_for_another_meaning(session: Session) -> None:
    school = make_school(session)
    key = codebook.default_book()["codes"][0]["key"]
    with pytest.raises(Invalid, match="al in gebruik"):
        codebook.add_code(
            session,
            school_id=school.id,
            by=None,
            key=key,
            family="ludificering",
            kind="signaal",
            label="Iets anders",
            description="Iets heel anders.",
        )
    with pytest.raises(Invalid):
        codebook.add_code(
            session,
            school_id=school.id,
            by=None,
            key="Met Spaties!",
            family="ludificering",
            kind="signaal",
            label="X",
            description="Y.",
        )


def test_codebooks_are_per_school(session: Session) -> None:
    a, b = make_school(session), make_school(session)
    codebook.add_code(
        session,
        school_id=a.id,
        by=None,
        key="suc-p-alleen-a",
        family="succeservaringen",
        kind="productieve-reflex",
        label="Alleen A",
        description="Bestaat alleen bij school A.",
    )
    assert "suc-p-alleen-a" in codebook.known_keys(session, a.id)
    assert "suc-p-alleen-a" not in codebook.known_keys(session, b.id)
