"""empty_rows: records that are mostly or entirely empty."""

from __future__ import annotations

import numpy as np

from datacert.checks._base import Check, CheckResult, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.findings import Severity


@register
class EmptyRows(Check):
    """Find records whose cells are mostly missing.

    Notes
    -----
    Entirely empty records are export artefacts (blank lines, trailing separators); mostly empty
    ones are abandoned forms. Both add nothing but noise and imputed guesses to a model.
    """

    id = "empty_rows"
    dimension = "completeness"
    governance = ("missingness",)
    params = (
        Param("empty_share", 0.5, "share of empty cells from which a record is mostly empty", low=0, high=1),
    )
    kahn = "completeness"
    remedy = Remedy("drop_rows", 10, automatic=True)

    def run(self, data, profile, params):
        # the record id is filled by the export even for blank records: it does not count as content
        nulls = profile.row_null_count.astype(np.float64)
        width = data.n_columns
        if data.roles.id is not None:
            nulls = nulls - data.frame.get_column(data.roles.id).is_null().to_numpy()
            width -= 1
        share = nulls / max(width, 1)
        empty = np.flatnonzero(share >= 1.0)
        mostly = np.flatnonzero((share >= params["empty_share"]) & (share < 1.0))
        findings = []
        if empty.size:
            findings.append(
                self.finding(
                    "error",
                    f"{plural(empty.size, 'record')} are entirely empty.",
                    rows=empty,
                    evidence={"numerator": int(empty.size), "denominator": data.n_rows, "threshold": 1.0},
                    remedy="Remove the empty records.",
                )
            )
        if mostly.size:
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(mostly.size, 'record')} have at least {params['empty_share']:.0%} of their "
                    f"cells missing.",
                    rows=mostly,
                    evidence={
                        "numerator": int(mostly.size),
                        "denominator": data.n_rows,
                        "threshold": params["empty_share"],
                        "max_missing_share_among_flagged": float(share[mostly].max()),
                    },
                    remedy="Remove these records or recover them at the source.",
                )
            )
        return CheckResult.fired(
            findings,
            {
                "numerator": int(empty.size + mostly.size),
                "denominator": data.n_rows,
                "threshold": params["empty_share"],
            },
        )

    def correction(self, findings, data, plan):
        """Drop the records that are empty (an error or worse); mostly empty ones are left to people."""
        answered = False
        for f in findings:
            if f.severity in (Severity.ERROR, Severity.CRITICAL):
                ignore = [data.roles.id] if data.roles.id else []
                plan.add_row_step(
                    "drop_rows", ignore=ignore, min_share=float(f.evidence.get("threshold", 1.0))
                )
                answered = True
        return answered
