"""near_duplicate_rows: records identical up to case, accents, spaces, number format or rounding."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.uniqueness._normalise import canonical_expressions, canonical_hashes, close_rows


@register
class NearDuplicateRows(Check):
    """Find records that are the same record written differently (but not exact copies).

    Notes
    -----
    Each record is put in canonical form (text lowered, accents and extra spaces removed, numbers
    stored as text read as numbers) and hashed in one vectorised pass with stored numbers rounded
    to about 4 significant digits (14 mantissa bits). Records whose hashes repeat are compared exactly on
    their text and within
    a relative tolerance of 1e-6 on their numbers; a group is reported only when its members are
    not all exact copies of each other (exact copies are `duplicate_rows`). The record id is
    ignored, as for exact duplicates. Rows hold every member of every group.
    """

    id = "near_duplicate_rows"
    dimension = "uniqueness"
    governance = ("errors",)
    needs = Needs(min_rows=2)
    params = (
        Param(
            "error_share",
            0.01,
            "share of near-duplicate records from which the finding is an error",
            low=0,
            high=1,
        ),
        Param("max_groups_listed", 100, "groups of near-duplicates listed in the evidence", low=1),
    )
    kahn = "plausibility.uniqueness"
    remedy = Remedy("deduplicate_near", 27)

    def run(self, data, profile, params):
        columns = [c for c in data.columns if c != data.roles.id]
        if not columns:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows})
        hashes, block, engine_columns = canonical_hashes(data, columns)
        _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        candidates = np.flatnonzero(counts[inverse] > 1)
        if candidates.size == 0:
            return CheckResult.quiet({"numerator": 0, "denominator": data.n_rows, "threshold": 0})
        raw = (
            profile.row_hash
            if data.roles.id is None
            else data.frame.select(columns).hash_rows(seed=0).to_numpy()
        )
        # groups whose members are all the same exact record are duplicate_rows' business: drop them
        # before any verification (a table with many exact copies would otherwise be verified row by row)
        mixed = (
            pl.DataFrame({"h": hashes[candidates], "r": raw[candidates]})
            .select(pl.col("r").n_unique().over("h") > 1)
            .to_series()
            .to_numpy()
        )
        candidates = candidates[mixed]
        groups = (
            _verified_groups(data, candidates, hashes[candidates], block, engine_columns)
            if candidates.size
            else []
        )
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
            evidence={
                "numerator": extra,
                "denominator": data.n_rows,
                "share": share,
                "threshold": params["error_share"],
                "groups": len(near),
                "group_rows": [g.tolist() for g in near[: params["max_groups_listed"]]],
                "ignored_columns": [data.roles.id] if data.roles.id else [],
                "normalisation": "case, accents, spaces, numbers as text; numbers within 1e-6 relative",
            },
            remedy="Harmonise the formatting, then keep one record of each group (deduplicate).",
        )
        return CheckResult.fired([finding], {"numerator": extra, "denominator": data.n_rows})


def _verified_groups(
    data, candidates: np.ndarray, hashes: np.ndarray, block, engine_columns: list[str]
) -> list[np.ndarray]:
    """Split candidate rows into groups equal on canonical text and close on numbers (only candidates
    are read): same hash, same exact key, then greedy clustering within the numeric tolerance."""
    schema = data.schema
    subset = data.frame[candidates]
    keys: list[tuple] = [()] * candidates.size
    exact = canonical_expressions(schema, engine_columns)
    if exact:
        keys = [tuple(r) for r in subset.select(exact).rows()]
    floats = [c for c in engine_columns if schema[c].is_float()]
    parts = []
    if floats:
        parts.append(
            subset.select(floats).to_numpy().astype(np.float64, copy=False).reshape(candidates.size, -1)
        )
    if block is not None:
        parts.append(block[candidates])
    numbers = np.hstack(parts) if parts else np.empty((candidates.size, 0))
    by_key: dict[tuple, list[int]] = defaultdict(list)
    for i, (h, key) in enumerate(zip(hashes.tolist(), keys, strict=True)):
        by_key[(h, key)].append(i)
    groups = []
    for members in by_key.values():
        left = np.asarray(members)
        while left.size > 1:
            near = close_rows(numbers[left], numbers[left[0]])
            if near.sum() > 1:
                groups.append(np.sort(candidates[left[near]]).astype(np.int64))
            left = left[~near]
    return sorted(groups, key=lambda g: int(g[0]))
