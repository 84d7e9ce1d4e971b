"""duplicate_rows: identical records (ignoring the record id, which differs by construction)."""

from __future__ import annotations

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._groups import duplicate_groups
from datacert.checks._registry import register
from datacert.checks._util import plural


@register
class DuplicateRows(Check):
    """Find records that are identical on every column but the record id.

    Notes
    -----
    Duplicates weight some patients twice and, split across train and test, inflate every
    metric. Rows are grouped by a hash of the row and each group is verified exactly.
    """

    id = "duplicate_rows"
    dimension = "uniqueness"
    needs = Needs(min_rows=2)
    params = (
        Param(
            "error_share",
            0.01,
            "share of duplicated records from which the finding is an error",
            low=0,
            high=1,
        ),
        Param("max_groups_listed", 100, "groups of identical records listed in the evidence", low=1),
    )
    kahn = "plausibility.uniqueness"
    remedy = Remedy("deduplicate", 20, automatic=True)

    def run(self, data, profile, params):
        columns = [c for c in data.columns if c != data.roles.id]
        hashes = profile.row_hash if data.roles.id is None else None
        groups = duplicate_groups(data.frame, columns, hashes)
        if not groups:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows, "threshold": 0})
        rows = np.concatenate(groups)
        extra = int(rows.size - len(groups))
        extra_share = extra / data.n_rows
        severity = "error" if extra_share >= params["error_share"] else "warning"
        listed = [g.tolist() for g in groups[: params["max_groups_listed"]]]
        finding = self.finding(
            severity,
            f"{plural(extra, 'record')} repeat another record exactly ({plural(len(groups), 'group')} of copies).",
            rows=rows,
            evidence={
                "numerator": extra,
                "denominator": data.n_rows,
                "share": extra_share,
                "threshold": params["error_share"],
                "groups": len(groups),
                "group_rows": listed,
                "ignored_columns": [data.roles.id] if data.roles.id else [],
            },
            remedy="Keep the first record of each group and drop the copies (deduplicate).",
        )
        return CheckResult.fired([finding], {"numerator": extra, "denominator": data.n_rows})

    def correction(self, findings, data, plan):
        """Keep the first of each group of identical records (the record id does not count)."""
        plan.add_row_step("deduplicate", ignore=[data.roles.id] if data.roles.id else [])
        return True
