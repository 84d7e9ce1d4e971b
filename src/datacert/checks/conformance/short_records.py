"""short_records: records of a delimited file with fewer fields than its header."""

from __future__ import annotations

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural


@register
class ShortRecords(Check):
    """Find records that have fewer fields than the header (cut or shifted lines of a CSV file).

    Notes
    -----
    A CSV reader fills the missing trailing fields with nulls, so a cut line looks like ordinary
    missing values and a line that lost a delimiter shifts every later value into the wrong
    column. The reader counts the fields of each record itself and records the short ones in
    the source facts; this check reports them, because their values cannot be trusted.
    """

    id = "short_records"
    dimension = "conformance"
    kahn = "conformance.relational"
    needs = Needs()
    params = (
        Param(
            "error_share", 0.01, "share of short records from which the finding is an error", low=0, high=1
        ),
    )
    remedy = Remedy("review", 35)

    def run(self, data, profile, params):
        facts = data.source_facts
        if data.format not in ("csv", "tsv"):
            return CheckResult.not_applicable(
                "only delimited text files can have records shorter than the header"
            )
        rows = np.asarray(facts.get("short_rows") or [], dtype=np.int64)
        evidence = {
            "numerator": int(rows.size),
            "denominator": data.n_rows,
            "threshold": params["error_share"],
        }
        if rows.size == 0:
            return CheckResult.quiet(evidence)
        share = rows.size / max(data.n_rows, 1)
        finding = self.finding(
            "error" if share >= params["error_share"] else "warning",
            f"{plural(int(rows.size), 'record')} of the file have fewer fields than the header; "
            "their missing fields were read as empty.",
            rows=rows,
            evidence={**evidence, "share": share},
            remedy="Re-export the file, or repair the cut lines at the source: their values may sit in the "
            "wrong columns.",
        )
        return CheckResult.fired([finding], evidence)
