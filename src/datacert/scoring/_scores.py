"""Dimension scores (0-100) with coverage and bootstrap intervals, from check outcomes.

Every indicator of the scoring profile turns one check's outcome into a number m (a share of
records or columns, a rate, or the worst severity), then into a desirability
d = clip((bad - m) / (bad - good), 0, 1) (Derringer & Suich). An indicator whose check did not
run (not applicable, crashed, not in this build) is N/A: it lowers coverage, never the score.

Notes
-----
Intervals come from a Poisson row bootstrap (grouped by patient when a group column is given):
each record (or each patient) gets a Poisson(1) weight, and every indicator that rests on
flagged records is recomputed from the weights of its flagged rows. Only the rows that some
finding lists need weights; the total weight of the others is one Poisson draw, so the cost does
not grow with the table. Checks are never re-run; column-level and severity indicators stay fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import numpy as np

from datacert.checks import CheckOutcome
from datacert.findings import DIMENSIONS, Finding, Severity, Status
from datacert.scoring._profile import Indicator, ScoringProfile


def _rank(severity: Severity | None) -> int:
    """0 for no finding, then 1 (info) to 4 (critical): Severity.rank shifted to leave room for none."""
    return 0 if severity is None else Severity(severity).rank + 1


def _is_number(value: Any) -> TypeGuard[int | float | np.integer | np.floating]:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def finding_rate(finding: Finding, n_rows: int) -> float | None:
    """The share a finding reports: numerator/denominator, else rate/share, else its records / n."""
    ev = finding.evidence
    num, den = ev.get("numerator"), ev.get("denominator")
    if _is_number(num) and _is_number(den) and den > 0:
        return float(num) / float(den)
    for key in ("rate", "share"):
        if _is_number(ev.get(key)):
            return float(ev[key])
    if finding.row_count and n_rows:
        return finding.row_count / n_rows
    return None


@dataclass(frozen=True)
class IndicatorValue:
    """One indicator as measured on this dataset (N/A when its check could not say)."""

    spec: Indicator
    value: float | None
    desirability: float | None
    reason: str = ""
    automatic: bool = False
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False, compare=False)
    available: bool = True  # False when the check is not part of this version: outside coverage

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.spec.id,
            "check": self.spec.check,
            "dimension": self.spec.dimension,
            "measure": self.spec.measure,
            "good": self.spec.good,
            "bad": self.spec.bad,
            "weight": self.spec.weight,
            "value": self.value,
            "desirability": self.desirability,
            "status": "computed" if self.value is not None else "not_applicable",
            "resampled": bool(self.rows.size),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.automatic:
            out["automatic"] = True
        if not self.available:
            out["status"] = "unavailable"
        return out


@dataclass(frozen=True)
class ScoreResult:
    scores: dict[str, float | None]
    intervals: dict[str, list[float] | None]
    coverage: dict[str, float | None]
    indicators: list[IndicatorValue]
    replicates: int


def desirability(value: float, good: float, bad: float) -> float:
    return float(np.clip((bad - value) / (bad - good), 0.0, 1.0))


def _selected(outcome: CheckOutcome, spec: Indicator) -> list[Finding]:
    return [f for f in outcome.findings if _rank(f.severity) >= _rank(spec.min_severity)]


def _union_rows(findings: Sequence[Finding], n_rows: int) -> tuple[np.ndarray, int]:
    """Listed rows of the findings, and an estimate of all affected records (rows lists are capped)."""
    listed = [np.asarray(f.rows, dtype=np.int64) for f in findings if f.rows]
    rows = np.unique(np.concatenate(listed)) if listed else np.empty(0, dtype=np.int64)
    rows = rows[(rows >= 0) & (rows < n_rows)]
    beyond = sum(max(0, f.row_count - len(f.rows)) for f in findings)
    return rows, min(n_rows, int(rows.size) + beyond)


def measure_indicator(
    spec: Indicator, outcome: CheckOutcome | None, n_rows: int, n_columns: int, automatic: bool = False
) -> IndicatorValue:
    """Measure one indicator from its check's outcome; N/A when the check did not run."""
    if outcome is None:
        return IndicatorValue(
            spec, None, None, "the check is not part of this version", automatic, available=False
        )
    if outcome.status not in (Status.FIRED, Status.QUIET):
        why = outcome.reason or str(outcome.status)
        return IndicatorValue(
            spec,
            None,
            None,
            f"{outcome.check} {'failed' if outcome.status == Status.ERROR else 'not applicable'}: {why}",
            automatic,
        )
    chosen = _selected(outcome, spec)
    rows = np.empty(0, dtype=np.int64)
    if spec.measure == "row_share":
        rows, count = _union_rows(chosen, n_rows)
        value = count / n_rows if n_rows else 0.0
    elif spec.measure == "column_share":
        cols = {c for f in chosen for c in f.columns}
        value = len(cols) / max(1, n_columns)
    elif spec.measure == "worst_severity":
        value = float(max((_rank(f.severity) for f in chosen), default=0))
    else:  # rate, check_rate
        rate: float | None = None
        if spec.measure == "check_rate":
            num, den = outcome.evidence.get("numerator"), outcome.evidence.get("denominator")
            if _is_number(num) and _is_number(den) and den > 0:
                rate = float(num) / float(den)
                if int(den) == n_rows:
                    rows, _ = _union_rows(chosen, n_rows)
        if rate is None:
            rated = [(r, f) for f in chosen if (r := finding_rate(f, n_rows)) is not None]
            if rated:
                rate, worst = max(rated, key=lambda rf: rf[0])
                den = worst.evidence.get("denominator")
                if (not _is_number(den) or int(den) == n_rows) and worst.rows:
                    rows = np.asarray(worst.rows, dtype=np.int64)
            else:
                rate = 0.0 if not chosen else float("nan")
        if rate != rate:  # a finding without any share: judge it by its severity instead
            sev = max(_rank(f.severity) for f in chosen)
            return IndicatorValue(
                spec, float(sev), desirability(sev, 1, 4), "no share reported; scored by severity", automatic
            )
        value = rate
    if rows.size == 0 or not value:
        rows = np.empty(0, dtype=np.int64)
    return IndicatorValue(spec, value, desirability(value, spec.good, spec.bad), "", automatic, rows)


def _indicator_specs(
    profile: ScoringProfile, outcomes: Sequence[CheckOutcome]
) -> list[tuple[Indicator, bool]]:
    """The profile's indicators, plus a severity indicator for every check the profile does not name."""
    named = {i.check for i in profile.indicators}
    specs = [(i, False) for i in profile.indicators]
    default = profile.default_indicator
    if default:
        for o in outcomes:
            if o.check not in named:
                specs.append(
                    (
                        Indicator(
                            id=f"{o.check}_severity",
                            check=o.check,
                            dimension=o.dimension,
                            measure=default.get("measure", "worst_severity"),
                            good=float(default.get("good", 1)),
                            bad=float(default.get("bad", 4)),
                            weight=float(default.get("weight", 0.5)),
                            min_severity=Severity(default.get("min_severity", "warning")),
                        ),
                        True,
                    )
                )
                named.add(o.check)
    return specs


def _group_codes(groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Group code of each record and the size of each group, or None for independent records."""
    if groups is None:
        return None
    codes = np.asarray(groups, dtype=np.int64)
    return codes, np.bincount(codes)


def compute_scores(
    profile: ScoringProfile,
    outcomes: Sequence[CheckOutcome],
    n_rows: int,
    n_columns: int,
    groups: np.ndarray | None = None,
) -> ScoreResult:
    """Indicators, dimension scores, coverage, overall score and their bootstrap intervals.

    `groups` gives each record's patient as an integer code (0..G-1) to resample whole patients.
    """
    by_check = {o.check: o for o in outcomes}
    values = [
        measure_indicator(spec, by_check.get(spec.check), n_rows, n_columns, auto)
        for spec, auto in _indicator_specs(profile, outcomes)
    ]
    weights = np.array([v.spec.weight for v in values], dtype=float)
    computed = np.array([v.value is not None for v in values], dtype=bool)
    available = np.array([v.available for v in values], dtype=bool)
    dims = np.array([v.spec.dimension for v in values])
    point_d = np.array([v.desirability if v.desirability is not None else 0.0 for v in values])

    # coverage: the weight share of this version's indicators that the data allowed to compute;
    # None when this version has no indicator for the dimension at all
    coverage: dict[str, float | None] = {}
    dim_masks: dict[str, np.ndarray] = {}
    for d in DIMENSIONS:
        mask = (dims == d) & available
        total = weights[mask].sum()
        coverage[d] = float(weights[mask & computed].sum() / total) if total > 0 else None
        dim_masks[d] = mask & computed & (weights > 0)
    eligible = [
        d
        for d in DIMENSIONS
        if dim_masks[d].any()
        and (coverage[d] or 0.0) >= profile.floors.min_coverage_for_overall
        and profile.dimensions.get(d, 1.0) > 0
    ]

    def score_matrix(desir: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """Dimension and overall scores for a (reps x indicators) desirability matrix."""
        out = {}
        for d in DIMENSIONS:
            m = dim_masks[d]
            if m.any():
                out[d] = 100.0 * (desir[:, m] @ weights[m]) / weights[m].sum()
        if not eligible:
            return out, None
        w = np.array([profile.dimensions.get(d, 1.0) for d in eligible])
        w = w / w.sum()
        logs = np.stack([np.log(np.maximum(out[d], 1.0) / 100.0) for d in eligible], axis=1)
        return out, 100.0 * np.exp(logs @ w)

    point_dims, point_overall = score_matrix(point_d[None, :])
    scores: dict[str, float | None] = {
        d: float(point_dims[d][0]) if d in point_dims else None for d in DIMENSIONS
    }
    scores["overall"] = float(point_overall[0]) if point_overall is not None else None

    reps = profile.bootstrap.replicates
    intervals: dict[str, list[float] | None] = {k: None if v is None else [v, v] for k, v in scores.items()}
    resampled = [i for i, v in enumerate(values) if v.rows.size and v.value]
    if reps and resampled and n_rows:
        boot_d = np.repeat(point_d[None, :], reps, axis=0)
        union = np.unique(np.concatenate([values[i].rows for i in resampled]))
        index = [np.searchsorted(union, values[i].rows) for i in resampled]
        grouped = _group_codes(groups)
        rng = np.random.default_rng(profile.bootstrap.seed)
        for b in range(reps):
            if grouped is None:
                w_union = rng.poisson(1.0, size=union.size)
                total = w_union.sum() + rng.poisson(float(n_rows - union.size))
            else:
                codes, sizes = grouped
                w_groups = rng.poisson(1.0, size=sizes.size)
                w_union = w_groups[codes[union]]
                total = float(w_groups @ sizes)
            total = max(float(total), 1.0)
            for j, i in enumerate(resampled):
                v = values[i]
                share = w_union[index[j]].sum() / total
                ratio = share / (v.rows.size / n_rows)
                boot_d[b, i] = desirability(v.value * ratio, v.spec.good, v.spec.bad)
        boot_dims, boot_overall = score_matrix(boot_d)
        tail = (1.0 - profile.bootstrap.level) / 2.0
        series = {**boot_dims, **({"overall": boot_overall} if boot_overall is not None else {})}
        for key, arr in series.items():
            point = scores[key]
            lo, hi = np.quantile(arr, [tail, 1.0 - tail])
            intervals[key] = [float(min(lo, point)), float(max(hi, point))]
    return ScoreResult(
        scores=scores,
        intervals=intervals,
        coverage=coverage,
        indicators=values,
        replicates=reps if resampled else 0,
    )


def lower(result: ScoreResult, key: str) -> float | None:
    """The lower end of a score's interval (the point score when no interval exists)."""
    interval = result.intervals.get(key)
    if interval is None:
        return result.scores.get(key)
    return interval[0]
