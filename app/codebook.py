"""The codebook: versioned per school, with stable code keys.

Every school starts from the default "TS-kijkwijzer" (``app/codebook/ts-kijkwijzer.toml``).
An admin's change (add, rename, retire, restore) writes a new version holding the whole book;
moments refer to codes by key, so an old moment keeps its meaning in every later version and
aggregation across versions goes by key.
"""

import re
import tomllib
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.db import transaction
from app.errors import Invalid, NotFound
from app.i18n import _
from app.models import Code, CodebookVersion, CodeKind, Person

DEFAULT_FILE = Path(__file__).parent / "codebook" / "ts-kijkwijzer.toml"
KEY_PATTERN = re.compile(r"[a-z0-9-]{1,40}")


@dataclass(frozen=True)
class Family:
    key: str
    label: str
    face: str
    aim: str
    colour: str
    description: str


@lru_cache
def default_book() -> dict[str, Any]:
    with DEFAULT_FILE.open("rb") as f:
        return tomllib.load(f)


@lru_cache
def families() -> dict[str, Family]:
    return {f["key"]: Family(**f) for f in default_book()["families"]}


KIND_LABELS = {
    CodeKind.signaal: "Signaal",
    CodeKind.productieve_reflex: "Productieve reflex",
    CodeKind.improductieve_reflex: "Improductieve reflex",
}


def seed_school(session: Session, school_id: uuid.UUID) -> CodebookVersion:
    """Give a new school its first version: the default book."""
    book = default_book()
    version = CodebookVersion(
        school_id=school_id, number=1, name=book["name"], change_note=_("Standaard TS-kijkwijzer")
    )
    session.add(version)
    session.flush()
    fams = families()
    for position, c in enumerate(book["codes"]):
        fam = fams[c["family"]]
        session.add(
            Code(
                version_id=version.id,
                key=c["key"],
                family=fam.key,
                kind=CodeKind(c["kind"]),
                face=fam.face,
                aim=fam.aim,
                label=c["label"],
                description=c["description"],
                colour=c.get("colour", fam.colour),
                position=position,
            )
        )
    return version


def current_version(session: Session, school_id: uuid.UUID) -> CodebookVersion:
    version = session.exec(
        select(CodebookVersion)
        .where(CodebookVersion.school_id == school_id)
        .order_by(col(CodebookVersion.number).desc())
    ).first()
    if version is None:
        raise NotFound(_("Deze school heeft nog geen codeboek."))
    return version


def codes_of(session: Session, version_id: uuid.UUID) -> list[Code]:
    return list(
        session.exec(select(Code).where(Code.version_id == version_id).order_by(col(Code.position)))
    )


def code_index(session: Session, school_id: uuid.UUID) -> dict[str, Code]:
    """Every key the school's book ever had, with its newest wording: an old moment whose code
    was since renamed or retired still shows what it means."""
    rows = session.exec(
        select(Code)
        .join(CodebookVersion, col(Code.version_id) == CodebookVersion.id)
        .where(CodebookVersion.school_id == school_id)
        .order_by(col(CodebookVersion.number))
    )
    return {code.key: code for code in rows}


def known_keys(session: Session, school_id: uuid.UUID) -> set[str]:
    """Every key in any version of the school's book: a tablet with an older copy may still
    send a code that has since been retired, and it keeps its meaning.

    Kept for the life of the session (one request, or one sync batch of hundreds of moments);
    a new version in the same session clears it."""
    cache: dict[uuid.UUID, set[str]] = session.info.setdefault("known_keys", {})
    if school_id not in cache:
        rows = session.exec(
            select(Code.key)
            .join(CodebookVersion, col(Code.version_id) == CodebookVersion.id)
            .where(CodebookVersion.school_id == school_id)
            .distinct()
        )
        cache[school_id] = set(rows)
    return cache[school_id]


def _new_version(
    session: Session, school_id: uuid.UUID, by: uuid.UUID | None, note: str
) -> tuple[CodebookVersion, list[Code]]:
    session.info.pop("known_keys", None)
    old = current_version(session, school_id)
    version = CodebookVersion(
        school_id=school_id,
        number=old.number + 1,
        name=old.name,
        change_note=note[:300],
        created_by_id=by,
    )
    session.add(version)
    session.flush()
    copies = []
    for code in codes_of(session, old.id):
        copy = Code(
            version_id=version.id,
            key=code.key,
            family=code.family,
            kind=CodeKind(code.kind),
            face=code.face,
            aim=code.aim,
            label=code.label,
            description=code.description,
            colour=code.colour,
            retired=code.retired,
            position=code.position,
        )
        session.add(copy)
        copies.append(copy)
    return version, copies


def _clean_text(value: str, field: str, maximum: int) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid(_("Vul {field} in.", field=field))
    if len(value) > maximum:
        raise Invalid(_("{field} is te lang (maximaal {n} tekens).", field=field, n=maximum))
    return value


def add_code(
    session: Session,
    *,
    school_id: uuid.UUID,
    by: uuid.UUID | None,
    key: str,
    family: str,
    kind: str,
    label: str,
    description: str,
) -> CodebookVersion:
    with transaction(session):
        key = key.strip().lower()
        if not KEY_PATTERN.fullmatch(key):
            raise Invalid(
                _(
                    "Een sleutel bestaat uit kleine letters, cijfers en streepjes "
                    "(maximaal 40 tekens)."
                )
            )
        if key in known_keys(session, school_id):
            raise Invalid(
                _(
                    "De sleutel ‘{key}’ is al in gebruik, ook als een code met "
                    "die sleutel is uitgezet.",
                    key=key,
                )
            )
        fam = families().get(family)
        if fam is None:
            raise Invalid(_("Onbekende familie ‘{family}’.", family=family))
        try:
            code_kind = CodeKind(kind)
        except ValueError:
            raise Invalid(_("Onbekende soort ‘{kind}’.", kind=kind)) from None
        label = _clean_text(label, _("het label"), 80)
        description = _clean_text(description, _("de omschrijving"), 300)
        version, copies = _new_version(
            session, school_id, by, _("Code ‘{label}’ toegevoegd", label=label)
        )
        position = max((c.position for c in copies), default=0) + 1
        session.add(
            Code(
                version_id=version.id,
                key=key,
                family=fam.key,
                kind=code_kind,
                face=fam.face,
                aim=fam.aim,
                label=label,
                description=description,
                colour=fam.colour,
                position=position,
            )
        )
        return version


def _change(
    session: Session,
    school_id: uuid.UUID,
    by: uuid.UUID | None,
    key: str,
    note: str,
    **changes: Any,
) -> CodebookVersion:
    current = {c.key: c for c in codes_of(session, current_version(session, school_id).id)}
    if key not in current:
        raise NotFound(_("Deze code staat niet in het codeboek van de school."))
    version, copies = _new_version(session, school_id, by, note)
    for code in copies:
        if code.key == key:
            for name, value in changes.items():
                setattr(code, name, value)
    return version


def rename_code(
    session: Session,
    *,
    school_id: uuid.UUID,
    by: uuid.UUID | None,
    key: str,
    label: str,
    description: str,
) -> CodebookVersion:
    with transaction(session):
        label = _clean_text(label, _("het label"), 80)
        description = _clean_text(description, _("de omschrijving"), 300)
        return _change(
            session,
            school_id,
            by,
            key,
            _("Code ‘{label}’ aangepast", label=label),
            label=label,
            description=description,
        )


def set_retired(
    session: Session, *, school_id: uuid.UUID, by: uuid.UUID | None, key: str, retired: bool
) -> CodebookVersion:
    with transaction(session):
        note = (
            _("Code ‘{key}’ uitgezet", key=key)
            if retired
            else _("Code ‘{key}’ weer aangezet", key=key)
        )
        return _change(session, school_id, by, key, note, retired=retired)


def versions(session: Session, school_id: uuid.UUID) -> list[tuple[CodebookVersion, Person | None]]:
    """Every version of a school's codebook, newest first, with who made it."""
    return list(
        session.exec(
            select(CodebookVersion, Person)
            .join(Person, col(Person.id) == CodebookVersion.created_by_id, isouter=True)
            .where(CodebookVersion.school_id == school_id)
            .order_by(col(CodebookVersion.number).desc())
        ).all()
    )


def as_json(session: Session, version: CodebookVersion) -> dict[str, Any]:
    return {
        "id": str(version.id),
        "number": version.number,
        "name": version.name,
        "families": [
            {
                "key": f.key,
                "label": f.label,
                "face": f.face,
                "aim": f.aim,
                "colour": f.colour,
                "description": f.description,
            }
            for f in families().values()
        ],
        "codes": [
            {
                "key": c.key,
                "family": c.family,
                "kind": c.kind.value if isinstance(c.kind, CodeKind) else c.kind,
                "face": c.face,
                "aim": c.aim,
                "label": c.label,
                "description": c.description,
                "colour": c.colour,
                "retired": c.retired,
            }
            for c in codes_of(session, version.id)
        ],
    }
