"""Remedies: the ordered, machine-readable preprocessing steps that answer the findings.

The order is the order in which pre-qualification applies them: first remove what is not data,
then repair values, then fill what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datacert.findings import Finding, Severity

# check id -> (order, action). Checks without an automatic action still get a "review" step.
ACTIONS: dict[str, tuple[int, str]] = {
    "formula_injection": (5, "neutralise_formulas"),
    "empty_rows": (10, "drop_rows"),
    "duplicate_rows": (20, "deduplicate"),
    "duplicate_ids": (25, "review_identifiers"),
    "near_duplicate_rows": (27, "deduplicate_near"),
    "constant_columns": (30, "drop_columns"),
    "duplicate_columns": (31, "drop_columns"),
    "direct_identifier": (32, "drop_columns"),
    "target_leakage": (33, "drop_columns"),
    "type_mismatch": (40, "convert_type"),
    "encoding_errors": (42, "repair_encoding"),
    "disguised_missing": (45, "sentinel_to_missing"),
    "inconsistent_categories": (50, "merge_categories"),
    "mixed_units": (55, "convert_units"),
    "out_of_range": (60, "range_to_missing"),
    "univariate_outliers": (65, "winsorise"),
    "missing_values": (80, "impute"),
}


def build_remedies(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """One step per (action, check), ordered; only for findings at warning level or above."""
    steps: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        if f.severity == Severity.INFO:
            continue
        order, action = ACTIONS.get(f.check, (90, "review"))
        key = (action, f.check)
        step = steps.setdefault(key, {"order": order, "action": action, "check": f.check, "columns": [],
                                      "rows": 0, "description": f.remedy})
        step["columns"] = sorted(set(step["columns"]) | set(f.columns))
        step["rows"] += f.row_count
    ordered = sorted(steps.values(), key=lambda s: (s["order"], s["action"], s["check"]))
    return [{"step": i + 1, **{k: v for k, v in s.items() if k != "order"}} for i, s in enumerate(ordered)]
