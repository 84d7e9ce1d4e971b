"""duplicate_ids: a record identifier that repeats."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.artifacts import Artifacts
from datacert.checks._base import Check, CheckResult, Needs, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural, positions_where


@register
class DuplicateIds(Check):
    """Find values of the id column shared by several records.

    Notes
    -----
    An id that repeats breaks every join and every per-record audit; if the repeats are visits of
    one patient, the column is a group (--group), not a record id. On a sampled run (a table
    checked out of core) repeats and missing ids are counted on the whole table, in the pass that
    drew the sample (the `population` artifact), by a 96-bit key of the identifier (two hashes).
    """

    id = "duplicate_ids"
    dimension = "uniqueness"
    kahn = "plausibility.uniqueness"
    remedy = Remedy("review_identifiers", 25)
    needs = Needs(roles=("id",), artifacts=("population",))

    def run(self, data, profile, params):
        column = data.roles.id
        population = Artifacts.of(data).get("population")
        if population is not None and population.repeated_ids is not None:
            repeated, missing_ids = population.repeated_ids, population.missing_ids
            return self._result(
                column,
                repeated.rows,
                repeated.n_rows,
                repeated.n_groups,
                missing_ids.rows if missing_ids else np.empty(0, np.int64),
                missing_ids.n_rows if missing_ids else 0,
                population.rows,
            )
        id_col = pl.col(column)
        rows = positions_where(data.frame, id_col.is_duplicated() & id_col.is_not_null())
        missing = positions_where(data.frame, id_col.is_null())
        n_values = (
            data.frame.select(id_col.filter(id_col.is_duplicated()).n_unique()).item() if rows.size else 0
        )
        return self._result(column, rows, int(rows.size), n_values, missing, int(missing.size), data.n_rows)

    def _result(self, column, rows, n_rows, n_values, missing, n_missing, denominator):
        findings = []
        if n_rows:
            findings.append(
                self.finding(
                    "error",
                    f"{plural(int(n_values), 'identifier')} in {column!r} are shared by several records.",
                    columns=[column],
                    rows=rows,
                    row_count=n_rows,
                    evidence={
                        "numerator": n_rows,
                        "denominator": denominator,
                        "threshold": 0,
                        "repeated_values": int(n_values),
                    },
                    remedy="Deduplicate the records, or declare this column as --group if it names "
                    "the patient.",
                )
            )
        if n_missing:
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(n_missing, 'record')} have no identifier in {column!r}.",
                    columns=[column],
                    rows=missing,
                    row_count=n_missing,
                    evidence={"numerator": n_missing, "denominator": denominator, "threshold": 0},
                    remedy="Recover the identifiers at the source.",
                )
            )
        return CheckResult.fired(findings, {"numerator": n_rows, "denominator": denominator})
