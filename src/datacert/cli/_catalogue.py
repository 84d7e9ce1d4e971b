"""`datacert checks`: the catalogue of registered checks, with what each needs and its parameters."""

from __future__ import annotations

import json
import sys

import typer

from datacert.cli._app import app


def catalogue_entries() -> list[dict]:
    """One entry per registered check, from its class attributes and docstring."""
    from datacert.checks import load_all_checks

    entries = []
    for check_id, cls in load_all_checks().items():
        doc = (cls.__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else ""
        needs = cls.needs
        entries.append(
            {
                "check": check_id,
                "dimension": cls.dimension,
                "summary": summary,
                "needs": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(needs).items() if v},
                "params": dict(cls.params),
                "cost": cls.cost,
            }
        )
    return entries


@app.command("checks")
def checks_command(
    output_format: str = typer.Option("text", "--format", help="text, json or md."),
) -> None:
    """List every check datacert runs: id, dimension, what it needs, its tunable parameters."""
    entries = catalogue_entries()
    if output_format == "json":
        sys.stdout.write(json.dumps(entries, indent=2, sort_keys=True, default=str) + "\n")
    elif output_format == "md":
        lines = ["| check | dimension | needs | parameters | finds |", "|---|---|---|---|---|"]
        for e in entries:
            needs = ", ".join(f"{k}={v}" for k, v in e["needs"].items()) or "-"
            params = ", ".join(f"{k}={v}" for k, v in e["params"].items()) or "-"
            lines.append(f"| `{e['check']}` | {e['dimension']} | {needs} | {params} | {e['summary']} |")
        sys.stdout.write("\n".join(lines) + "\n")
    elif output_format == "text":
        for e in entries:
            sys.stdout.write(f"{e['check']:28s} {e['dimension']:19s} {e['summary']}\n")
    else:
        typer.echo("datacert: --format must be text, json or md.", err=True)
        raise typer.Exit(2)
