"""unreadable_time: values of the declared time column that read as neither a date nor a number."""

from __future__ import annotations

import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural, positions_where
from datacert.semantics import best_date_format, parse_date_expr, parse_number_expr


@register
class UnreadableTime(Check):
    """Find values of the `--time` column that cannot be read as dates (or as numbers of a time unit).

    Notes
    -----
    Temporal checks order records by this column. A value that reads as no date drops out of
    them silently, so a time column that is partly unreadable weakens temporal leakage and
    consistency checks without a word. The date format is the one that reads most values.
    """

    id = "unreadable_time"
    dimension = "conformance"
    kahn = "conformance.value"
    needs = Needs(roles=("time",))
    params = (
        Param(
            "error_share",
            0.05,
            "share of unreadable time values from which the finding is an error",
            low=0,
            high=1,
        ),
    )
    remedy = Remedy("review", 36)

    def run(self, data, profile, params):
        column = data.roles.time
        dtype = data.schema[column]
        present = data.frame.height - data.frame.get_column(column).null_count()
        if dtype != pl.String:
            return CheckResult.quiet({"numerator": 0, "denominator": present, "column_type": str(dtype)})
        series = data.frame.get_column(column)
        fmt, _ = best_date_format(series)
        readable = parse_number_expr(pl.col(column)).is_not_null()
        if fmt is not None:
            readable = readable | parse_date_expr(pl.col(column), fmt).is_not_null()
        bad = positions_where(data.frame, pl.col(column).is_not_null() & ~readable)
        evidence = {
            "numerator": int(bad.size),
            "denominator": present,
            "date_format": fmt,
            "threshold": params["error_share"],
        }
        if bad.size == 0:
            return CheckResult.quiet(evidence)
        share = bad.size / max(present, 1)
        finding = self.finding(
            "error" if share >= params["error_share"] else "warning",
            f"{plural(int(bad.size), 'value')} of the time column {column!r} ({share:.1%}) read as no date"
            + (f" in the format {fmt}" if fmt else "")
            + "; temporal checks leave those records out.",
            columns=[column],
            rows=bad,
            evidence={**evidence, "share": share},  # no values: a date can identify a patient
            remedy=f"Correct or remove the unreadable dates of {column!r}, or declare its format in a "
            "schema.",
        )
        return CheckResult.fired([finding], evidence)
