"""`datacert audit show|verify|export`: read, prove and export the hash-chained audit log."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import fail, write_atomic

audit_app = typer.Typer(help="The audit log: every check, prequalify, apply, text deid and compare.")
app.add_typer(audit_app, name="audit")

STORE_HELP = "Folder of the log (default: $DATACERT_HOME, else .datacert/ here)."
DATA_HELP = "Use the log kept beside this data file (its .datacert/ folder)."


class ShowFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _open(store: Path | None, data: Path | None):
    from datacert.audit import open_store
    from datacert.audit.store import STORE_FILE, store_directory

    folder = store if store is not None else store_directory(data)
    if not (folder / STORE_FILE).is_file():
        raise fail(f"no audit log in {folder} (nothing recorded there yet).")
    return open_store(folder)


def _short(digest: str) -> str:
    return digest[:12]


@audit_app.command("show")
def show_command(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
    last: int = typer.Option(20, "--last", min=0, help="How many of the newest events (0: all)."),
    output_format: ShowFormat = typer.Option(ShowFormat.TEXT, "--format", help="text or json."),
) -> None:
    """List the newest events: who ran what on which file, and what came out."""
    events = list(_open(store, data).events())
    shown = events[-last:] if last else events
    if output_format == ShowFormat.JSON:
        sys.stdout.write(json.dumps([e.to_dict() for e in shown], indent=2, sort_keys=True) + "\n")
        raise typer.Exit(0)
    for event in shown:
        body = event.body
        verdict = f" -> {body['verdict']}" if body.get("verdict") else ""
        sys.stdout.write(
            f"#{event.seq} {event.time} {body.get('actor')} {event.command}{verdict} "
            f"(exit {body.get('exit_code')}) hash {_short(event.hash)}\n"
        )
        for ref in event.inputs():
            sys.stdout.write(f"    in  {ref.kind:<11} {Path(ref.path).name} sha256:{_short(ref.sha256)}\n")
        for ref in event.outputs():
            sys.stdout.write(f"    out {ref.kind:<11} {Path(ref.path).name} sha256:{_short(ref.sha256)}\n")
    sys.stdout.write(f"{len(shown)} of {len(events)} event(s).\n")


@audit_app.command("verify")
def verify_command(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
) -> None:
    """Prove the log is intact; name every edited, deleted, inserted or reordered event. Exit 0 intact, 4 not."""
    from datacert.audit import verify_chain

    log = _open(store, data)
    report = verify_chain(log.events(), log.head())
    sys.stdout.write(report.summary() + "\n")
    raise typer.Exit(0 if report.ok else 4)


@audit_app.command("export")
def export_command(
    out: Path | None = typer.Option(None, "--out", help="Write JSON Lines here (default: standard output)."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
) -> None:
    """Export every event as JSON Lines (one sealed event a line, in storage order)."""
    lines = "".join(
        json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False) + "\n"
        for e in _open(store, data).events()
    )
    if out is None:
        sys.stdout.write(lines)
    else:
        write_atomic(out, lines)
