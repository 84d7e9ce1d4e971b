"""Rule-based checks and `prequalify` on the real regression set (tests/real_tables.py).

For every table: the plausibility findings (out_of_range, univariate and multivariate outliers,
disguised_missing, missingness_pattern) with their severity and the values they name, and the
number of observed cells `prequalify` changed, split into documented errors and everything else.
Run: python -m benchmarks.real_tables_bench [--json out.json] [--tables pbc,lung]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np
import polars as pl

from benchmarks.real_tables import TABLES, TableUnavailable, error_mask, load
from datacert import check, prequalify

WATCHED = (
    "out_of_range",
    "univariate_outliers",
    "multivariate_outliers",
    "disguised_missing",
    "missingness_pattern",
    "cross_field_inconsistency",
    "distribution_shift",
)


def changed_observed_cells(
    before: pl.DataFrame, after: pl.DataFrame, removed: list[int], errors: dict[str, pl.Series]
) -> dict[str, Any]:
    """Observed cells of `before` whose value differs in `after` (rows aligned after removal)."""
    keep = np.setdiff1d(np.arange(before.height), np.asarray(removed, dtype=np.int64))
    base = before[keep.tolist()] if len(removed) else before
    per_column: dict[str, int] = {}
    error_cells = other_cells = 0
    for column in base.columns:
        if column not in after.columns:
            continue
        old, new = base.get_column(column), after.get_column(column)
        observed = old.is_not_null().to_numpy()
        if old.dtype.is_numeric() and new.dtype.is_numeric():
            a, b = old.cast(pl.Float64).to_numpy(), new.cast(pl.Float64).to_numpy()
            with np.errstate(invalid="ignore"):
                same = (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            same = (old.cast(pl.String) == new.cast(pl.String)).fill_null(False).to_numpy()
        diff = observed & ~same
        if not diff.any():
            continue
        per_column[column] = int(diff.sum())
        mask = errors.get(column)
        is_error = mask.to_numpy()[keep] if mask is not None else np.zeros(base.height, dtype=bool)
        error_cells += int((diff & is_error).sum())
        other_cells += int((diff & ~is_error).sum())
    return {"errors_changed": error_cells, "non_errors_changed": other_cells, "by_column": per_column}


def measure(name: str, budget: float, run_prequalify: bool = True) -> dict[str, Any]:
    frame, table = load(name)
    cert = check(frame, **table.roles)
    findings = []
    for f in cert.findings:
        if f.check not in WATCHED:
            continue
        findings.append(
            {
                "check": f.check,
                "severity": str(f.severity),
                "columns": list(f.columns)[:12],
                "rows": f.row_count,
                "message": f.message,
            }
        )
    if not run_prequalify:
        return {"table": name, "shape": list(frame.shape), "verdict": cert.verdict, "findings": findings}
    result = prequalify(frame, budget=budget, **table.roles)
    changed = changed_observed_cells(
        frame, result.clean, result.plan["removed_rows"], error_mask(frame, table)
    )
    return {
        "table": name,
        "shape": list(frame.shape),
        "verdict": cert.verdict,
        "findings": findings,
        "inferred": dict(cert.dataset.get("inferred", {})),
        "prequalify_verdict": result.verdict,
        "prequalify_changed": changed,
        "removed_rows": len(result.plan["removed_rows"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--json")
    parser.add_argument("--check-only", action="store_true", help="findings only, no prequalify")
    args = parser.parse_args(argv)
    out = []
    for name in args.tables.split(","):
        try:
            record = measure(name, args.budget, not args.check_only)
        except TableUnavailable as exc:
            print(f"{name}: skipped ({exc})")
            continue
        out.append(record)
        c = record.get("prequalify_changed")
        if c is None:
            print(f"== {name} {record['shape']} verdict {record['verdict']}")
        else:
            print(
                f"== {name} {record['shape']} verdict {record['verdict']} -> {record['prequalify_verdict']}; "
                f"prequalify changed {c['non_errors_changed']} non-error and {c['errors_changed']} error "
                f"cells {c['by_column']}"
            )
        for f in record["findings"]:
            print(
                f"   {f['check']:<26} {f['severity']:<8} {f['rows']:>5} {f['columns']} {f['message'][:110]}"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
