"""`datacert prequalify` and `datacert apply`: prove and apply a preprocessing recipe, replay it."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl
import typer

from datacert.cli._app import app
from datacert.cli._output import guarded_command, progress_display
from datacert.cli._trace import traced
from datacert.io import InputError, OutputSet


def _table_bytes(path: Path, frame: pl.DataFrame) -> bytes:
    """The clean table as a file: Parquet by default, CSV/TSV when the name ends so."""
    buffer = io.BytesIO()
    if path.suffix.lower() in (".csv", ".tsv"):
        frame.write_csv(buffer, separator="\t" if path.suffix.lower() == ".tsv" else ",")
    else:
        frame.write_parquet(buffer)
    return buffer.getvalue()


@app.command("prequalify")
@guarded_command
@traced("prequalify", {"path": "data", "policy": "settings", "recipe": "settings"})
def prequalify_command(
    path: Path = typer.Argument(..., help="Data file, as for `check`.", show_default=False),
    out: Path = typer.Option(
        ..., "--out", help="Write the clean table here (Parquet; CSV if the name ends in .csv)."
    ),
    target: str | None = typer.Option(None, "--target", help="The label to be learned."),
    id_column: str | None = typer.Option(None, "--id", help="A record identifier column."),
    group: str | None = typer.Option(
        None, "--group", help="The patient: cross-validation keeps a group in one fold."
    ),
    time_column: str | None = typer.Option(None, "--time", help="The record's date."),
    split: str | None = typer.Option(
        None, "--split", help="Partition column: statistics are fitted on 'train' rows."
    ),
    sensitive: list[str] = typer.Option([], "--sensitive", help="Attribute for bias checks (repeatable)."),
    text: list[str] = typer.Option([], "--text", help="Free-text column (repeatable)."),
    duration: str | None = typer.Option(
        None, "--duration", help="Follow-up time of a time-to-event outcome (--target is then the event)."
    ),
    policy: Path | None = typer.Option(None, "--policy", help="Policy file (YAML/JSON): check parameters."),
    plan_out: Path | None = typer.Option(None, "--plan", help="Write the replayable plan (JSON) here."),
    html_out: Path | None = typer.Option(
        None, "--html", help="Write the HTML report of the clean table here."
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Write the certificate (with before/after) here."
    ),
    recipe: Path | None = typer.Option(
        None, "--recipe", help="A fixed recipe (YAML) to evaluate and apply instead of searching."
    ),
    materialize: bool = typer.Option(
        False, "--materialize-transforms", help="Also write scaling, indicators and PCA into the clean table."
    ),
    budget: float = typer.Option(60.0, "--budget", min=0.1, help="Seconds allowed per candidate recipe."),
) -> None:
    """Find, prove and apply the preprocessing that makes a dataset fit to train on.

    Exit 0 release, 3 prequalify, 4 reject (the verdict after pre-qualification), 2 bad input; a
    policy's `fail_on: reject` lets pre-qualified data exit 0, as for `datacert check`.
    """
    from datacert.assay import load_dataset
    from datacert.policy import load_policy
    from datacert.prequalification import load_recipe, run_prequalification
    from datacert.roles import Roles

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
    outputs = OutputSet(
        {"--out": out, "--plan": plan_out, "--json": json_out, "--html": html_out},
        inputs=[path, policy, recipe],
    )
    with outputs:
        spec = load_recipe(recipe) if recipe is not None else None
        loaded_policy = load_policy(policy)
        dataset = load_dataset(path, roles, prefetch=True)
        with progress_display(True) as progress:
            result = run_prequalification(
                dataset,
                loaded_policy,
                spec,
                budget=budget,
                materialize_transforms=materialize,
                progress=progress,
            )
        from datacert.audit import note_result

        note_result({"dataset": result.certificate.dataset, "verdict": result.certificate.verdict})
        outputs.write("--out", _table_bytes(out, result.clean))
        if "--plan" in outputs:
            outputs.write("--plan", result.plan_json())
        if "--json" in outputs:
            outputs.write("--json", result.certificate.to_json())
        if "--html" in outputs:
            outputs.write("--html", result.certificate.to_html())
    from datacert.report import render_prequalify_text

    summary = render_prequalify_text(result.certificate.extra["prequalification"], result.explanation)
    clean = f"Clean table: {out} ({result.clean.height} records, {result.clean.width} columns)."
    sys.stdout.write(f"{summary}\n{clean}\n")
    from datacert.scoring import exit_code_for

    raise typer.Exit(exit_code_for(result.certificate.verdict, loaded_policy.fail_on or "prequalify"))


@app.command("apply")
@guarded_command
@traced("apply", {"data": "data", "plan_path": "plan"})
def apply_command(
    plan_path: Path = typer.Argument(
        ..., help="A plan written by `datacert prequalify --plan`.", show_default=False
    ),
    data: Path = typer.Argument(
        ..., help="New data with the same schema as the plan's input.", show_default=False
    ),
    out: Path = typer.Option(
        ..., "--out", help="Write the transformed table here (Parquet, or CSV by suffix)."
    ),
) -> None:
    """Replay a pre-qualification plan on new data of the same schema. Exit 0 on success, 2 on bad input."""
    from datacert.io import read_table
    from datacert.prequalification import apply_plan, load_plan

    with OutputSet({"--out": out}, inputs=[plan_path, data]) as outputs:
        if not plan_path.exists():
            raise InputError(f"{plan_path} does not exist.")
        try:
            plan_text = plan_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"the plan {plan_path} cannot be read as UTF-8 text: {exc}.") from None
        plan = load_plan(plan_text)
        frame = read_table(data).frame
        clean, removed = apply_plan(plan, frame)
        outputs.write("--out", _table_bytes(out, clean))
    sys.stdout.write(
        f"Applied the plan: {clean.height} records written to {out}, {len(removed)} removed"
        + (f" (positions {removed[:20]}{' ...' if len(removed) > 20 else ''})" if removed else "")
        + ".\n"
    )
    raise typer.Exit(0)
