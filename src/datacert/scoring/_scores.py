"""Dimension scores (0-100) from check outcomes, with coverage: no check run means no score.

Each finding costs its dimension a penalty scaled by its severity and by the share of records
(or columns) it touches; a dimension's score is 100 times the product of (1 - penalty). The
overall score is the weighted geometric mean of the dimension scores that could be computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from datacert.checks import CheckOutcome
from datacert.findings import DIMENSIONS, Severity, Status

SEVERITY_PENALTY = {Severity.INFO: 0.02, Severity.WARNING: 0.10, Severity.ERROR: 0.30, Severity.CRITICAL: 0.60}


def score_dimensions(outcomes: Sequence[CheckOutcome], n_rows: int) -> dict[str, float | None]:
    """Score per dimension and overall; None where no check of the dimension could run."""
    ran: dict[str, bool] = {d: False for d in DIMENSIONS}
    factors: dict[str, float] = {d: 1.0 for d in DIMENSIONS}
    for outcome in outcomes:
        if outcome.status in (Status.FIRED, Status.QUIET):
            ran[outcome.dimension] = True
        for finding in outcome.findings:
            extent = min(1.0, finding.row_count / n_rows) if finding.row_count and n_rows else 0.0
            weight = 0.5 + 0.5 * math.sqrt(extent)  # a finding always costs, wide ones cost more
            factors[finding.dimension] *= 1.0 - SEVERITY_PENALTY[finding.severity] * weight
    scores: dict[str, float | None] = {d: round(100.0 * factors[d], 1) if ran[d] else None for d in DIMENSIONS}
    computed = [s for s in scores.values() if s is not None]
    if computed:
        overall = math.exp(sum(math.log(max(s, 1.0)) for s in computed) / len(computed))
        scores["overall"] = round(overall, 1)
    else:
        scores["overall"] = None
    return scores
