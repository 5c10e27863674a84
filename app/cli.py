"""The ``coulisse`` command: serve, migrate, demo, create-school, invite, import-people."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from app import db
from app.errors import DomainError
from app.models import Role, School
from app.settings import get_settings

cli = typer.Typer(
    help="Coulisse: lesobservaties voor de coulissen-ruimte.",
    no_args_is_help=True,
    add_completion=False,
)

ROLE_CHOICES = {
    "coach": Role.coach,
    "docent": Role.teacher,
    "ontwikkelgroep": Role.development_group,
    "schoolleider": Role.admin,
}


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _school(session: db.Session, slug: str) -> School:
    school = session.exec(select(School).where(School.slug == slug)).first()
    if school is None:
        _fail(
            f"No school with short name '{slug}'. Known: "
            + ", ".join(s.slug for s in session.exec(select(School)))
        )
    assert school is not None
    return school


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest version (Alembic upgrade head)."""
    db.migrate()
    typer.echo(f"Database at revision {db.head_revision()}.")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
) -> None:
    """Serve Coulisse over HTTP."""
    import uvicorn

    try:
        db.check_schema_at_head()
    except db.SchemaNotAtHead as e:
        _fail(str(e))
    proxies = get_settings().proxies
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) or None,
    )


@cli.command()
def demo() -> None:
    """Create or refresh the demo school "Demo College" with demo accounts and lessons."""
    from app import demo as demo_data

    db.migrate()
    summary = demo_data.build()
    typer.echo(summary)


@cli.command("create-school")
def create_school(
    name: str,
    slug: Annotated[str | None, typer.Option(help="Short name")] = None,
    admin_email: Annotated[str | None, typer.Option()] = None,
    admin_name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a school with the default codebook and semesters, and optionally invite its first
    school leader."""
    from app import people, schools

    try:
        with db.session_scope() as session:
            school = schools.create_school(session, name=name, slug=slug)
            session.flush()
            typer.echo(f"School '{school.name}' created (short name: {school.slug}).")
            if admin_email:
                invited = people.invite(
                    session,
                    school_id=school.id,
                    email=admin_email,
                    name=admin_name or admin_email,
                    roles=[Role.admin],
                )
                link = invited.link or "already a member"
                typer.echo(f"Invitation for {invited.email}: {link}")
    except DomainError as e:
        _fail(e.message)


@cli.command()
def invite(
    school: str,
    email: str,
    name: str,
    role: Annotated[list[str], typer.Option(help="coach, docent, ontwikkelgroep, schoolleider")],
) -> None:
    """Invite a person to a school; prints the link with which they set their password."""
    from app import people

    unknown = [r for r in role if r not in ROLE_CHOICES]
    if unknown:
        _fail(f"Unknown role(s): {', '.join(unknown)}. Choose from {', '.join(ROLE_CHOICES)}.")
    try:
        with db.session_scope() as session:
            s = _school(session, school)
            invited = people.invite(
                session,
                school_id=s.id,
                email=email,
                name=name,
                roles=[ROLE_CHOICES[r] for r in role],
            )
            if invited.joins:
                typer.echo(
                    f"{invited.email} already has an account: they join once they log in "
                    f"and accept this link: {invited.link}"
                )
            else:
                typer.echo(invited.link or f"{invited.email} is a member already; roles updated.")
    except DomainError as e:
        _fail(e.message)


@cli.command("import-people")
def import_people(school: str, csv_file: Path) -> None:
    """Import people from a CSV file (columns: email, naam, rollen, teams). Nothing is imported
    when any row is wrong; every bad row is reported with its line number."""
    from app import people

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        _fail(f"Cannot read {csv_file}: {e}")
    with db.session_scope() as session:
        s = _school(session, school)
        with typer.progressbar(length=max(text.count("\n"), 1), label="Importing") as bar:
            report = people.import_people(
                session, school_id=s.id, text=text, progress=lambda i, n: bar.update(1)
            )
        if report.errors:
            for line in report.errors:
                typer.secho(line, fg=typer.colors.RED, err=True)
            _fail(f"Nothing imported: {len(report.errors)} row(s) need fixing.")
        for invited in report.invited:
            typer.echo(f"{invited.email}\t{invited.link or '(a member already)'}")
        typer.echo(f"{len(report.invited)} people imported into {s.name}.")


def main() -> None:
    try:
        cli()
    except db.SchemaNotAtHead as e:
        typer.secho(str(e), fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
