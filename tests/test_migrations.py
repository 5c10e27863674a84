"""Alembic is the only way the schema is made: it must go up, down and up again, and the
migrated schema must match the models exactly, on SQLite and on PostgreSQL."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from app import db
from app.main import create_app


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    base = os.environ["COULISSE_DATABASE_URL"]
    if base.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = sa.make_url(db.normalise_url(base))
    name = f"{url.database}_m{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _differences(url: str) -> list[object]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_leaves_the_schema_equal_to_the_models(
    empty_database: str,
) -> None:
    config = db.alembic_config(empty_database)
    command.upgrade(config, "head")
    assert _differences(empty_database) == []
    assert _tables(empty_database) == set(SQLModel.metadata.tables)

    command.downgrade(config, "base")
    assert _tables(empty_database) == set()

    command.upgrade(config, "head")
    assert _differences(empty_database) == []


def test_the_app_refuses_a_database_that_is_not_migrated(empty_database: str) -> None:
    engine = db.make_engine(empty_database)
    try:
        with pytest.raises(db.SchemaNotAtHead, match="coulisse migrate"):
            db.check_schema_at_head(engine)
    finally:
        engine.dispose()


def test_the_app_starts_on_a_migrated_database() -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
