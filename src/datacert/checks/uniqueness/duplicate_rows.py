"""duplicate_rows: identical records (ignoring the record id, which differs by construction)."""

from __future__ import annotations

import numpy as np

from datacert.artifacts import Artifacts
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
    metric. Rows are grouped by a hash of the row and each group is verified exactly. On a sampled
    run (a table checked out of core) the groups come from the whole table, counted in the pass
    that drew the sample (the `population` artifact), by a 128-bit hash of the record.
    """

    id = "duplicate_rows"
    dimension = "uniqueness"
    needs = Needs(min_rows=2, artifacts=("population",))
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
        population = Artifacts.of(data).get("population")
        if population is not None:
            counted = population.duplicate_records
            if not counted.n_groups:
                return CheckResult.quiet({"numerator": 0, "denominator": population.rows, "threshold": 0})
            listed = [list(g) for g in counted.groups[: params["max_groups_listed"]]]
            return self._fired(
                counted.extra,
                counted.n_groups,
                counted.rows,
                counted.n_rows,
                population.rows,
                listed,
                data,
                params,
            )
        columns = [c for c in data.columns if c != data.roles.id]
        hashes = profile.row_hash if data.roles.id is None else None
        groups = duplicate_groups(data.frame, columns, hashes)
        if not groups:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows, "threshold": 0})
        rows = np.concatenate(groups)
        listed = [g.tolist() for g in groups[: params["max_groups_listed"]]]
        extra = int(rows.size - len(groups))
        return self._fired(extra, len(groups), rows, int(rows.size), data.n_rows, listed, data, params)

    def _fired(self, extra, n_groups, rows, n_rows, denominator, listed, data, params):
        extra_share = extra / denominator
        severity = "error" if extra_share >= params["error_share"] else "warning"
        finding = self.finding(
            severity,
            f"{plural(extra, 'record')} repeat another record exactly ({plural(n_groups, 'group')} "
            "of copies).",
            rows=rows,
            row_count=n_rows,
            evidence={
                "numerator": extra,
                "denominator": denominator,
                "share": extra_share,
                "threshold": params["error_share"],
                "groups": n_groups,
                "group_rows": listed,
                "ignored_columns": [data.roles.id] if data.roles.id else [],
            },
            remedy="Keep the first record of each group and drop the copies (deduplicate).",
        )
        return CheckResult.fired([finding], {"numerator": extra, "denominator": denominator})

    def correction(self, findings, data, plan):
        """Keep the first of each group of identical records (the record id does not count)."""
        plan.add_row_step("deduplicate", ignore=[data.roles.id] if data.roles.id else [])
        return True
