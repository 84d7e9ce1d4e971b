"""One call from the pipeline: scores, intervals, coverage, gates and verdict for a dataset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from datacert.checks import CheckOutcome
from datacert.dataset import Dataset
from datacert.findings import Finding
from datacert.scoring._profile import ScoringProfile, load_scoring_profile
from datacert.scoring._scores import ScoreResult, compute_scores
from datacert.scoring._verdict import Decision, GateOutcome, Verdict, decide


@dataclass(frozen=True)
class Assessment:
    """Everything the certificate needs from scoring; `extra` holds the certificate's added fields."""

    scores: dict[str, float | None]
    verdict: str
    reasons: list[str]
    result: ScoreResult
    decision: Decision
    profile: ScoringProfile
    grouped: bool = False

    @property
    def gate_of(self) -> dict[str, str]:
        """Check id -> the first fired gate (blocking or fixable) that watches it: which gate a remedy
        closes.
        """
        out: dict[str, str] = {}
        for g in self.decision.gates:
            if g.status == "fired" and g.kind in ("blocking", "fixable"):
                for c in g.checks:
                    out.setdefault(c, g.id)
        return out

    @property
    def extra(self) -> dict[str, Any]:
        return {
            "scoring_profile": {
                **self.profile.identity(),
                "title": self.profile.title,
                "floors": {
                    "overall": self.profile.floors.overall,
                    "dimension": self.profile.floors.dimension,
                    "reject_overall": self.profile.floors.reject_overall,
                    "coverage": dict(self.profile.floors.coverage),
                },
                "required_roles": list(self.profile.required_roles),
            },
            "score_intervals": self.result.intervals,
            "coverage": self.result.coverage,
            "gates": [g.to_dict() for g in self.decision.gates],
            "indicators": [v.to_dict() for v in self.result.indicators],
            "readiness_band": self.decision.band,
            "bootstrap": {
                "replicates": self.result.replicates,
                "level": self.profile.bootstrap.level,
                "seed": self.profile.bootstrap.seed,
                "unit": "group" if self.grouped else "record",
            },
        }


def group_codes(dataset: Dataset) -> np.ndarray | None:
    """Each record's patient as a code 0..G-1 (missing patient ids count as their own patient)."""
    column = dataset.roles.group
    if not column:
        return None
    series = dataset.frame.get_column(column)
    codes = series.rank("dense").cast(pl.Float64).to_numpy().astype(float)
    missing = np.isnan(codes)
    out = np.zeros(codes.shape, dtype=np.int64)
    out[~missing] = codes[~missing].astype(np.int64) - 1
    top = int(out[~missing].max()) + 1 if (~missing).any() else 0
    out[missing] = top + np.arange(int(missing.sum()))
    return out


def target_problem(dataset: Dataset) -> str | None:
    """Why the declared target cannot be learned at all (every value missing, or one value), or None."""
    target = dataset.roles.target
    if target is None or target not in dataset.frame.columns:
        return None
    column = dataset.frame.get_column(target)
    if column.dtype.is_float():
        column = column.fill_nan(None)
    present = column.len() - column.null_count()
    if present == 0:
        return f"The target {target!r} is missing in every record, so there is nothing to learn."
    if column.drop_nulls().n_unique() == 1:
        value = column.drop_nulls()[0]
        return (
            f"The target {target!r} holds one value ({str(value)[:40]!r}) in all {present:,} labelled "
            "records, "
            "so no model can learn anything from it."
        )
    return None


def with_target_gate(decision: Decision, dataset: Dataset) -> Decision:
    """A target with nothing to learn blocks: no correction can create the missing labels."""
    reason = target_problem(dataset)
    target = dataset.roles.target
    gate = GateOutcome(
        "target_unusable",
        "blocking",
        "fired" if reason else "passed" if target else "not_evaluated",
        reason or "",
        columns=(target,) if reason and target else (),
    )
    gates = [*decision.gates, gate]
    if not reason:
        return Decision(decision.verdict, decision.reasons, gates, decision.band)
    blocking = [g.reason for g in decision.gates if g.status == "fired" and g.kind == "blocking"]
    return Decision(Verdict.REJECT, [reason, *blocking], gates, decision.band)


def assess(
    dataset: Dataset,
    outcomes: Sequence[CheckOutcome],
    findings: Sequence[Finding],
    profile: ScoringProfile | None = None,
) -> Assessment:
    """Score the outcomes with the profile and decide the verdict, gates first."""
    profile = profile or load_scoring_profile()
    codes = group_codes(dataset)
    result = compute_scores(profile, outcomes, dataset.n_rows, dataset.n_columns, codes)
    decision = with_target_gate(
        decide(profile, outcomes, findings, result, dataset.roles, dataset.n_rows), dataset
    )
    return Assessment(
        scores=result.scores,
        verdict=str(decision.verdict),
        reasons=decision.reasons,
        result=result,
        decision=decision,
        profile=profile,
        grouped=codes is not None,
    )
