"""Scores per family and the gate-first verdict of a synthetic table.

1. a blocking gate fires (copies of real patients, membership inference) -> reject;
2. a fixable gate fires, a family scores below its floor, or a required metric could not be
   computed -> prequalify (missing evidence never yields release);
3. otherwise release.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from datacert.synth._metric import FAMILIES, Metric
from datacert.synth._profile import SynthProfile


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(frozen=True)
class SynthDecision:
    verdict: str
    reasons: list[str]
    scores: dict[str, float | None]
    coverage: dict[str, float]
    gates: list[dict[str, Any]] = field(default_factory=list)
    fired: dict[str, str] = field(default_factory=dict)  # metric id -> first fired gate id
    indicators: list[dict[str, Any]] = field(default_factory=list)


def _reason(template: str, value: float) -> str:
    try:
        return template.format(value=value)
    except (ValueError, KeyError, IndexError):
        return template.format_map(_Blank())


def decide(profile: SynthProfile, metrics: Sequence[Metric]) -> SynthDecision:
    by_id = {m.id: m for m in metrics}
    indicators = []
    sums: dict[str, float] = dict.fromkeys(FAMILIES, 0.0)
    weights: dict[str, float] = dict.fromkeys(FAMILIES, 0.0)
    totals: dict[str, float] = dict.fromkeys(FAMILIES, 0.0)
    for a in profile.anchors:
        m = by_id.get(a.id)
        totals[a.family] += a.weight
        if m is None or m.value is None:
            indicators.append(
                {"id": a.id, "family": a.family, "value": None, "desirability": None, "weight": a.weight}
            )
            continue
        d = a.desirability(m.value)
        sums[a.family] += a.weight * d
        weights[a.family] += a.weight
        indicators.append(
            {
                "id": a.id,
                "family": a.family,
                "value": m.value,
                "desirability": d,
                "weight": a.weight,
                "good": a.good,
                "bad": a.bad,
            }
        )
    scores: dict[str, float | None] = {}
    coverage: dict[str, float] = {}
    for f in FAMILIES:
        scores[f] = 100.0 * sums[f] / weights[f] if weights[f] > 0 else None
        coverage[f] = weights[f] / totals[f] if totals[f] > 0 else 0.0
    counted = [
        f
        for f in FAMILIES
        if scores[f] is not None and coverage[f] >= profile.min_coverage and profile.families[f] > 0
    ]
    if counted:
        w = sum(profile.families[f] for f in counted)
        log_mean = sum(profile.families[f] * math.log(max(scores[f] or 0.0, 1.0)) for f in counted) / w
        scores["overall"] = math.exp(log_mean)
    else:
        scores["overall"] = None

    blocking: list[str] = []
    fixable: list[str] = []
    gates: list[dict[str, Any]] = []
    fired: dict[str, str] = {}
    for g in profile.gates:
        m = by_id.get(g.metric)
        if m is None or m.value is None:
            gates.append({"id": g.id, "kind": g.kind, "metric": g.metric, "status": "not_evaluated"})
            continue
        status = "fired" if g.fires(m.value) else "passed"
        gates.append(
            {
                "id": g.id,
                "kind": g.kind,
                "metric": g.metric,
                "status": status,
                "value": m.value,
                "bar": g.above if g.above is not None else g.below,
                "direction": "above" if g.above is not None else "below",
            }
        )
        if status == "fired":
            fired.setdefault(g.metric, g.id)
            (blocking if g.kind == "blocking" else fixable).append(_reason(g.reason, m.value))
    held_back = []
    for f, floor in profile.family_floors.items():
        s = scores.get(f)
        if s is not None and s < floor:
            held_back.append(f"The {f} score {s:.0f} is below its floor of {floor:.0f}.")
            gates.append(
                {
                    "id": f"{f}_floor",
                    "kind": "floor",
                    "metric": f,
                    "status": "fired",
                    "value": s,
                    "bar": floor,
                    "direction": "below",
                }
            )
    missing = [r for r in profile.required_metrics if by_id.get(r) is None or by_id[r].value is None]
    for required in missing:
        why = by_id[required].not_computable if required in by_id else "it was not measured"
        held_back.append(
            f"{required.replace('_', ' ').capitalize()} could not be computed ({why}), so release is not "
            "possible."
        )
        gates.append(
            {"id": f"requires_{required}", "kind": "evidence", "metric": required, "status": "fired"}
        )
    if blocking:
        verdict, reasons = "reject", blocking + fixable + held_back
    elif fixable or held_back:
        verdict, reasons = "prequalify", fixable + held_back
    else:
        verdict = "release"
        reasons = [
            "No gate fired: no excess copies of real patients, no membership leakage above its gate, "
            "fidelity and utility above their floors, no error introduced by the generator."
        ]
    return SynthDecision(verdict, reasons, scores, coverage, gates, fired, indicators)
