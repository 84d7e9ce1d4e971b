"""Plans: the recorded recipe (steps, parameters, fitted statistics) and its replay on new data.

A plan is a deterministic JSON document (keys sorted, floats written exactly). `apply_plan`
replays it on a table of the same schema; `build_pipeline` turns it into a fitted scikit-learn
Pipeline whose output is the model's feature matrix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from sklearn.pipeline import Pipeline

from datacert.prequalification._arrays import plain
from datacert.prequalification._steps import Features, PlanError, ReduceDimensions, RowStep, Step

PLAN_KIND = "datacert-prequalification-plan"
PLAN_VERSION = 1
MATERIALISED_STAGES = ("correct", "impute")


def schema_families(frame: pl.DataFrame) -> dict[str, str]:
    """Each column's type family: what must match for a plan to replay on another table."""
    out = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.Boolean:
            out[name] = "boolean"
        elif dtype.is_numeric():
            out[name] = "number"
        elif dtype == pl.Date or isinstance(dtype, pl.Datetime):
            out[name] = "date"
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            out[name] = "text"
        elif dtype == pl.Null:
            out[name] = "empty"
        else:
            out[name] = str(dtype)
    return out


def apply_rows(
    frame: pl.DataFrame, row_steps: Sequence[RowStep]
) -> tuple[pl.DataFrame, list[int], dict[str, list[int]]]:
    """Run the row steps in order; return the kept rows and the removed positions (in `frame`)."""
    positions = np.arange(frame.height)
    by_step: dict[str, list[int]] = {}
    for step in row_steps:
        drop = step.drop_positions(frame)
        if drop.size:
            keep = np.ones(frame.height, dtype=bool)
            keep[drop] = False
            by_step[step.action] = sorted(by_step.get(step.action, []) + positions[drop].tolist())
            frame = frame.filter(pl.Series(keep))
            positions = positions[keep]
        else:
            by_step.setdefault(step.action, [])
    removed = sorted(p for rows in by_step.values() for p in rows)
    return frame, removed, by_step


def materialise(
    frame: pl.DataFrame, steps: Sequence[Step], materialize_transforms: bool, keep_columns: Sequence[str] = ()
) -> pl.DataFrame:
    """Apply the fitted steps that belong in the clean table (all of them with materialize_transforms).

    Without materialize_transforms the output keeps its columns, names and units: only corrections
    and imputed values are written. With it, indicators, winsorising and scaling are written too,
    and when the recipe ends in PCA the table becomes the kept columns plus PC1..PCk.
    """
    out = frame
    matrix = None
    for step in steps:
        if step.stage in MATERIALISED_STAGES:
            out = step.transform(out)
        elif materialize_transforms and not isinstance(step, (Features, ReduceDimensions)):
            out = step.transform(out)
        elif materialize_transforms and isinstance(step, ReduceDimensions):
            features = next(s for s in steps if isinstance(s, Features))
            matrix = step.transform(features.transform(out))
    if matrix is not None:
        kept = out.select([c for c in keep_columns if c in out.columns])
        pcs = pl.DataFrame({f"PC{j + 1}": matrix[:, j] for j in range(matrix.shape[1])})
        out = pl.concat([kept, pcs], how="horizontal")
    return out


def plan_to_json(plan: Mapping[str, Any]) -> str:
    return json.dumps(plain(dict(plan)), sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def load_plan(source: str | Mapping[str, Any]) -> dict[str, Any]:
    """A plan from its JSON text or dict, checked for kind and version."""
    try:
        plan = json.loads(source) if isinstance(source, str) else dict(source)
    except json.JSONDecodeError as exc:
        raise PlanError(f"the plan is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(plan, dict) or plan.get("kind") != PLAN_KIND:
        raise PlanError("this file is not a datacert pre-qualification plan")
    if plan.get("plan_version") != PLAN_VERSION:
        raise PlanError(
            f"plan version {plan.get('plan_version')!r} is not supported (expected {PLAN_VERSION})"
        )
    return plan


def plan_steps(plan: Mapping[str, Any]) -> tuple[list[RowStep], list[Step]]:
    return (
        [RowStep.from_plan(r) for r in plan.get("row_steps", [])],
        [Step.from_plan(r) for r in plan.get("steps", [])],
    )


def check_schema(plan: Mapping[str, Any], frame: pl.DataFrame) -> None:
    """Refuse a table whose columns or column types differ from the plan's input."""
    expected: dict[str, str] = plan["input"]["schema"]
    found = schema_families(frame)
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    converted = set()
    for record in plan.get("steps", []):
        if record["action"] == "convert_type":
            converted |= set(record["params"].get("columns") or {})
    wrong = [
        f"{c!r} is {found[c]}, expected {expected[c]}"
        for c in expected
        if c in found
        and found[c] != expected[c]
        and found[c] != "empty"
        and not (c in converted and found[c] in ("number", "date"))
        and not {found[c], expected[c]} <= {"number", "boolean"}
    ]
    problems = []
    if missing:
        problems.append("missing columns " + ", ".join(repr(c) for c in missing[:10]))
    if extra:
        problems.append("unexpected columns " + ", ".join(repr(c) for c in extra[:10]))
    if wrong:
        problems.append("; ".join(wrong[:10]))
    if problems:
        raise PlanError("the table does not have the plan's schema: " + "; ".join(problems) + ".")


def apply_plan(
    plan: Mapping[str, Any], frame: pl.DataFrame, materialize_transforms: bool | None = None
) -> tuple[pl.DataFrame, list[int]]:
    """Replay a plan on a table of the same schema: row steps, then the fitted steps.

    Returns the clean table and the positions (in `frame`) of the records removed.
    """
    plan = load_plan(plan)
    check_schema(plan, frame)
    row_steps, steps = plan_steps(plan)
    kept, removed, _ = apply_rows(frame, row_steps)
    materialize = (
        plan.get("materialize_transforms", False)
        if materialize_transforms is None
        else materialize_transforms
    )
    keep = plan.get("keep_columns", [])
    return materialise(kept, steps, bool(materialize), keep), removed


def build_pipeline(plan: Mapping[str, Any] | str) -> Pipeline:
    """A fitted scikit-learn Pipeline from a plan: table in (same schema), model feature matrix out.

    Every step is rebuilt from its recorded parameters and fitted statistics; nothing is refitted,
    so the pipeline applies the training statistics to new data. Row steps (deduplicate, drop
    empty records) are not part of it: a Pipeline maps each record to one output row.
    """
    plan = load_plan(plan)
    _, steps = plan_steps(plan)
    if not steps:
        raise PlanError("the plan has no step to build a pipeline from")
    names: dict[str, int] = {}
    named = []
    for step in steps:
        names[step.action] = names.get(step.action, 0) + 1
        named.append(
            (step.action if names[step.action] == 1 else f"{step.action}_{names[step.action]}", step)
        )
    return Pipeline(named)
