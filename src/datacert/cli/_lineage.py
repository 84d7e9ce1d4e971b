"""`datacert lineage DOC`: the chain from a certificate, plan or data file back to the raw file."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import fail, write_atomic


class LineageFormat(StrEnum):
    TEXT = "text"
    PROV_JSON = "prov-json"
    SVG = "svg"


@app.command("lineage")
def lineage_command(
    document: Path = typer.Argument(
        ..., help="A certificate or plan (JSON), or a data file.", show_default=False
    ),
    output_format: LineageFormat = typer.Option(
        LineageFormat.TEXT, "--format", help="text, prov-json or svg."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of standard output."),
    store: Path | None = typer.Option(
        None, "--store", help="Audit log folder (default: $DATACERT_HOME, else .datacert/ beside DOCUMENT)."
    ),
) -> None:
    """Show where a table came from: every recorded step back to the raw file (W3C PROV-JSON or SVG)."""
    from datacert.audit import open_store
    from datacert.audit.lineage import chain_nodes, lineage_of, to_prov_json, to_svg
    from datacert.audit.store import STORE_FILE, store_directory

    if not document.is_file():
        raise fail(f"{document} does not exist.")
    folder = store if store is not None else store_directory(document)
    events = list(open_store(folder).events()) if (folder / STORE_FILE).is_file() else []
    lineage = lineage_of(document, events)
    if output_format == LineageFormat.PROV_JSON:
        text = to_prov_json(lineage)
    elif output_format == LineageFormat.SVG:
        text = to_svg(chain_nodes(lineage)) + "\n"
    else:
        nodes = chain_nodes(lineage)
        text = (
            "\n".join(
                f"{'  ' * (kind == 'step')}{'↓ ' if i else ''}{title} ({subtitle})"
                for i, (kind, title, subtitle) in enumerate(nodes)
            )
            + "\n"
        )
        if not lineage.events:
            text += f"(no recorded event in {folder}: lineage from the document itself)\n"
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
