"""From findings to correction steps: what datacert can fix by itself, and what it cannot.

Each fixable finding becomes the parameters of one step (sentinels, spelling map, unit
conversion, limits, columns to drop). Findings without an automatic fix are listed with why, so
the explanation can say what pre-qualification leaves to people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from datacert.dataset import Dataset
from datacert.findings import Finding, Severity
from datacert.prequalification._steps import (
    ConvertType,
    ConvertUnits,
    Deduplicate,
    DropColumns,
    DropEmptyRows,
    MergeCategories,
    NeutraliseFormulas,
    RangeToMissing,
    RowStep,
    SentinelToMissing,
    Step,
)
from datacert.semantics import best_date_format

BLOCKING = (Severity.ERROR, Severity.CRITICAL)
MODEL_HINT_CHECKS = {
    "univariate_outliers",
    "high_dimensionality",
    "informative_missingness",
    "missing_values",
}


@dataclass
class Corrections:
    """The row steps and correction steps built from the findings, and what was left unfixed."""

    row_steps: list[RowStep] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # column -> check
    leaking: list[str] = field(default_factory=list)
    outlier_columns: list[str] = field(default_factory=list)
    signal_rank: int | None = None
    informative: list[str] = field(default_factory=list)
    kept_role_columns: dict[str, str] = field(default_factory=dict)  # column -> check that asked to drop it
    unfixed: list[dict[str, Any]] = field(default_factory=list)


def build_corrections(data: Dataset, findings: Sequence[Finding]) -> Corrections:
    """Turn the fixable findings of a certificate into correction steps with explicit parameters."""
    out = Corrections()
    roles = data.roles
    protected = {roles.target, roles.id, roles.group, roles.time, roles.split} - {None}
    by_check: dict[str, list[Finding]] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)

    def drop(columns: Sequence[str], check: str) -> None:
        for c in columns:
            if c in protected:
                out.kept_role_columns.setdefault(c, check)
            elif c in data.columns:
                out.dropped.setdefault(c, check)

    handled: set[str] = set()
    for f in by_check.get("empty_rows", []):
        if f.severity in BLOCKING:
            ignore = [roles.id] if roles.id else []
            out.row_steps.append(
                DropEmptyRows(ignore=ignore, min_share=float(f.evidence.get("threshold", 1.0)))
            )
            handled.add("empty_rows")
    if by_check.get("duplicate_rows"):
        out.row_steps.append(Deduplicate(ignore=[roles.id] if roles.id else []))
        handled.add("duplicate_rows")
    formulas = sorted({c for f in by_check.get("formula_injection", []) for c in f.columns})
    if formulas:
        out.steps.append(NeutraliseFormulas(columns=formulas))
        handled.add("formula_injection")
    for f in by_check.get("constant_columns", []):
        if f.severity != Severity.INFO:
            drop(f.columns, "constant_columns")
            handled.add("constant_columns")
    for f in by_check.get("duplicate_columns", []):
        drop(_duplicate_copies(f), "duplicate_columns")
        handled.add("duplicate_columns")
    for f in by_check.get("direct_identifier", []):
        drop(f.columns, "direct_identifier")
        handled.add("direct_identifier")
    for f in by_check.get("target_leakage", []):
        if f.severity in BLOCKING:  # confirmed: too predictive to be legitimate
            drop(f.columns, "target_leakage")
            out.leaking += [c for c in f.columns if c not in protected]
            handled.add("target_leakage")
    for f in by_check.get("missing_values", []):
        if f.severity == Severity.CRITICAL:
            drop([c for c in f.columns if c in set(data.feature_columns())], "missing_values")
    if out.dropped:
        out.steps.append(DropColumns(columns=dict(out.dropped)))

    conversions: dict[str, str] = {}
    for f in by_check.get("type_mismatch", []):
        for c in f.columns:
            if c in out.dropped or data.schema.get(c) != pl.String:
                continue
            if f.evidence.get("kind") == "date":
                fmt, _ = best_date_format(data.frame.get_column(c))
                if fmt:
                    conversions[c] = fmt
            else:
                conversions[c] = "number"
    if conversions:
        out.steps.append(ConvertType(columns=conversions))
        handled.add("type_mismatch")

    sentinels = _sentinels(by_check.get("disguised_missing", []))
    if sentinels:
        out.steps.append(SentinelToMissing(sentinels=sentinels))
        handled.add("disguised_missing")
    mapping = _category_maps(by_check.get("inconsistent_categories", []))
    if mapping:
        out.steps.append(MergeCategories(mapping=mapping))
        handled.add("inconsistent_categories")
    units = {c: conv for f in by_check.get("mixed_units", []) for c, conv in _unit_rule(data, f).items()}
    if units:
        out.steps.append(ConvertUnits(conversions=units))
        handled.add("mixed_units")
    # only impossible values (beyond hard or declared limits) are errors to set to missing; values
    # that are merely unusual or pathological stay as observed and are left to people
    impossible = [
        f
        for f in by_check.get("out_of_range", [])
        if f.severity in BLOCKING and f.evidence.get("limit_kind", "impossible") in ("impossible", "declared")
    ]
    limits = {c: lim for f in impossible for c, lim in _limits(data, f).items()}
    if limits:
        out.steps.append(RangeToMissing(limits=limits))
        if len(impossible) == len(by_check.get("out_of_range", [])):
            handled.add("out_of_range")

    out.outlier_columns = sorted(
        {
            c
            for f in by_check.get("univariate_outliers", [])
            for c in f.columns
            if c not in out.dropped and f.severity != Severity.INFO and c not in protected
        },
        key=data.columns.index,
    )
    for f in by_check.get("high_dimensionality", []):
        rank = f.evidence.get("signal_rank")
        if isinstance(rank, (int, float)) and rank >= 1:
            out.signal_rank = int(rank)
    # only missingness that is associated with the target (the finding names the column, then the target)
    out.informative = sorted(
        {
            f.columns[0]
            for f in by_check.get("informative_missingness", [])
            if roles.target
            and roles.target in f.columns[1:]
            and f.columns[0] in data.columns
            and f.columns[0] not in out.dropped
            and f.columns[0] not in protected
        },
        key=data.columns.index,
    )
    handled |= MODEL_HINT_CHECKS
    for f in findings:
        if f.check not in handled and f.severity != Severity.INFO:
            out.unfixed.append(
                {
                    "check": f.check,
                    "severity": str(f.severity),
                    "columns": list(f.columns),
                    "message": f.message,
                    "remedy": f.remedy,
                }
            )
    return out


def _duplicate_copies(f: Finding) -> list[str]:
    """Columns to drop for a duplicate-columns finding: every member of each group but the kept one."""
    ev = f.evidence
    if isinstance(ev.get("keep"), str):
        return [c for c in f.columns if c != ev["keep"]]
    listed = ev.get("group_list")
    if isinstance(listed, list) and listed and all(isinstance(g, Mapping) for g in listed):
        return [c for g in listed for c in (g.get("same_as") or {})]
    groups = ev.get("groups") or ev.get("pairs")
    if isinstance(groups, list) and groups and all(isinstance(g, list) for g in groups):
        return [c for g in groups for c in g[1:]]
    return list(f.columns[1:])


def _sentinels(findings: Sequence[Finding]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in findings:
        found = f.evidence.get("sentinels")
        if isinstance(found, Mapping):
            for c, values in found.items():
                out.setdefault(c, []).extend(v for v in values if v not in out.get(c, []))
        elif isinstance(found, list):
            for c in f.columns:
                out.setdefault(c, []).extend(v for v in found if v not in out.get(c, []))
    return out


def _category_maps(findings: Sequence[Finding]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in findings:
        mapping = f.evidence.get("mapping")
        if not isinstance(mapping, Mapping) or not mapping:
            continue
        if all(isinstance(v, Mapping) for v in mapping.values()):
            for c, m in mapping.items():
                out.setdefault(c, {}).update({str(k): str(v) for k, v in m.items()})
        else:
            for c in f.columns:
                out.setdefault(c, {}).update({str(k): str(v) for k, v in mapping.items()})
    return out


def _unit_rule(data: Dataset, f: Finding) -> dict[str, dict[str, Any]]:
    """The conversion and the boundary that separates minority-unit values from majority ones."""
    conversion = f.evidence.get("conversion") or {}
    scale = conversion.get("scale", f.evidence.get("factor"))
    if scale is None or not f.columns or not f.rows:
        return {}
    offset = float(conversion.get("offset", 0.0) or 0.0)
    column = f.columns[0]
    if column not in data.columns or not (data.schema[column].is_numeric()):
        return {}
    values = data.frame.get_column(column).cast(pl.Float64).to_numpy()
    minority = np.zeros(values.size, dtype=bool)
    minority[np.asarray(f.rows, dtype=np.int64)] = True
    observed = ~np.isnan(values)
    lo, hi = values[minority & observed], values[~minority & observed]
    if lo.size == 0 or hi.size == 0:
        return {}
    m_minor, m_major = float(np.median(lo)), float(np.median(hi))
    if isinstance(f.evidence.get("threshold"), (int, float)):
        boundary = float(f.evidence["threshold"])  # the check's own split point
    elif m_minor > 0 and m_major > 0 and offset == 0.0:
        boundary = float(np.sqrt(m_minor * m_major))
    else:
        boundary = (m_minor + m_major) / 2.0
    rule = {
        "scale": float(scale),
        "offset": offset,
        "boundary": boundary,
        "minority_below": m_minor < m_major,
        "from_unit": f.evidence.get("from_unit"),
        "to_unit": f.evidence.get("to_unit"),
    }
    caught = (values < boundary) if rule["minority_below"] else (values > boundary)
    rule["agreement_with_finding"] = float(np.mean(caught[observed] == minority[observed]))
    return {column: rule}


def _limits(data: Dataset, f: Finding) -> dict[str, list[float | None]]:
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
