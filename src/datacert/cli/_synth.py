"""`datacert synth`: the certificate of a synthetic table, against the real data it imitates."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._check import FailOn, OutputFormat
from datacert.cli._output import exit_on_errors, guard_outputs_differ, progress_display, write_atomic


@app.command("synth")
def synth_command(
    real: Path = typer.Argument(
        ..., help="The real training table the generator was fitted on.", show_default=False
    ),
    synthetic: Path = typer.Argument(..., help="The synthetic table to certify.", show_default=False),
    holdout: Path | None = typer.Option(
        None,
        "--holdout",
        help="Real records the generator never saw: needed for utility and most privacy metrics.",
    ),
    target: str | None = typer.Option(None, "--target", help="The label models will learn (for utility)."),
    id_column: str | None = typer.Option(None, "--id", help="A record identifier column (not compared)."),
    group: str | None = typer.Option(None, "--group", help="The patient column (not compared)."),
    time_column: str | None = typer.Option(None, "--time", help="The record's date."),
    split: str | None = typer.Option(None, "--split", help="A column naming the partition (not compared)."),
    sensitive: list[str] = typer.Option(
        [], "--sensitive", help="Attribute for per-subgroup fidelity and utility."
    ),
    text: list[str] = typer.Option([], "--text", help="Free-text column (not compared; repeatable)."),
    duration: str | None = typer.Option(
        None, "--duration", help="Survival time column (Kaplan–Meier distance)."
    ),
    event: str | None = typer.Option(
        None, "--event", help="Survival event column (1 = event, 0 = censored)."
    ),
    policy: Path | None = typer.Option(
        None,
        "--policy",
        help="YAML/JSON file extending the synthetic_training_data profile (anchors, gates, floors).",
    ),
    baselines: bool = typer.Option(
        False, "--baselines", help="Also score independent marginals and a Gaussian copula fitted on REAL."
    ),
    full_check: bool = typer.Option(
        False,
        "--full-check",
        help="Run every check on both tables for validity, not only the validity dimensions.",
    ),
    fail_on: FailOn = typer.Option(
        FailOn.PREQUALIFY, "--fail-on", help="Lowest verdict that exits non-zero: prequalify or reject."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON certificate here."),
    html_out: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    md_out: Path | None = typer.Option(None, "--md", help="Write a Markdown summary here."),
    output_format: OutputFormat = typer.Option(
        OutputFormat.TEXT, "--format", help="What to print on standard output."
    ),
) -> None:
    """Certify a synthetic table for training. Exit 0 release, 3 prequalify, 4 reject, 2 bad input."""
    from datacert.roles import Roles
    from datacert.scoring import exit_code_for
    from datacert.synth import certify_synthetic, load_synth_profile, load_tables

    roles = Roles.build(
        target=target,
        id=id_column,
        group=group,
        time=time_column,
        split=split,
        sensitive=sensitive,
        text=text,
    )
    with exit_on_errors():
        guard_outputs_differ([real, synthetic, holdout], [json_out, html_out, md_out])
        profile = load_synth_profile(policy)
        tables = load_tables(real, synthetic, holdout, roles)
        with progress_display(True) as progress:
            certificate = certify_synthetic(
                tables,
                profile,
                duration=duration,
                event=event,
                baselines=baselines,
                progress=progress,
                full_check=full_check,
            )
    if json_out:
        write_atomic(json_out, certificate.to_json())
    if html_out:
        write_atomic(html_out, certificate.to_html())
    if md_out:
        write_atomic(md_out, certificate.to_markdown())
    if output_format == OutputFormat.JSON:
        sys.stdout.write(certificate.to_json())
    elif output_format == OutputFormat.MD:
        sys.stdout.write(certificate.to_markdown())
    else:
        sys.stdout.write(certificate.to_text())
    raise typer.Exit(exit_code_for(certificate.verdict, str(fail_on)))
