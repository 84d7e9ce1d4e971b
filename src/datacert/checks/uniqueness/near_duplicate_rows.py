"""near_duplicate_rows: records identical up to case, accents, spaces, number format or rounding."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.uniqueness._normalise import canonical_expressions, canonical_hashes


@register
class NearDuplicateRows(Check):
    """Find records that are the same record written differently (but not exact copies).

    Notes
    -----
    Each record is put in canonical form (text lowered, accents and extra spaces removed, numbers
    stored as text read as numbers, all numbers rounded to 6 significant digits) and hashed in
    one vectorised pass. Records whose canonical hashes repeat are compared exactly on their
    canonical form; a group is reported only when its members are not all exact copies of each
    other (exact copies are `duplicate_rows`). The record id is ignored, as for exact duplicates.
    Rows hold every member of every group.
    """

    id = "near_duplicate_rows"
    dimension = "uniqueness"
    needs = Needs(min_rows=2)
    params = {"error_share": 0.01, "max_groups_listed": 100}

    def run(self, data, profile, params):
        columns = [c for c in data.columns if c != data.roles.id]
        if not columns:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows})
        hashes, block, engine_columns = canonical_hashes(data, columns)
        _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        candidates = np.flatnonzero(counts[inverse] > 1)
        if candidates.size == 0:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows, "threshold": 0})
        groups = _verified_groups(data, candidates, block, engine_columns)
        raw = (profile.row_hash if data.roles.id is None
               else data.frame.select(columns).hash_rows(seed=0).to_numpy())
        near = [g for g in groups if np.unique(raw[g]).size > 1]
        if not near:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows, "threshold": 0})
        rows = np.concatenate(near)
        extra = int(rows.size - len(near))
        share = extra / data.n_rows
        severity = "error" if share >= params["error_share"] else "warning"
        finding = self.finding(
            severity,
            f"{plural(extra, 'record')} {'repeats' if extra == 1 else 'repeat'} another record up to "
            "formatting or rounding "
            f"({plural(len(near), 'group')}).",
            rows=rows,
            evidence={"numerator": extra, "denominator": data.n_rows, "share": share,
                      "threshold": params["error_share"], "groups": len(near),
                      "group_rows": [g.tolist() for g in near[: params["max_groups_listed"]]],
                      "ignored_columns": [data.roles.id] if data.roles.id else [],
                      "normalisation": "case, accents, spaces, numbers as text, 6 significant digits"},
            remedy="Harmonise the formatting, then keep one record of each group (deduplicate).",
        )
        return CheckResult.fired([finding], {"numerator": extra, "denominator": data.n_rows})


def _verified_groups(data, candidates: np.ndarray, block, engine_columns: list[str]) -> list[np.ndarray]:
    """Group candidate rows by their exact canonical form (only candidates are read)."""
    keys: list[tuple] = [()] * candidates.size
    if engine_columns:
        subset = data.frame[candidates].select(canonical_expressions(data.schema, engine_columns))
        keys = [tuple(r) for r in subset.rows()]
    if block is not None:
        rows = np.where(np.isnan(block[candidates]), np.nan, block[candidates])
        keys = [k + (rows[i].tobytes(),) for i, k in enumerate(keys)]
    by_key: dict[tuple, list[int]] = defaultdict(list)
    for position, key in zip(candidates.tolist(), keys, strict=True):
        by_key[key].append(position)
    groups = [np.asarray(sorted(g), dtype=np.int64) for g in by_key.values() if len(g) > 1]
    return sorted(groups, key=lambda g: int(g[0]))
