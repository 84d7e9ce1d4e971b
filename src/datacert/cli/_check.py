"""`datacert check`: the certificate of analysis for one dataset, with an exit code to gate on."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from datacert.cli._app import app
from datacert.cli._output import fail, guarded_command, progress_display
from datacert.cli._trace import traced
from datacert.io import OutputSet

if TYPE_CHECKING:
    import polars as pl


class FailOn(StrEnum):
    PREQUALIFY = "prequalify"
    REJECT = "reject"


class EngineName(StrEnum):
    MEMORY = "memory"
    STREAMING = "streaming"
    DASK = "dask"


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MD = "md"


@app.command("check")
@guarded_command
@traced("check", {"path": "data", "policy": "settings", "reference": "settings", "schema": "settings"})
def check_command(
    path: Path | None = typer.Argument(
        None,
        help="Data file: CSV/TSV, Parquet, Excel .xlsx, SAS .xpt/.sas7bdat, JSON Lines; "
        "or a folder or quoted glob of Parquet files (checked out of core).",
        show_default=False,
    ),
    target: str | None = typer.Option(None, "--target", help="The label to be learned."),
    id_column: str | None = typer.Option(None, "--id", help="A record identifier column."),
    group: str | None = typer.Option(
        None, "--group", help="The unit that must not be split across train/test (the patient)."
    ),
    time_column: str | None = typer.Option(None, "--time", help="The record's date."),
    split: str | None = typer.Option(
        None, "--split", help="A column naming the partition (train/test/site)."
    ),
    sensitive: list[str] = typer.Option([], "--sensitive", help="Attribute for bias checks (repeatable)."),
    text: list[str] = typer.Option([], "--text", help="Free-text column (repeatable)."),
    duration: str | None = typer.Option(
        None, "--duration", help="Follow-up time of a time-to-event outcome (--target is then the event)."
    ),
    policy: Path | None = typer.Option(
        None,
        "--policy",
        help="Policy file (YAML/JSON): check parameters and "
        "your own scoring profile (anchors, weights, gates).",
    ),
    scoring_profile: str | None = typer.Option(
        None,
        "--profile",
        help="Scoring profile: default, diagnostic_classifier, omics_biomarker, regression_prognosis.",
    ),
    fail_on: FailOn | None = typer.Option(
        None,
        "--fail-on",
        help="Lowest verdict that exits non-zero: prequalify "
        "(default: exit 3 or 4) or reject (pre-qualified data exit 0).",
    ),
    reference: Path | None = typer.Option(
        None,
        "--reference",
        help="Intended population (YAML/JSON): {attribute: {level: proportion}} for --sensitive columns.",
    ),
    schema: Path | None = typer.Option(
        None,
        "--schema",
        help="Declared Table Schema (Frictionless, JSON/YAML): "
        "types, units and constraints that override inference.",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON certificate here."),
    html_out: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    md_out: Path | None = typer.Option(None, "--md", help="Write a Markdown summary here."),
    output_format: OutputFormat = typer.Option(
        OutputFormat.TEXT, "--format", help="What to print on standard output."
    ),
    redact: bool = typer.Option(False, "--redact", help="Show no record values in the HTML report."),
    demo: bool = typer.Option(False, "--demo", help="Check the built-in demo cohort instead of PATH."),
    engine: EngineName | None = typer.Option(
        None,
        "--engine",
        help="memory (one file, the default), streaming (larger than memory; the default for a folder "
        "or glob) or dask.",
    ),
    memory_limit: str | None = typer.Option(
        None, "--memory-limit", help="Memory bound of an out-of-core run, e.g. 4GB (implies streaming)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler, tcp://HOST:8786 (default: a local cluster)."
    ),
    campaign: str | None = typer.Option(
        None,
        "--campaign",
        help='Training campaign the energy at stake is scaled to: "configs=50,folds=5,seeds=3" '
        "(the default).",
    ),
) -> None:
    """Check a dataset and issue its certificate. Exit 0 release, 3 prequalify, 4 reject, 2 bad input."""
    from datacert.assay import certify, load_dataset
    from datacert.policy import load_policy
    from datacert.roles import Roles

    if demo == (path is not None):
        raise fail("give either a data file PATH or --demo.")
    from datacert.checks import declared_threads

    try:
        declared_threads()
    except ValueError as exc:
        raise fail(str(exc)) from None
    roles = Roles.build(
        target=target,
        id=id_column,
        group=group,
        time=time_column,
        split=split,
        sensitive=sensitive,
        text=text,
        duration=duration,
    )
    from datacert.audit.energy import CampaignError, parse_campaign

    try:
        declared_campaign = parse_campaign(campaign) if campaign else None
    except CampaignError as exc:
        raise fail(str(exc)) from None
    outputs = OutputSet(
        {"--json": json_out, "--html": html_out, "--md": md_out},
        inputs=[path, policy, reference, schema],
    )
    with outputs:
        if demo:
            from datacert.demo import demo_frame, demo_roles

            source: pl.DataFrame | Path | None = demo_frame()
            roles = demo_roles() if not any(roles.to_dict().values()) else roles
        else:
            source = path
        loaded_policy = load_policy(policy, profile=scoring_profile)
        from datacert.scale import chosen_engine, scaled_check

        scale = None if demo else chosen_engine(path, engine, memory_limit, scheduler)
        if scale is not None:
            with progress_display(True) as progress:
                certificate = scaled_check(
                    path, roles, loaded_policy, scale, memory_limit, scheduler, reference, schema, progress,
                    declared_campaign,
                )  # fmt: skip
        else:
            dataset = load_dataset(source, roles, reference=reference, schema=schema, prefetch=True)
            with progress_display(True) as progress:
                certificate = certify(dataset, loaded_policy, progress=progress, campaign=declared_campaign)
        from datacert.audit import note_result

        note_result({"dataset": certificate.dataset, "verdict": certificate.verdict})  # for the audit event
        if "--json" in outputs:
            outputs.write("--json", certificate.to_json())
        if "--html" in outputs:
            outputs.write("--html", certificate.to_html(redact=redact))
        if "--md" in outputs:
            outputs.write("--md", certificate.to_markdown())
    if output_format == OutputFormat.JSON:
        from datacert.audit.recorder import signed_text

        sys.stdout.write(signed_text(certificate.to_json()))
    elif output_format == OutputFormat.MD:
        sys.stdout.write(certificate.to_markdown())
    else:
        sys.stdout.write(certificate.to_text(color=sys.stdout.isatty()))
    from datacert.scoring import exit_code_for

    raise typer.Exit(
        exit_code_for(certificate.verdict, str(fail_on or loaded_policy.fail_on or FailOn.PREQUALIFY))
    )
