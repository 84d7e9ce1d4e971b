"""duplicate_rows: identical records (ignoring the record id, which differs by construction)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import polars as pl

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

    On a sampled run (a table checked out of core) the groups come from the whole table, counted
    in the pass that drew the sample (the `population` artifact), by a 96-bit key of the record (two hashes);
    the value shares of the chance model are the sample's, the pairs the whole table's.
    """

    id = "duplicate_rows"
    dimension = "uniqueness"
    governance = ("errors",)
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
        population = Artifacts.of(data).get("population")
        if population is not None:
            counted = population.duplicate_records
            if not counted.n_groups:
                return CheckResult.quiet({"numerator": 0, "denominator": population.rows, "threshold": 0})
            copies = Copies(
                counted.extra,
                counted.n_groups,
                counted.pairs,
                counted.rows,
                counted.n_rows,
                [list(g) for g in counted.groups[: params["max_groups_listed"]]],
            )
            return self._fired(
                copies, population.rows, chance_pairs(data.frame, columns, population.rows), data, params
            )
        hashes = profile.row_hash if data.roles.id is None else None
        groups = duplicate_groups(data.frame, columns, hashes)
        if not groups:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows, "threshold": 0})
        rows = np.concatenate(groups)
        copies = Copies(
            int(rows.size - len(groups)),
            len(groups),
            int(sum(g.size * (g.size - 1) // 2 for g in groups)),
            rows,
            int(rows.size),
            [g.tolist() for g in groups[: params["max_groups_listed"]]],
        )
        return self._fired(
            copies, data.n_rows, chance_pairs(data.frame, columns, profile=profile), data, params
        )

    def _fired(self, copies: Copies, denominator: int, expected: float, data, params):
        extra, pairs = copies.extra, copies.pairs
        extra_share = extra / denominator
        from scipy.special import pdtrc  # poisson.sf's kernel (same bits): scipy.stats costs 0.55 s to import

        p_chance = float(pdtrc(pairs - 1, expected)) if expected > 0 else 0.0
        if p_chance >= params["chance_p"]:
            severity = "info"
        else:
            severity = "error" if extra_share >= params["error_share"] else "warning"
        message = (
            f"{plural(extra, 'record')} repeat another record exactly "
            f"({plural(copies.groups, 'group')} of copies)"
        )
        if severity == "info":
            message += (
                ", about as many as chance gives with these few distinct values "
                f"({expected:.1f} identical pairs expected)"
            )
        finding = self.finding(
            severity,
            message + ".",
            rows=copies.rows,
            row_count=copies.n_rows,
            evidence={
                "numerator": extra,
                "denominator": denominator,
                "share": extra_share,
                "threshold": params["error_share"],
                "groups": copies.groups,
                "identical_pairs": pairs,
                "chance_pairs_expected": expected,
                "chance_probability": p_chance,
                "group_rows": copies.listed,
                "ignored_columns": [data.roles.id] if data.roles.id else [],
            },
            remedy="Keep the first record of each group and drop the copies (deduplicate).",
        )
        return CheckResult.fired([finding], {"numerator": extra, "denominator": denominator})

    def correction(self, findings, data, plan):
        """Keep the first of each group of identical records (the record id does not count)."""
        plan.add_row_step("deduplicate", ignore=[data.roles.id] if data.roles.id else [])
        return True


class Copies(NamedTuple):
    """Groups of identical records, from the table in memory or counted on the whole table."""

    extra: int  # records beyond the first of each group
    groups: int
    pairs: int  # identical pairs: sum of C(size, 2) over the groups
    rows: np.ndarray
    n_rows: int
    listed: list[list[int]]


def chance_pairs(
    frame: pl.DataFrame, columns: list[str], population_rows: int | None = None, profile: Any = None
) -> float:
    """Pairs of records that would share every value by chance if the columns were independent.

    Value shares come from `frame`; the pairs counted are those of `population_rows` records when
    the frame is a sample of a larger table. Stops as soon as the product is negligible (a
    continuous column makes it so), so wide tables cost a few value counts. `profile`, the
    profile of `frame` itself, answers for float columns whose observed values are all distinct
    (the usual continuous column) without sorting them: Σ count² is then count + missing².
    """
    n = frame.height
    rows = population_rows or n
    distinct = profile.stat("n_unique") if profile is not None and profile.n_rows == n else {}
    observed = profile.stat("count") if distinct else {}
    schema = frame.schema
    log_expected = math.log(rows * (rows - 1) / 2) if rows > 1 else -math.inf
    if distinct and _negligible_by_bounds(frame, columns[:-1], distinct, observed, log_expected):
        return 0.0
    for column in columns:
        if log_expected < -40:
            return 0.0
        series = frame.get_column(column)
        seen = observed.get(column)
        if (
            schema[column].is_float()
            and seen is not None
            and distinct.get(column) == seen
            and series.null_count() == n - seen  # NaN is a value here, missing in a wide profile
        ):
            pairs = seen + (n - seen) ** 2
        else:
            pairs = _equal_pairs(series)
        log_expected += math.log(pairs / (n * n))
    return math.exp(log_expected)


def _negligible_by_bounds(
    frame: pl.DataFrame,
    columns: list[str],
    distinct: dict[str, Any],
    observed: dict[str, Any],
    log_expected: float,
) -> bool:
    """Whether the product of collision shares is surely below the stop, from the profile alone.

    `chance_pairs` returns 0.0 exactly when the running sum of log shares falls below -40 before
    its last column; the terms are all negative, so that happens if and only if the sum over all
    columns but the last does. Each column's Σ count² is at most missing² + (o − d + 1)² + d − 1
    for o observed cells holding d distinct values (all copies piled on one value), which the
    profile gives without sorting a million floats. When the sum of these upper bounds is already
    below the stop, the exact sum is too, and the answer (0.0) is the one the exact loop gives.
    """
    n = frame.height
    total = log_expected
    for column in columns:
        missing = frame.get_column(column).null_count()
        seen, count = distinct.get(column), observed.get(column)
        if seen is None or count is None or count != n - missing or seen > count:
            continue  # no bound from the profile: the term is at most 0, left out of the sum
        if seen:
            bound = missing * missing + (count - seen + 1) ** 2 + seen - 1
        else:
            bound = missing * missing
        total += math.log(bound / (n * n))
        if total < -40 - 1e-9:  # a margin for rounding: the exact loop's own sum must also stop
            return True
    return False


def _equal_pairs(series: pl.Series) -> int:
    """Σ count² over the column's values (missing is one value): ordered pairs of equal records.

    Exact in integers, so the sum does not depend on the order the engine returns the counts in.
    A float column is sorted and its runs counted: for continuous values (a million distinct
    floats) that is about three times cheaper than hashing them; codes and text are counted.
    """
    if series.dtype.is_float():
        counts = series.sort().rle().struct.field("len")
    else:
        counts = series.value_counts().get_column("count")
    values = counts.cast(pl.Int64).to_numpy()
    return int(np.dot(values, values))
