"""duplicate_rows: identical records (ignoring the record id, which differs by construction)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.stats import poisson

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

    On a coarse table (a few binary or coded columns) two patients can share every value by
    chance. The number of identical pairs chance would give is λ = C(n, 2) · Π_j Σ_v p_jv², the
    collision probability of each column from its observed value shares (columns taken as
    independent, which understates chance and so errs towards reporting). The copies are reported
    only when the identical pairs observed would occur with probability below `chance_p` under a
    Poisson(λ) count; otherwise an information finding says they are as many as chance gives.
    On the trust benchmark's untouched tables this keeps the two chance pairs of the Wilms tumour
    table (4,028 records, mostly coded columns, λ ≈ 1) from a warning, while copied records are
    still found at every planted share.
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
        Param(
            "chance_p",
            0.001,
            "probability under chance (independent columns) below which the identical pairs are reported",
            low=0,
            high=1,
        ),
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
        pairs = int(sum(g.size * (g.size - 1) // 2 for g in groups))
        expected = chance_pairs(data.frame, columns)
        p_chance = float(poisson.sf(pairs - 1, expected)) if expected > 0 else 0.0
        if p_chance >= params["chance_p"]:
            severity = "info"
        else:
            severity = "error" if extra_share >= params["error_share"] else "warning"
        listed = [g.tolist() for g in groups[: params["max_groups_listed"]]]
        message = (
            f"{plural(extra, 'record')} repeat another record exactly "
            f"({plural(len(groups), 'group')} of copies)"
        )
        if severity == "info":
            message += (
                ", about as many as chance gives with these few distinct values "
                f"({expected:.1f} identical pairs expected)"
            )
        finding = self.finding(
            severity,
            message + ".",
            rows=rows,
            evidence={
                "numerator": extra,
                "denominator": data.n_rows,
                "share": extra_share,
                "threshold": params["error_share"],
                "groups": len(groups),
                "identical_pairs": pairs,
                "chance_pairs_expected": expected,
                "chance_probability": p_chance,
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


def chance_pairs(frame: pl.DataFrame, columns: list[str]) -> float:
    """Pairs of records that would share every value by chance if the columns were independent.

    Stops as soon as the product is negligible (a continuous column makes it so), so wide tables
    cost a few value counts.
    """
    n = frame.height
    log_expected = math.log(n * (n - 1) / 2) if n > 1 else -math.inf
    for column in columns:
        if log_expected < -40:
            return 0.0
        counts = frame.get_column(column).value_counts().get_column("count").to_numpy().astype(float)
        log_expected += math.log(float(np.sum((counts / n) ** 2)))
    return math.exp(log_expected)
