"""`datacert checks`: the catalogue of registered checks, generated from the check classes."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import typer

from datacert.cli._app import app

CSV_COLUMNS = (
    "check",
    "dimension",
    "kahn",
    "needs",
    "action",
    "order",
    "automatic",
    "figure",
    "governance",
    "parameters",
    "summary",
)


def catalogue_entries() -> list[dict[str, Any]]:
    """One entry per registered check (see datacert.checks.catalogue)."""
    from datacert.checks import catalogue

    return catalogue()


def _needs(entry: dict[str, Any]) -> str:
    return "; ".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in entry["needs"].items()
    )


def _parameter(p: dict[str, Any]) -> str:
    default = json.dumps(p["default"], ensure_ascii=False)
    low, high = p.get("low"), p.get("high")
    bounds = ""
    if low is not None or high is not None:
        bounds = f" [{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
    return f"{p['name']}={default}{bounds}"


def _row(entry: dict[str, Any]) -> dict[str, str]:
    return {
        "check": entry["check"],
        "dimension": entry["dimension"],
        "kahn": entry["kahn"] or "",
        "needs": _needs(entry),
        "action": entry["action"],
        "order": str(entry["order"]),
        "automatic": "true" if entry["automatic"] else "false",
        "figure": entry["figure"] or "",
        "governance": ",".join(entry["governance"]),
        "parameters": "; ".join(_parameter(p) for p in entry["parameters"]),
        "summary": entry["summary"],
    }


def render_catalogue(entries: list[dict[str, Any]], output_format: str) -> str:
    """The catalogue as json, md (a Markdown table), csv or text."""
    if output_format == "json":
        return json.dumps(entries, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    rows = [_row(e) for e in entries]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    if output_format == "md":
        header = "| check | dimension | Kahn | needs | action | order | automatic | parameters | finds |"
        lines = [header, "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            cells = [f"`{r['check']}`", r["dimension"], r["kahn"] or "-", r["needs"] or "-", r["action"]]
            cells += [r["order"], r["automatic"], r["parameters"] or "-", r["summary"]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"
    if output_format == "text":
        return "".join(f"{e['check']:28s} {e['dimension']:19s} {e['summary']}\n" for e in entries)
    raise ValueError(output_format)


@app.command("checks")
def checks_command(
    output_format: str = typer.Option("text", "--format", help="text, json, md or csv."),
) -> None:
    """List every check: id, dimension, Kahn category, needs, remedy, parameters with defaults and bounds."""
    if output_format not in ("text", "json", "md", "csv"):
        typer.echo("datacert: --format must be text, json, md or csv.", err=True)
        raise typer.Exit(2)
    sys.stdout.write(render_catalogue(catalogue_entries(), output_format))
