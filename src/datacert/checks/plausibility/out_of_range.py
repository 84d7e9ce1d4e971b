"""out_of_range: values outside physiological limits (knowledge base) or declared limits (schema)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Figure, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.plausibility._physiology import Variable, choose_unit, match_variable
from datacert.findings import Severity
from datacert.semantics import SemanticType, parse_number_expr

_MEASURE_TYPES = {SemanticType.CONTINUOUS, SemanticType.COUNT}
# numbers commonly typed for "unknown": out-of-range values equal to one are reported as such
SENTINELS = [-99999.0, -9999.0, -999.0, -99.0, -9.0, -1.0, 999.0, 9999.0, 99999.0, 999999.0]


UNIT_DOUBT_DISTINCT = 5  # distinct values past a hard limit from which a smooth tail means another unit


@register
class OutOfRange(Check):
    """Find values outside the physiological limits of recognised clinical variables.

    Notes
    -----
    Columns are recognised from their French or English name (age, poids, PAS, glycémie, ...)
    against `knowledge/physiological_limits.yaml`; the unit comes from a declared schema, a hint
    in the name (`_mg_dl`, `_cm`) or the typical value. A column is judged only when its central
    half fits the unit's plausible range, so standardised or recoded columns are skipped rather
    than flooded with alarms. Three tiers: beyond the hard limits a value is impossible (error);
    beyond the documented disease range but inside the hard limits it is implausible (warning);
    beyond the usual reference interval but inside the disease range it is pathology, real in a
    sick cohort: counted in the evidence (`beyond_usual_range`), reported as an info finding
    ("verify at source") only with `report_pathological`, never as an error or warning.
    `minimum`/`maximum` declared in a Table Schema
    replace the knowledge base for that column and are hard limits. Rows are read only for
    columns whose profiled minimum or maximum crosses a limit.
    """

    id = "out_of_range"
    dimension = "plausibility"
    governance = ("errors",)
    params = (
        Param(
            "check_soft_limits",
            True,
            "also report values outside the plausible (not only the possible) limits",
        ),
        Param(
            "report_pathological",
            False,
            "also report, as info, values beyond the usual range but inside the disease range",
        ),
    )
    kahn = "plausibility.atemporal"
    remedy = Remedy("range_to_missing", 60, automatic=True)
    figure = Figure("distribution", priority=1)

    def run(self, data, profile, params):
        schema = data.schema
        declared = data.declared_schema
        checked: dict[str, dict[str, Any]] = {}
        skipped: dict[str, str] = {}
        findings = []
        numerator = denominator = 0
        for column in data.columns:
            dtype = schema[column]
            is_text = dtype == pl.String
            if column == data.roles.id or not (dtype.is_numeric() or is_text):
                continue
            field = declared.field(column) if declared is not None else None
            has_declared = field is not None and (_is_number(field.minimum) or _is_number(field.maximum))
            if not has_declared and not is_text and data.semantic_types.get(column) not in _MEASURE_TYPES:
                continue
            variable = match_variable(column)
            if variable is None and not has_declared:
                continue
            values = _as_number(column, is_text)
            stats = _stats(data, profile, column, values, is_text)
            if not stats["count"] or (
                is_text and stats["count"] < 0.5 * (profile.column(column)["count"] or 0)
            ):
                continue  # no numbers, or text that is mostly not numbers
            rules, meta, why = _rules(column, variable, field, stats)
            if rules and meta.get("unit_basis") == "values":
                doubt = _unit_in_doubt(data, column, values, meta, stats)
                if doubt:
                    # the upper limits belong to the guessed unit; the lower ones (0 for an age, a
                    # weight, a count) hold in any unit of a ratio scale, so they stay
                    rules = [(sev, kind, low, None) for sev, kind, low, _ in rules]
                    meta = {**meta, "unit_in_doubt": doubt, "upper_limits_dropped": True}
            if not rules:
                skipped[column] = why
                continue
            checked[column] = meta
            denominator += stats["count"]
            for severity, kind, low, high in rules:
                if kind == "implausible" and not params["check_soft_limits"]:
                    continue
                if kind == "pathological" and not params["report_pathological"]:
                    # pathology is not a defect: counted in the evidence, not reported as a finding
                    hard = next(r for r in rules if r[1] == "implausible")
                    beyond = _outside(values, low, high) & ~_outside(values, hard[2], hard[3])
                    n_path = data.frame.select(beyond.fill_null(False).sum()).item()
                    meta["beyond_usual_range"] = int(n_path)
                    continue
                if (low is None or stats["min"] >= low) and (high is None or stats["max"] <= high):
                    continue  # the profile proves no value crosses these limits
                outside = _outside(values, low, high)
                if kind in ("implausible", "pathological"):  # each tier reports only its own band
                    inner = {"implausible": "impossible", "pathological": "implausible"}[kind]
                    wider = next(r for r in rules if r[1] == inner)
                    outside = outside & ~_outside(values, wider[2], wider[3])
                    if kind == "pathological":
                        hard = next(r for r in rules if r[1] == "impossible")
                        outside = outside & ~_outside(values, hard[2], hard[3])
                counts = data.frame.select(
                    outside.fill_null(False).sum().alias("n"),
                    (outside & values.is_in(SENTINELS)).fill_null(False).sum().alias("sentinels"),
                    (outside & (values < low)).fill_null(False).sum().alias("below")
                    if low is not None
                    else pl.lit(0).alias("below"),
                ).row(0)
                n_out, n_sentinel, n_below = int(counts[0]), int(counts[1]), int(counts[2])
                if not n_out:
                    continue
                rows = data.frame.select(outside.fill_null(False).arg_true()).to_series().to_numpy()
                if kind != "pathological":  # pathology is data, not a defect: not counted in the indicator
                    numerator += n_out
                findings.append(
                    self._finding(
                        column,
                        meta,
                        severity,
                        kind,
                        low,
                        high,
                        rows,
                        n_out,
                        n_below,
                        stats["count"],
                        n_sentinel,
                    )
                )
        evidence = {
            "numerator": numerator,
            "denominator": denominator,
            "columns_checked": checked,
            "columns_skipped": skipped,
        }
        if not checked:
            return CheckResult.quiet(evidence)
        return CheckResult.fired(findings, evidence)

    def _finding(self, column, meta, severity, kind, low, high, rows, n_out, n_below, count, n_sentinel):
        what = meta.get("variable_label") or "this column"
        unit = f" in {meta['unit']}" if meta.get("unit") else ""
        if kind == "declared":
            message = (
                f"{plural(n_out, 'value')} of {column!r} fall outside the limits declared in the schema."
            )
            remedy = (
                f"Correct the values of {column!r} at the source or set them to missing, or fix "
                "the declared limits."
            )
        elif kind == "impossible":
            message = f"{plural(n_out, 'value')} of {column!r} are impossible for {what}{unit}."
            remedy = (
                f"Correct these values of {column!r} at the source or set them to missing; "
                "they cannot be real measurements."
            )
        elif kind == "implausible":
            message = (
                f"{plural(n_out, 'value')} of {column!r} are implausible for {what}{unit}: beyond the "
                "values documented even in severe disease."
            )
            remedy = (
                f"Check these values of {column!r} against the source record; keep them only if confirmed."
            )
        else:
            message = (
                f"{plural(n_out, 'value')} of {column!r} lie outside the usual range of {what}{unit} but "
                "inside the range seen in disease: possible pathology."
            )
            remedy = f"Verify at source if in doubt; these values of {column!r} are possible and are kept."
        if n_sentinel == n_out:
            remedy = (
                f"These values of {column!r} look like codes for a missing value (-999, 9999...): "
                "set them to missing."
            )
        evidence = {
            "numerator": n_out,
            "denominator": count,
            "share": n_out / count,
            "limits": [low, high],
            "limit_kind": kind,
            "below": n_below,
            "above": n_out - n_below,
            "missing_value_codes": n_sentinel,
            **meta,
        }
        return self.finding(severity, message, columns=[column], rows=rows, evidence=evidence, remedy=remedy)

    def correction(self, findings, data, plan):
        """Set impossible values (beyond hard or declared limits) to missing; the imputation then
        fills them. Implausible or pathological values are possible: they stay as observed."""
        impossible = [
            f
            for f in findings
            if f.severity in (Severity.ERROR, Severity.CRITICAL)
            and f.evidence.get("limit_kind", "impossible") in ("impossible", "declared")
        ]
        limits = {c: lim for f in impossible for c, lim in _limits(data, f).items()}
        if limits:
            plan.add_step("range_to_missing", limits=limits)
        return bool(limits) and len(impossible) == len(findings)


def _unit_in_doubt(data, column: str, values: pl.Expr, meta: dict[str, Any], stats) -> str:
    """Why a unit guessed from the typical value cannot be trusted, or "".

    Entry errors beyond a hard limit stand apart from the other values (age 250 beside ages up to
    95); a column in another unit (age in months in a paediatric cohort, the trust benchmark's
    Wilms tumour table) runs past the limit without a gap, with many distinct values. Then the
    upper limits of the guessed unit do not apply (the lower ones still do).
    """
    high = meta["hard_limits"][1]
    if high is None or stats["max"] is None or stats["max"] <= high:
        return ""
    inside_max, beyond_min, beyond_distinct = data.frame.select(
        values.filter(values <= high).max().alias("inside_max"),
        values.filter(values > high).min().alias("beyond_min"),
        values.filter(values > high).n_unique().alias("beyond_distinct"),
    ).row(0)
    spread = (stats["q75"] or 0) - (stats["q25"] or 0)
    if inside_max is None or beyond_distinct < UNIT_DOUBT_DISTINCT or spread <= 0:
        return ""
    if beyond_min - inside_max > 0.25 * spread:
        return ""
    return (
        f"recognised as {meta['variable_label']} in {meta['unit']} from its typical value, but "
        f"{beyond_distinct} distinct values continue past the {meta['unit']} limit of {high:g} without "
        "a gap: the column is probably in another unit"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_number(column: str, is_text: bool) -> pl.Expr:
    return parse_number_expr(pl.col(column)) if is_text else pl.col(column).cast(pl.Float64)


def _outside(values: pl.Expr, low: float | None, high: float | None) -> pl.Expr:
    test = pl.lit(False)
    if low is not None:
        test = test | (values < low)
    if high is not None:
        test = test | (values > high)
    return test


def _stats(data, profile, column: str, values: pl.Expr, is_text: bool) -> dict[str, Any]:
    """min, max, quartiles and count: from the profile, or computed for numbers stored as text."""
    if not is_text:
        row = profile.column(column)
        if row["count"] and row["q50"] is None:  # not profiled as numeric: compute below
            is_text = True
        else:
            return {k: row[k] for k in ("count", "min", "max", "q25", "q50", "q75")}
    if is_text:
        out = data.frame.select(
            values.count().alias("count"),
            values.min().alias("min"),
            values.max().alias("max"),
            values.quantile(0.25, "linear").alias("q25"),
            values.quantile(0.5, "linear").alias("q50"),
            values.quantile(0.75, "linear").alias("q75"),
        ).row(0, named=True)
        return out
    return {}


def _rules(column: str, variable: Variable | None, field, stats) -> tuple[list, dict[str, Any], str]:
    """The limits to apply to one column: (severity, kind, low, high) rules, their evidence, or why not."""
    rules: list[tuple[str, str, float | None, float | None]] = []
    meta: dict[str, Any] = {}
    if field is not None and (_is_number(field.minimum) or _is_number(field.maximum)):
        low = float(field.minimum) if _is_number(field.minimum) else None
        high = float(field.maximum) if _is_number(field.maximum) else None
        rules.append(("error", "declared", low, high))
        meta.update({"source": "declared schema", "declared_limits": [low, high]})
        if field.unit:
            meta["unit"] = field.unit
        if variable is not None:
            meta.update({"variable": variable.key, "variable_label": variable.label})
        return rules, meta, ""
    if variable is None:
        return [], {}, "not a recognised clinical variable"
    unit, basis = choose_unit(variable, column, stats["q50"], field.unit if field is not None else None)
    if unit is None:
        return [], {}, f"recognised as {variable.label}, but {basis}"
    low, high = unit.disease
    if basis != "declared" and not (low <= stats["q25"] and stats["q75"] <= high):
        return (
            [],
            {},
            (
                f"recognised as {variable.label} in {unit.name}, but most values lie outside its "
                "plausible range (rescaled, coded or another unit)"
            ),
        )
    meta.update(
        {
            "variable": variable.key,
            "variable_label": variable.label,
            "unit": unit.name,
            "unit_basis": basis,
            "hard_limits": list(unit.hard),
            "soft_limits": list(unit.disease),
            "disease_limits": list(unit.disease),
            "usual_limits": list(unit.usual) if unit.usual else None,
            "loinc": variable.loinc,
            "source": variable.source,
        }
    )
    rules.append(("error", "impossible", unit.hard[0], unit.hard[1]))
    rules.append(("warning", "implausible", unit.disease[0], unit.disease[1]))
    if unit.usual is not None:
        rules.append(("info", "pathological", unit.usual[0], unit.usual[1]))
    return rules, meta, ""


def _limits(data, f) -> dict[str, list[float | None]]:
    """Plausible limits of a column: from the evidence when given, else the range of unflagged values."""
    out: dict[str, list[float | None]] = {}
    ev = f.evidence
    for column in f.columns:
        if column not in data.columns or not data.schema[column].is_numeric():
            continue
        low = ev.get("low", ev.get("lower", ev.get("min")))
        high = ev.get("high", ev.get("upper", ev.get("max")))
        limits = ev.get("limits")
        if isinstance(limits, Mapping) and column in limits:
            limits = limits[column]
        if isinstance(limits, Mapping):
            low, high = limits.get("low", limits.get("min", low)), limits.get("high", limits.get("max", high))
        elif isinstance(limits, (list, tuple)) and len(limits) == 2:
            low, high = limits
        if not isinstance(low, (int, float)) and not isinstance(high, (int, float)):
            values = data.frame.get_column(column).cast(pl.Float64).to_numpy()
            flagged = np.zeros(values.size, dtype=bool)
            flagged[np.asarray(f.rows, dtype=np.int64)] = True
            keep = values[~flagged & ~np.isnan(values)]
            bad = values[flagged & ~np.isnan(values)]
            if keep.size == 0 or bad.size == 0:
                continue
            low = float(keep.min()) if (bad < keep.min()).any() else None
            high = float(keep.max()) if (bad > keep.max()).any() else None
        out[column] = [
            float(low) if isinstance(low, (int, float)) else None,
            float(high) if isinstance(high, (int, float)) else None,
        ]
    return out
