"""`datacert users`: accounts, projects and API tokens of a datacert service."""

from __future__ import annotations

from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import fail
from datacert.cli._serve import DATABASE, HOME, service_settings

users_app = typer.Typer(help="Manage the service's users, projects and API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _database(home: Path | None, database: str | None):  # noqa: ANN202
    from datacert.service.db import Database

    db = Database(service_settings(home, database, None, None, None))
    db.migrate()
    return db


@users_app.command("add")
def add_command(
    username: str = typer.Argument(..., help="Login name."),
    project: str = typer.Option(..., "--project", help="Project to join (created if new)."),
    role: str = typer.Option("submitter", "--role", help="submitter, reviewer or admin."),
    password: str | None = typer.Option(
        None, "--password", help="Password (default: generate one and print it once)."
    ),
    home: Path | None = HOME,
    database: str | None = DATABASE,
) -> None:
    """Create a user (or change their role) in a project."""
    from datacert.service.users import add_user

    db = _database(home, database)
    try:
        with db.session() as session:
            created = add_user(session, username, project, role, password)
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{username}: {role} in project {project}")
    if created.password:
        typer.echo(f"password (shown once): {created.password}")


@users_app.command("token")
def token_command(
    username: str = typer.Argument(..., help="Whose token."),
    name: str = typer.Option("", "--name", help="What the token is for."),
    home: Path | None = HOME,
    database: str | None = DATABASE,
) -> None:
    """Create an API token for a user and print it (once: only its hash is stored)."""
    from datacert.service.users import issue_token

    db = _database(home, database)
    try:
        with db.session() as session:
            token = issue_token(session, username, name)
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(token)
