"""duplicate_ids: a record identifier that repeats."""

from __future__ import annotations

import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural, positions_where


@register
class DuplicateIds(Check):
    """Find values of the id column shared by several records.

    Notes
    -----
    An id that repeats breaks every join and every per-record audit; if the repeats are visits of
    one patient, the column is a group (--group), not a record id.
    """

    id = "duplicate_ids"
    dimension = "uniqueness"
    kahn = "plausibility.uniqueness"
    remedy = Remedy("review_identifiers", 25)
    needs = Needs(roles=("id",))

    def run(self, data, profile, params):
        column = data.roles.id
        id_col = pl.col(column)
        rows = positions_where(data.frame, id_col.is_duplicated() & id_col.is_not_null())
        missing = positions_where(data.frame, id_col.is_null())
        findings = []
        if rows.size:
            n_values = data.frame.select(id_col.filter(id_col.is_duplicated()).n_unique()).item()
            findings.append(
                self.finding(
                    "error",
                    f"{plural(int(n_values), 'identifier')} in {column!r} are shared by several records.",
                    columns=[column],
                    rows=rows,
                    evidence={
                        "numerator": int(rows.size),
                        "denominator": data.n_rows,
                        "threshold": 0,
                        "repeated_values": int(n_values),
                    },
                    remedy="Deduplicate the records, or declare this column as --group if it names the patient.",
                )
            )
        if missing.size:
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(int(missing.size), 'record')} have no identifier in {column!r}.",
                    columns=[column],
                    rows=missing,
                    evidence={"numerator": int(missing.size), "denominator": data.n_rows, "threshold": 0},
                    remedy="Recover the identifiers at the source.",
                )
            )
        return CheckResult.fired(findings, {"numerator": int(rows.size), "denominator": data.n_rows})
