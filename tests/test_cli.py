"""The ``coulisse`` command, run as a real process against the test database."""

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Membership, Person, School
from tests.factories import make_school, make_team, unique


def coulisse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def test_create_school_and_invite_print_a_link_that_sets_a_password(
    session: Session, client: TestClient
) -> None:
    name = unique("Lyceum")
    made = coulisse(
        "create-school",
        name,
        "--admin-email",
        f"{name}@school.example".lower(),
        "--admin-name",
        "Mira Jansen",
    )
    assert made.returncode == 0, made.stderr
    school = session.exec(select(School).where(School.name == name)).one()
    link = made.stdout.strip().splitlines()[-1].split(": ", 1)[1]
    assert "/uitnodiging/" in link

    invited = coulisse(
        "invite",
        school.slug,
        f"{unique('c')}@school.example",
        "Ali Bakker",
        "--role",
        "coach",
        "--role",
        "docent",
    )
    assert invited.returncode == 0, invited.stderr
    assert "/uitnodiging/" in invited.stdout

    wrong = coulisse("invite", school.slug, "geen-adres", "X", "--role", "coach")
    assert wrong.returncode == 1 and "geen geldig e-mailadres" in wrong.stderr


def test_import_people_imports_all_rows_or_none(session: Session, tmp_path: Path) -> None:
    school = make_school(session)
    team = make_team(session, school)
    good = tmp_path / "goed.csv"
    emails = [f"{unique('d')}@school.example" for _ in range(3)]
    good.write_text(
        "email;naam;rollen;teams\n"
        f"{emails[0]};Fatima El Amrani;docent;{team.name}\n"
        f"{emails[1]};Joris van Dijk;docent|ontwikkelgroep;\n"
        f"{emails[2]};Kim de Boer;coach;\n",
        encoding="utf-8",
    )
    bad = tmp_path / "fout.csv"
    bad_emails = [f"{unique('x')}@school.example" for _ in range(2)]
    bad.write_text(
        "email,naam,rollen\n"
        f"{bad_emails[0]},Goede Regel,docent\n"
        "geen-email,Foute Regel,docent\n"
        f"{bad_emails[1]},Nog Een,directeur\n",
        encoding="utf-8",
    )
    refused = coulisse("import-people", school.slug, str(bad))
    assert refused.returncode == 1
    assert "Regel 3" in refused.stderr and "Regel 4" in refused.stderr
    assert "Nothing imported" in refused.stderr
    assert session.exec(select(Person).where(Person.email.in_(bad_emails))).all() == []  # type: ignore[attr-defined]

    done = coulisse("import-people", school.slug, str(good))
    assert done.returncode == 0, done.stderr
    assert "3 people imported" in done.stdout
    session.commit()  # end this session's read snapshot, to see what the command wrote
    members = session.exec(select(Membership).where(Membership.school_id == school.id)).all()
    assert len(members) == 3
    joris = session.exec(select(Person).where(Person.email == emails[1])).one()
    roles = next(m for m in members if m.person_id == joris.id).roles
    assert [r.value for r in roles] == ["teacher", "development_group"]


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = os.environ.copy()
    env["COULISSE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'leeg.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "coulisse migrate" in result.stderr


def test_migrate_makes_the_folder_of_a_new_sqlite_database(tmp_path: Path) -> None:
    env = os.environ.copy()
    env["COULISSE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'nieuw.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "nieuw.sqlite3").exists()
