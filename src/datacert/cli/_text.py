"""`datacert text deid` and `datacert text normalize`: prepare clinical notes before training."""

from __future__ import annotations

import io
import json
from collections import Counter
from enum import StrEnum
from pathlib import Path

import polars as pl
import typer

from datacert.cli._app import app
from datacert.cli._output import fail, guarded_command, say
from datacert.cli._trace import traced
from datacert.io import OutputSet

text_app = typer.Typer(
    name="text", help="Clinical free text: de-identify or normalise a text column.", no_args_is_help=True
)


class Mode(StrEnum):
    MASK = "mask"
    PSEUDONYMISE = "pseudonymise"


class Language(StrEnum):
    AUTO = "auto"
    FR = "fr"
    EN = "en"


def _load(path: Path, column: str, group: str | None) -> pl.DataFrame:
    from datacert.io import read_table

    frame = read_table(path).frame
    for name, flag in ((column, "--column"), (group, "--group")):
        if name is not None and name not in frame.columns:
            raise fail(f"{flag} names column {name!r}, which is not in {path.name}.")
    if frame.schema[column] != pl.String:
        raise fail(f"column {column!r} holds {frame.schema[column]}, not text.")
    return frame


def _table_bytes(frame: pl.DataFrame, out: Path) -> bytes:
    suffix = out.suffix.lower()
    buffer = io.BytesIO()
    if suffix == ".parquet":
        frame.write_parquet(buffer)
    elif suffix in (".jsonl", ".ndjson"):
        frame.write_ndjson(buffer)
    else:
        frame.write_csv(buffer, separator="\t" if suffix == ".tsv" else ",")
    return buffer.getvalue()


@text_app.command("deid")
@guarded_command
@traced("text deid", {"path": "data"}, sign=False)
def deid_command(
    path: Path = typer.Argument(..., help="Data file with a free-text column."),
    column: str = typer.Option(..., "--column", help="The text column to de-identify."),
    out: Path = typer.Option(..., "--out", help="Write the table with the column de-identified here."),
    group: str | None = typer.Option(
        None, "--group", help="Patient column: consistent surrogates and one date shift per patient."
    ),
    spans: Path | None = typer.Option(
        None,
        "--spans",
        help="Write the spans found as JSON lines (row, start, end, label; never the values).",
    ),
    mode: Mode = typer.Option(Mode.MASK, "--mode", help="mask: [LABEL]; pseudonymise: realistic surrogates."),
) -> None:
    """Remove personal identifiers from a text column (mask or pseudonymise). Exit 2 on bad input."""
    from datacert.text.deid import deidentify

    with OutputSet({"--out": out, "--spans": spans}, inputs=[path]) as outputs:
        frame = _load(path, column, group)
        groups = frame.get_column(group).cast(pl.String).to_list() if group else None
        result = deidentify(frame.get_column(column).to_list(), groups=groups, mode=mode.value)
        outputs.write(
            "--out", _table_bytes(frame.with_columns(pl.Series(column, result.texts, dtype=pl.String)), out)
        )
        counts: Counter[str] = Counter()
        lines = []
        for row, found in enumerate(result.spans):
            for s in found:
                counts[s.label] += 1
                lines.append(json.dumps({"row": row, "start": s.start, "end": s.end, "label": s.label}))
        outputs.write("--spans", "\n".join(lines) + ("\n" if lines else ""))
    summary = ", ".join(f"{label} {n}" for label, n in sorted(counts.items())) or "none"
    say(f"{len(result.texts)} notes, {sum(counts.values())} identifiers replaced ({summary}).")


@text_app.command("normalize")
@guarded_command
def normalize_command(
    path: Path = typer.Argument(..., help="Data file with a free-text column."),
    column: str = typer.Option(..., "--column", help="The text column to normalise."),
    out: Path = typer.Option(
        ..., "--out", help="Write the table with the normalised text and its maps here."
    ),
    language: Language = typer.Option(Language.AUTO, "--language", help="Abbreviation language."),
) -> None:
    """Expand abbreviations, map lab mentions to LOINC/UCUM, keep codes and doses whole (offsets kept)."""
    from datacert.text.normalize import normalize

    with OutputSet({"--out": out}, inputs=[path]) as outputs:
        frame = _load(path, column, None)
        results = [normalize(t, language.value) for t in frame.get_column(column).to_list()]
        frame = frame.with_columns(
            pl.Series(f"{column}_normalized", [r.text for r in results], dtype=pl.String),
            pl.Series(f"{column}_offsets", [json.dumps(r.offsets) for r in results], dtype=pl.String),
            pl.Series(
                f"{column}_labs", [json.dumps(r.labs, ensure_ascii=False) for r in results], dtype=pl.String
            ),
            pl.Series(f"{column}_tokens", [json.dumps(r.tokens) for r in results], dtype=pl.String),
        )
        outputs.write("--out", _table_bytes(frame, out))
    expanded = sum(len(r.expansions) for r in results)
    say(f"{len(results)} notes normalised, {expanded} abbreviations expanded.")


app.add_typer(text_app, name="text")
