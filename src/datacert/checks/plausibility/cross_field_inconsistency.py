"""cross_field_inconsistency: values of one record that contradict each other (diastolic >= systolic,
BMI that disagrees with weight and height)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

import datacert.knowledge as knowledge
from datacert.checks._base import Check, CheckResult, Needs, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.plausibility._physiology import choose_unit, match_variable
from datacert.findings import Severity
from datacert.semantics import SemanticType

# factors to the units the BMI formula needs (kg, m)
TO_KG = {"kg": 1.0, "g": 0.001, "lb": 0.45359237}
TO_M = {"m": 1.0, "cm": 0.01, "inch": 0.0254}


@lru_cache(maxsize=1)
def load_rules() -> tuple[dict[str, Any], ...]:
    """The packaged cross-field rules (knowledge/cross_field_rules.yaml), read once."""
    return tuple(knowledge.load("cross_field_rules")["rules"])


@register
class CrossFieldInconsistency(Check):
    """Find records whose clinical values contradict each other.

    Notes
    -----
    Columns are recognised with the physiology knowledge base (names and units); each rule of
    `knowledge/cross_field_rules.yaml` runs when every variable it names has exactly one
    recognised column whose values fit a known unit. Contradictions are errors: at least one of
    the values is wrong, though the check cannot say which, so nothing is corrected automatically.
    """

    id = "cross_field_inconsistency"
    dimension = "plausibility"
    needs = Needs(min_rows=1, numeric_features=2)
    kahn = "plausibility.atemporal"
    remedy = Remedy("review_values", 63)

    def run(self, data, profile, params):
        found = _recognised(data, profile)
        findings, applied = [], []
        for rule in load_rules():
            wanted = [
                rule[k]
                for k in ("left", "right", "middle", "low", "high", "bmi", "weight", "height")
                if k in rule
            ]
            if not all(v in found for v in wanted):
                continue
            applied.append(rule["id"])
            bad, columns, extra = _violations(data, rule, found)
            rows = np.flatnonzero(bad)
            if rows.size:
                findings.append(self._finding(rule, columns, rows, extra, data.n_rows))
        evidence = {
            "rules_applied": applied,
            "recognised": {k: c for k, (c, _) in found.items()},
            "numerator": sum(f.row_count for f in findings),
            "denominator": data.n_rows,
        }
        if not applied:
            return CheckResult.not_applicable("no pair of recognised clinical columns that a rule relates")
        return CheckResult.fired(findings, evidence)

    def _finding(self, rule, columns, rows, extra, n):
        return self.finding(
            Severity.ERROR,
            f"{plural(rows.size, 'record')}: {rule['message']} ({', '.join(repr(c) for c in columns)}).",
            columns=columns,
            rows=rows,
            evidence={
                "rule": rule["id"],
                "numerator": int(rows.size),
                "denominator": n,
                "source": " ".join(rule["source"].split()),
                **extra,
            },
            remedy=f"Check {', '.join(repr(c) for c in columns)} of these records against the source: at "
            "least one value is wrong (swapped columns, a typing slip, a unit); correct it there.",
        )


def _recognised(data, profile) -> dict[str, tuple[str, str]]:
    """variable key -> (column, unit name), for variables recognised in exactly one column."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for column in data.numeric_feature_columns():
        if data.semantic_types.get(column) not in (SemanticType.CONTINUOUS, SemanticType.COUNT):
            continue
        variable = match_variable(column)
        if variable is None:
            continue
        stats = profile.column(column)
        if not stats["count"] or stats["q50"] is None:
            continue
        unit, _ = choose_unit(variable, column, stats["q50"])
        if unit is None or not (unit.disease[0] <= stats["q25"] and stats["q75"] <= unit.disease[1]):
            continue
        seen.setdefault(variable.key, []).append((column, unit.name))
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


def _values(data, column: str) -> np.ndarray:
    return data.frame.get_column(column).cast(pl.Float64).to_numpy()


def _violations(data, rule, found) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    with np.errstate(invalid="ignore"):
        if rule["kind"] == "less_than":
            (a, _), (b, _) = found[rule["left"]], found[rule["right"]]
            bad = _values(data, a) >= _values(data, b)
            return np.nan_to_num(bad).astype(bool), [a, b], {}
        if rule["kind"] == "between":
            (m, _), (lo, _), (hi, _) = found[rule["middle"]], found[rule["low"]], found[rule["high"]]
            x, low, high = _values(data, m), _values(data, lo), _values(data, hi)
            bad = (x < low) | (x > high)
            return np.nan_to_num(bad).astype(bool), [m, lo, hi], {}
        (b, _), (w, w_unit), (h, h_unit) = found[rule["bmi"]], found[rule["weight"]], found[rule["height"]]
        if w_unit not in TO_KG or h_unit not in TO_M:
            return np.zeros(data.n_rows, dtype=bool), [b, w, h], {}
        computed = _values(data, w) * TO_KG[w_unit] / (_values(data, h) * TO_M[h_unit]) ** 2
        recorded = _values(data, b)
        gap = np.abs(recorded - computed)
        bad = (gap > rule["tolerance_relative"] * computed) & (gap > rule["tolerance_absolute"])
        return (
            np.nan_to_num(bad).astype(bool),
            [b, w, h],
            {"tolerance": [rule["tolerance_relative"], rule["tolerance_absolute"]]},
        )
