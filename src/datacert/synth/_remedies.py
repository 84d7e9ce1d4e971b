"""Findings and remedies of a synthetic table: one finding per fired gate, one step per cure.

Steps keep the shape of `check`'s remedies (step, action, check, columns, rows, positions,
description, params, severity, automatic, gate) so that the same tools can read both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datacert.findings import MAX_ROWS_LISTED, Finding, Severity
from datacert.synth._metric import Metric
from datacert.synth._verdict import SynthDecision
from datacert.synth.validity import VALIDITY_DIMENSIONS

# metric id -> (order, action, what to do)
CURES: dict[str, tuple[int, str, str]] = {
    "exact_copy_excess": (
        10,
        "remove_copies",
        "Remove the synthetic records that copy real training patients, then "
        "re-run; a generator that copies should be retrained with stronger regularisation or "
        "differential privacy.",
    ),
    "near_copy_excess": (
        11,
        "remove_copies",
        "Remove the synthetic records that sit almost on a real training "
        "patient, and retrain the generator with stronger regularisation or differential privacy.",
    ),
    "membership_auc_distance": (
        12,
        "regenerate_private",
        "Retrain the generator with differential privacy or "
        "fewer epochs: its output reveals who was in the training data.",
    ),
    "membership_auc_density": (
        12,
        "regenerate_private",
        "Retrain the generator with differential privacy or "
        "fewer epochs: its output reveals who was in the training data.",
    ),
    "dcr_closer_than_holdout": (
        13,
        "remove_copies",
        "Filter synthetic records closer to a training patient than "
        "the holdout's 5th percentile, or retrain with stronger privacy.",
    ),
    "introduced_errors": (
        20,
        "filter_rows",
        "Post-filter the synthetic records with impossible values or broken "
        "constraints, and regenerate with the constraints enforced.",
    ),
    "new_category_share": (
        21,
        "filter_rows",
        "Drop records with categories the real table never had, and "
        "regenerate with the real vocabulary as a constraint.",
    ),
    "column_shapes": (30, "regenerate", "Regenerate: the generator misses the real columns' distributions."),
    "column_pair_trends": (
        31,
        "regenerate",
        "Regenerate with a generator that models dependence between columns "
        "(a copula or a conditional model), not each column alone.",
    ),
    "tstr_skill_ratio": (
        33,
        "regenerate",
        "Regenerate: models trained on this table keep little of the skill of models trained on real data.",
    ),
    "pmse_ratio": (
        31,
        "regenerate",
        "Regenerate: a classifier tells the synthetic records from real ones; the "
        "generator misses the joint distribution (dependence between columns).",
    ),
    "tstr_ratio": (
        32,
        "regenerate",
        "Regenerate: models trained on this table do worse on real patients than "
        "models trained on real data.",
    ),
}


def gate_findings(
    metrics: Sequence[Metric], decision: SynthDecision, copy_positions: Sequence[int]
) -> list[Finding]:
    by_id = {m.id: m for m in metrics}
    out = []
    reasons = {
        g["metric"]: g
        for g in decision.gates
        if g["status"] == "fired" and g["kind"] in ("blocking", "fixable")
    }
    for metric_id, gate in reasons.items():
        m = by_id[metric_id]
        severity = Severity.CRITICAL if gate["kind"] == "blocking" else Severity.ERROR
        rows = copy_positions if metric_id == "exact_copy_excess" else ()
        direction = "above" if gate["direction"] == "above" else "below"
        out.append(
            Finding.make(
                metric_id,
                m.family,
                severity,
                f"{metric_id.replace('_', ' ').capitalize()} is {m.value:.4g}, {direction} the gate's "
                f"bar of {gate['bar']:.4g}.",
                columns=m.columns,
                rows=rows,
                row_count=len(rows) if rows else 0,
                evidence={"value": m.value, "bar": gate["bar"], "gate": gate["id"], **dict(m.evidence)},
                remedy=CURES.get(metric_id, (99, "review", "Review the generator."))[2],
            )
        )
    return out


def build_synth_remedies(
    findings: Sequence[Finding], decision: SynthDecision, missing: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Ordered steps: remove copies, filter impossible rows, regenerate, supply missing evidence."""
    steps: dict[tuple[int, str, str], dict[str, Any]] = {}
    for f in findings:
        if f.severity.rank < Severity.WARNING.rank:
            continue
        if f.check in CURES:
            order, action, text = CURES[f.check]
        elif f.dimension == "validity" or (
            f.evidence.get("introduced_by_generator") and f.dimension in VALIDITY_DIMENSIONS
        ):
            order, action = 20, "filter_rows"
            text = (
                "Post-filter these synthetic records (or regenerate with the constraint enforced). "
                + f.remedy
            )
        else:
            continue
        key = (order, action, f.check)
        step = steps.setdefault(
            key,
            {
                "action": action,
                "check": f.check,
                "columns": set(),
                "positions": set(),
                "rows": 0,
                "description": text.strip(),
                "severity": f.severity,
                "gate": decision.fired.get(f.check) or decision.fired.get("introduced_errors"),
                "automatic": action in ("remove_copies", "filter_rows"),
            },
        )
        step["columns"].update(f.columns)
        step["positions"].update(f.rows)
        step["rows"] += f.row_count
        if f.severity.rank > step["severity"].rank:
            step["severity"] = f.severity
    if missing:
        steps[(90, "supply_evidence", "holdout")] = {
            "action": "supply_evidence",
            "check": "holdout",
            "columns": set(),
            "positions": set(),
            "rows": 0,
            "description": "Give real records the generator never saw (--holdout) and the label (--target): "
            + "; ".join(f"{k}: {v}" for k, v in sorted(missing.items())[:4]),
            "severity": Severity.WARNING,
            "gate": None,
            "automatic": False,
        }
    out = []
    for i, key in enumerate(sorted(steps)):
        s = steps[key]
        positions = sorted(s["positions"])
        out.append(
            {
                "step": i + 1,
                "action": s["action"],
                "check": s["check"],
                "columns": sorted(s["columns"]),
                "rows": max(s["rows"], len(positions)),
                "positions": positions[:MAX_ROWS_LISTED],
                "description": s["description"],
                "params": {},
                "severity": str(s["severity"]),
                "automatic": s["automatic"],
                "gate": s["gate"],
            }
        )
    return out
