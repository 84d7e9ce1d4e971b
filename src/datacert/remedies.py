"""Remedies: the ordered, machine-readable preprocessing steps that answer the findings.

The order is the order in which pre-qualification applies them: first make the file safe, then
remove what is not data, then repair values, then fill what is missing, and last the steps that
need a person (review) or new data (collect).

Each step keeps the keys `step, action, check, columns, rows, description` (`rows` is the number
of records concerned) and adds `positions` (the record positions, capped like a finding's rows),
`params` (the numbers the action needs, taken from the findings' evidence), `severity` (the worst
finding answered), `automatic` (whether pre-qualification can apply it without a person) and
`gate` (the scoring gate the step closes, when known).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datacert.findings import MAX_ROWS_LISTED, Finding, Severity

# check id -> (order, action). Checks without an automatic action still get a "review" step.
ACTIONS: dict[str, tuple[int, str]] = {
    "formula_injection": (5, "neutralise_formulas"),
    "prompt_injection": (6, "neutralise_text"),
    "encoding_errors": (8, "repair_encoding"),
    "empty_rows": (10, "drop_rows"),
    "duplicate_rows": (20, "deduplicate"),
    "duplicate_ids": (25, "review_identifiers"),
    "near_duplicate_rows": (27, "deduplicate_near"),
    "train_test_overlap": (28, "resplit"),
    "group_leakage": (29, "resplit_grouped"),
    "temporal_leakage": (29, "resplit_temporal"),
    "constant_columns": (30, "drop_columns"),
    "duplicate_columns": (31, "drop_columns"),
    "direct_identifier": (32, "drop_columns"),
    "target_leakage": (33, "drop_columns"),
    "phi_in_text": (34, "redact_text"),
    "type_mismatch": (40, "convert_type"),
    "format_violation": (43, "format_to_missing"),
    "disguised_missing": (45, "sentinel_to_missing"),
    "inconsistent_categories": (50, "merge_categories"),
    "mixed_units": (55, "convert_units"),
    "out_of_range": (60, "range_to_missing"),
    "temporal_inconsistency": (62, "range_to_missing"),
    "cross_field_inconsistency": (63, "review_values"),
    "univariate_outliers": (65, "winsorise"),
    "quasi_identifier_risk": (70, "generalise"),
    "informative_missingness": (78, "add_missing_indicator"),
    "missingness_pattern": (79, "review_subcohort"),
    "missing_values": (80, "impute"),
    "redundant_features": (85, "review_features"),
    "distribution_shift": (86, "harmonise_batches"),
    "class_imbalance": (87, "reweight_classes"),
    "multivariate_outliers": (90, "review_rows"),
    "label_issues": (91, "review_labels"),
    "conflicting_labels": (91, "review_labels"),
    "poisoning_suspected": (92, "quarantine_rows"),
    "high_dimensionality": (95, "reduce_dimension"),
    "underrepresented_subgroup": (97, "collect_data"),
    "outcome_disparity": (97, "review_subgroups"),
    "insufficient_sample_size": (98, "collect_data"),
}

# Actions pre-qualification can apply without a person deciding.
AUTOMATIC = {
    "neutralise_formulas",
    "neutralise_text",
    "repair_encoding",
    "drop_rows",
    "deduplicate",
    "deduplicate_near",
    "drop_columns",
    "redact_text",
    "convert_type",
    "format_to_missing",
    "sentinel_to_missing",
    "merge_categories",
    "convert_units",
    "range_to_missing",
    "winsorise",
    "add_missing_indicator",
    "impute",
    "resplit",
    "resplit_grouped",
    "resplit_temporal",
}

# Evidence entries passed on as the action's parameters (small scalars and short lists only).
_PARAM_LIMIT = 50
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


def _params(findings: Sequence[Finding]) -> dict[str, Any]:
    """Evidence the action may need: scalars and short lists, per column when findings are per column."""
    per_column: dict[str, dict[str, Any]] = {}
    shared: dict[str, Any] = {}
    for f in findings:
        small = {k: v for k, v in f.evidence.items() if _small(v)}
        if len(f.columns) == 1:
            per_column.setdefault(f.columns[0], {}).update(small)
        else:
            for k, v in small.items():
                shared.setdefault(k, v)
    out: dict[str, Any] = dict(shared)
    if per_column:
        out["by_column"] = dict(list(per_column.items())[:_PARAM_LIMIT])
    return out


def _small(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, str) or len(value) <= 200
    if isinstance(value, (list, tuple)):
        return len(value) <= _PARAM_LIMIT and all(
            _small(v) and not isinstance(v, (list, tuple, dict)) for v in value
        )
    if isinstance(value, Mapping):
        return len(value) <= _PARAM_LIMIT and all(
            _small(v) and not isinstance(v, Mapping) for v in value.values()
        )
    return False


def build_remedies(
    findings: Sequence[Finding], gate_of: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One step per (action, check), ordered; only for findings at warning level or above.

    `gate_of` maps check ids to the gate each step closes (from the scoring decision).
    """
    grouped: dict[tuple[str, str], list[Finding]] = {}
    order_of: dict[tuple[str, str], int] = {}
    for f in findings:
        if f.severity == Severity.INFO:
            continue
        order, action = ACTIONS.get(f.check, (99, "review"))
        key = (action, f.check)
        grouped.setdefault(key, []).append(f)
        order_of[key] = order
    steps = []
    for key in sorted(grouped, key=lambda k: (order_of[k], k[0], k[1])):
        action, check = key
        found = grouped[key]
        positions = sorted({r for f in found for r in f.rows})
        beyond = sum(max(0, f.row_count - len(f.rows)) for f in found)
        worst = max(found, key=lambda f: _SEVERITY_RANK[f.severity])
        steps.append(
            {
                "action": action,
                "check": check,
                "columns": sorted({c for f in found for c in f.columns}),
                "rows": len(positions) + beyond,
                "positions": positions[:MAX_ROWS_LISTED],
                "description": worst.remedy or found[0].remedy,
                "params": _params(found),
                "severity": str(worst.severity),
                "automatic": action in AUTOMATIC,
                "gate": (gate_of or {}).get(check),
            }
        )
    return [{"step": i + 1, **s} for i, s in enumerate(steps)]
