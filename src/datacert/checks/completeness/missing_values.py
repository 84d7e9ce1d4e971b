"""missing_values: columns with missing values, graded by their missing rate."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import null_positions, plural
from datacert.findings import Severity

MAX_COLUMN_FINDINGS = 50
WIDE_COLUMNS = 200  # above this many columns, missing cells are read from the numeric matrix


@register
class MissingValues(Check):
    """Find columns with missing values; severity grows with the missing rate.

    Notes
    -----
    A few percent missing is normal in clinical data and imputation handles it; above ~30 % an
    imputed column is mostly invented, and above ~60 % it is rarely worth keeping (methods §2).
    On wide tables the affected columns are reported by severity tier, not one finding each.
    """

    id = "missing_values"
    dimension = "completeness"
    governance = ("sufficiency", "missingness")
    params = (
        Param(
            "warning_rate",
            0.05,
            "missing share of a column from which the finding is a warning",
            low=0,
            high=1,
        ),
        Param("error_rate", 0.30, "missing share from which the finding is an error", low=0, high=1),
        Param("critical_rate", 0.60, "missing share from which the finding is critical", low=0, high=1),
    )
    kahn = "completeness"
    remedy = Remedy("impute", 80, automatic=True)
    # its drops join the other column drops, before the type conversions that skip dropped columns
    correction_order = 34

    def run(self, data, profile, params):
        n = profile.n_rows
        nulls = profile.stat("null_count")
        rates = {c: nulls[c] / n for c in data.columns if nulls[c]}
        if not rates:
            return CheckResult.quiet({"numerator": 0, "denominator": n * data.n_columns, "threshold": 0})
        tiers = {
            Severity.CRITICAL: [c for c, r in rates.items() if r >= params["critical_rate"]],
            Severity.ERROR: [
                c for c, r in rates.items() if params["error_rate"] <= r < params["critical_rate"]
            ],
            Severity.WARNING: [
                c for c, r in rates.items() if params["warning_rate"] <= r < params["error_rate"]
            ],
            Severity.INFO: [c for c, r in rates.items() if r < params["warning_rate"]],
        }
        findings = []
        for severity, columns in tiers.items():
            # one finding per column while they are few and serious; otherwise one per tier
            if len(rates) <= MAX_COLUMN_FINDINGS and (severity != Severity.INFO or len(columns) <= 3):
                findings.extend(self._column_finding(data, c, nulls[c], n, severity, params) for c in columns)
            elif columns:
                findings.append(self._tier_finding(data, columns, rates, n, severity, params))
        total = sum(nulls.values())
        return CheckResult.fired(
            findings,
            {"numerator": total, "denominator": n * data.n_columns, "columns_with_missing": len(rates)},
        )

    def _column_finding(self, data, column, missing, n, severity, params):
        rate = missing / n
        return self.finding(
            severity,
            f"Column {column!r} is missing in {rate:.1%} of records.",
            columns=[column],
            rows=null_positions(data.frame, column),
            evidence={
                "numerator": missing,
                "denominator": n,
                "rate": rate,
                "threshold": _threshold_of(severity, params),
            },
            remedy=_remedy(severity),
        )

    def _tier_finding(self, data, columns, rates, n, severity, params):
        numeric = set(data.numeric_feature_columns())
        # few columns: one engine pass of null (and NaN) tests, no float copy of the table; many:
        # the numeric matrix, as planning thousands of expressions costs more than the data
        matrix_cols = [c for c in columns if c in numeric] if len(columns) > WIDE_COLUMNS else []
        in_matrix = set(matrix_cols)
        other_cols = [c for c in columns if c not in in_matrix]
        missing_any = np.zeros(data.n_rows, dtype=bool)
        if matrix_cols:
            missing_any |= np.isnan(data.numeric_matrix(matrix_cols)).any(axis=1)
        if other_cols:
            schema = data.schema
            tests = [
                (pl.col(c).is_null() | pl.col(c).is_nan()) if schema[c].is_float() else pl.col(c).is_null()
                for c in other_cols
            ]
            missing_any |= data.frame.select(pl.any_horizontal(tests)).to_series().to_numpy()
        rows = np.flatnonzero(missing_any)
        worst = sorted(columns, key=lambda c: (-rates[c], c))[:20]
        return self.finding(
            severity,
            f"{plural(len(columns), 'column')} have missing values at this level "
            f"(up to {max(rates[c] for c in columns):.1%} of records).",
            columns=columns,  # already in table order
            rows=rows,
            evidence={
                "numerator": len(columns),
                "denominator": data.n_columns,
                "threshold": _threshold_of(severity, params),
                "worst_columns": {c: rates[c] for c in worst},
            },
            remedy=_remedy(severity),
        )

    def correction(self, findings, data, plan):
        """Drop feature columns that are critically empty; the model search imputes the others."""
        features = set(data.feature_columns())
        for f in findings:
            if f.severity == Severity.CRITICAL:
                plan.drop([c for c in f.columns if c in features], self.id)
        return True


def _threshold_of(severity: Severity, params) -> float:
    return {
        Severity.CRITICAL: params["critical_rate"],
        Severity.ERROR: params["error_rate"],
        Severity.WARNING: params["warning_rate"],
        Severity.INFO: 0.0,
    }[severity]


def _remedy(severity: Severity) -> str:
    if severity == Severity.CRITICAL:
        return "Drop the column, or recover the values at the source; imputation would invent most of it."
    if severity == Severity.ERROR:
        return (
            "Impute inside cross-validation (kNN or MICE) with a missingness indicator, or "
            "recover at the source."
        )
    return "Impute inside cross-validation (median, kNN or MICE)."
