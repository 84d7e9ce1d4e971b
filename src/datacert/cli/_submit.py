"""`datacert submit`: check a file on a datacert service and gate on its verdict like `check`."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import fail


@app.command("submit")
def submit_command(
    path: Path = typer.Argument(..., help="Data file to submit.", show_default=False),
    server: str = typer.Option(..., "--server", help="The service's URL, e.g. http://127.0.0.1:8000."),
    token: str | None = typer.Option(
        None, "--token", help="API token (default: $DATACERT_TOKEN).", show_default=False
    ),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset name (default: the file name)."),
    project: str | None = typer.Option(None, "--project", help="Project name or id (needed with several)."),
    target: str | None = typer.Option(None, "--target", help="The label to be learned."),
    id_column: str | None = typer.Option(None, "--id", help="A record identifier column."),
    group: str | None = typer.Option(None, "--group", help="The patient (unit kept together)."),
    time_column: str | None = typer.Option(None, "--time", help="The record's date."),
    split: str | None = typer.Option(None, "--split", help="A column naming the partition."),
    sensitive: list[str] = typer.Option([], "--sensitive", help="Attribute for bias checks (repeatable)."),
    text: list[str] = typer.Option([], "--text", help="Free-text column (repeatable)."),
    profile: str | None = typer.Option(None, "--profile", help="Scoring profile."),
    fail_on: str = typer.Option("prequalify", "--fail-on", help="prequalify (default) or reject."),
    timeout: float = typer.Option(3600.0, "--timeout", help="Seconds to wait for the verdict."),
) -> None:
    """Submit a file to a datacert service and wait: exit 0 release, 3 prequalify, 4 reject, 2 refused."""
    from datacert.service.client import run

    token = token or os.environ.get("DATACERT_TOKEN")
    if not token:
        raise fail("give an API token with --token or $DATACERT_TOKEN.")
    if not path.is_file():
        raise fail(f"{path} is not a file.")
    if fail_on not in ("prequalify", "reject"):
        raise fail("--fail-on must be prequalify or reject.")
    fields = {
        "dataset": dataset or "",
        "project": project or "",
        "target": target or "",
        "id": id_column or "",
        "group": group or "",
        "time": time_column or "",
        "split": split or "",
        "sensitive": ",".join(sensitive),
        "text": ",".join(text),
        "profile": profile or "",
    }
    raise typer.Exit(run(path, server, token, fields, fail_on, timeout))
