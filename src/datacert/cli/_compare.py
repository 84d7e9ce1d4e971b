"""`datacert compare A B`: two datasets (or two certificates) side by side."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import guarded_command
from datacert.cli._trace import traced
from datacert.io import InputError, OutputSet


class CompareFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MD = "md"


@app.command("compare")
@guarded_command
@traced("compare", {"a": "data", "b": "data", "policy": "settings"})
def compare_command(
    a: Path = typer.Argument(..., help="First data file, or a certificate JSON.", show_default=False),
    b: Path = typer.Argument(..., help="Second data file, or a certificate JSON.", show_default=False),
    target: str | None = typer.Option(None, "--target", help="The label to be learned (both tables)."),
    id_column: str | None = typer.Option(None, "--id", help="A record identifier column."),
    group: str | None = typer.Option(None, "--group", help="The patient column."),
    time_column: str | None = typer.Option(None, "--time", help="The record's date."),
    split: str | None = typer.Option(None, "--split", help="A column naming the partition."),
    sensitive: list[str] = typer.Option([], "--sensitive", help="Attribute for bias checks (repeatable)."),
    policy: Path | None = typer.Option(
        None, "--policy", help="Policy file (YAML/JSON) used for both tables."
    ),
    scoring_profile: str | None = typer.Option(
        None, "--profile", help="Scoring profile used for both tables."
    ),
    output_format: CompareFormat = typer.Option(CompareFormat.TEXT, "--format", help="What to print."),
    html_out: Path | None = typer.Option(None, "--html", help="Write the side-by-side HTML report here."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the comparison JSON here."),
) -> None:
    """Compare two datasets or certificates: scores with intervals, verdicts, findings, distribution shift."""
    from datacert.compare import compare
    from datacert.policy import load_policy
    from datacert.roles import Roles

    roles = Roles.build(
        target=target, id=id_column, group=group, time=time_column, split=split, sensitive=sensitive
    )
    with OutputSet({"--html": html_out, "--json": json_out}, inputs=[a, b, policy]) as outputs:
        for path in (a, b):
            if not path.exists():
                raise InputError(f"{path} does not exist.")
        result = compare(a, b, roles, load_policy(policy, profile=scoring_profile))
        if "--html" in outputs:
            outputs.write("--html", result.to_html())
        if "--json" in outputs:
            outputs.write("--json", result.to_json())
    if output_format == CompareFormat.JSON:
        sys.stdout.write(result.to_json())
    elif output_format == CompareFormat.MD:
        sys.stdout.write(result.to_markdown())
    else:
        sys.stdout.write(result.to_text())
