"""Mergeable partial profiles: profile row partitions separately, merge into the whole.

Counts, missing, min/max and moments merge exactly (pairwise update of central moments, Pébay
2008). Quantiles merge approximately by mixing the partitions' cumulative distributions, each
kept as 101 quantile points. Distinct counts merge with a k-minimum-values sketch of 64-bit value
hashes (exact while a column has fewer than k distinct values). Top values add up their counts.
This is what an out-of-core or Dask run reuses: one partial per partition, one merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from datacert.profile._compute import compute_profile
from datacert.profile._profile import COLUMN_SCHEMA, QUANTILE_NAMES, QUANTILES, Profile
from datacert.semantics import SemanticType, sample_rows

KMV_SIZE = 1024
GRID_ROWS = 65_536  # rows a partition's quantile grid is read from (evenly spaced beyond that)
_GRID = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True, eq=False)
class PartialProfile:
    """The profile of one row partition plus the sketches needed to merge it with others."""

    profile: Profile
    quantile_grid: dict[str, np.ndarray]  # 101 quantiles per numeric column
    distinct_sketch: dict[str, np.ndarray]  # sorted smallest distinct hashes (uint64)


def partial_profile(
    frame: pl.DataFrame, semantic_types: dict[str, SemanticType] | None = None
) -> PartialProfile:
    profile = compute_profile(frame, semantic_types)
    numeric = [c for c, d in frame.schema.items() if d.is_numeric()]
    grid: dict[str, np.ndarray] = {}
    if numeric:
        # the grid is a sketch: read from GRID_ROWS evenly spaced rows, its rank error (about
        # 1 / sqrt(GRID_ROWS), 0.4 %) stays below the 1 % step between its 101 points
        rows = sample_rows(frame, GRID_ROWS)
        block = rows.select([pl.col(c).cast(pl.Float64) for c in numeric]).to_numpy()
        with np.errstate(all="ignore"):
            q = np.nanquantile(block, _GRID, axis=0) if frame.height else np.full((101, len(numeric)), np.nan)
        grid = {c: q[:, j] for j, c in enumerate(numeric)}
    hashes = frame.select(
        [
            pl.col(c).drop_nulls().hash(seed=0).unique().bottom_k(KMV_SIZE).implode().alias(c)
            for c in frame.columns
        ]
    ).row(0, named=True)
    sketch = {c: np.sort(np.asarray(hashes[c] or [], dtype=np.uint64)) for c in frame.columns}
    return PartialProfile(profile=profile, quantile_grid=grid, distinct_sketch=sketch)


def merge_partials(parts: list[PartialProfile]) -> Profile:
    """Merge the partial profiles of consecutive row partitions into the profile of the whole."""
    return combine_partials(parts).profile


def combine_partials(parts: list[PartialProfile]) -> PartialProfile:
    """Merge consecutive partials into one that can still be merged further (a partition of batches)."""
    if not parts:
        raise ValueError("nothing to merge")
    merged = parts[0]
    for nxt in parts[1:]:
        merged = _merge_two(merged, nxt)
    return merged


def _merge_two(a: PartialProfile, b: PartialProfile) -> PartialProfile:
    pa, pb = a.profile, b.profile
    if pa.columns.get_column("name").to_list() != pb.columns.get_column("name").to_list():
        raise ValueError("partitions must have the same columns in the same order")
    records = []
    grid: dict[str, np.ndarray] = {}
    sketch: dict[str, np.ndarray] = {}
    tops: dict[str, tuple[tuple[Any, int], ...]] = {}
    for ra, rb in zip(pa.columns.iter_rows(named=True), pb.columns.iter_rows(named=True), strict=True):
        name = ra["name"]
        out = dict(ra)
        na, nb = ra["count"] or 0, rb["count"] or 0
        n = na + nb
        out["count"], out["null_count"] = n, (ra["null_count"] or 0) + (rb["null_count"] or 0)
        for key in ("zero_count", "negative_count"):
            if ra[key] is not None or rb[key] is not None:
                out[key] = (ra[key] or 0) + (rb[key] or 0)
        out["min"] = _nan_min(ra["min"], rb["min"])
        out["max"] = _nan_max(ra["max"], rb["max"])
        out["min_length"] = _nan_min(ra["min_length"], rb["min_length"])
        out["max_length"] = _nan_max(ra["max_length"], rb["max_length"])
        if ra["mean_length"] is not None or rb["mean_length"] is not None:
            out["mean_length"] = ((ra["mean_length"] or 0) * na + (rb["mean_length"] or 0) * nb) / max(n, 1)
        if ra["mean"] is not None or rb["mean"] is not None:
            out.update(_merge_moments(ra, rb))
        if name in a.quantile_grid and name in b.quantile_grid:
            grid[name] = _mix_quantiles(a.quantile_grid[name], na, b.quantile_grid[name], nb)
            for q, qname in zip(QUANTILES, QUANTILE_NAMES, strict=True):
                out[qname] = float(np.interp(q, _GRID, grid[name])) if n else None
        sketch[name], out["n_unique"] = _merge_distinct(
            a.distinct_sketch.get(name), b.distinct_sketch.get(name)
        )
        tops[name] = _merge_tops(pa.top_values.get(name, ()), pb.top_values.get(name, ()))
        records.append(out)
    profile = Profile(
        n_rows=pa.n_rows + pb.n_rows,
        columns=pl.DataFrame(records, schema=COLUMN_SCHEMA, orient="row"),
        top_values=tops,
        row_null_count=np.concatenate([pa.row_null_count, pb.row_null_count]),
        row_hash=np.concatenate([pa.row_hash, pb.row_hash]),
        facts={
            "merged_partitions": pa.facts.get("merged_partitions", 1) + pb.facts.get("merged_partitions", 1)
        },
    )
    return PartialProfile(profile=profile, quantile_grid=grid, distinct_sketch=sketch)


def _central_moments(r: dict) -> tuple[float, float, float, float, float]:
    """(n, mean, M2, M3, M4) from a profile row (population skewness and excess kurtosis)."""
    n = r["count"] or 0
    if n == 0 or r["mean"] is None:
        return 0, 0.0, 0.0, 0.0, 0.0
    m2 = (r["std"] or 0.0) ** 2 * (n - 1) if n > 1 else 0.0
    var = m2 / n
    m3 = (r["skewness"] or 0.0) * n * var**1.5
    m4 = ((r["kurtosis"] if r["kurtosis"] is not None else -3.0) + 3.0) * n * var**2
    return n, r["mean"], m2, m3, m4


def _merge_moments(ra: dict, rb: dict) -> dict:
    na, ma, a2, a3, a4 = _central_moments(ra)
    nb, mb, b2, b3, b4 = _central_moments(rb)
    n = na + nb
    if n == 0:
        return {"mean": None, "std": None, "skewness": None, "kurtosis": None}
    d = mb - ma
    mean = ma + d * nb / n
    m2 = a2 + b2 + d**2 * na * nb / n
    m3 = a3 + b3 + d**3 * na * nb * (na - nb) / n**2 + 3 * d * (na * b2 - nb * a2) / n
    m4 = (
        a4
        + b4
        + d**4 * na * nb * (na**2 - na * nb + nb**2) / n**3
        + 6 * d**2 * (na**2 * b2 + nb**2 * a2) / n**2
        + 4 * d * (na * b3 - nb * a3) / n
    )
    var = m2 / n
    return {
        "mean": mean,
        "std": float(np.sqrt(m2 / (n - 1))) if n > 1 else None,
        "skewness": (m3 / n) / var**1.5 if var > 0 else None,
        "kurtosis": (m4 / n) / var**2 - 3.0 if var > 0 else None,
    }


def _mix_quantiles(qa: np.ndarray, na: int, qb: np.ndarray, nb: int) -> np.ndarray:
    """Quantiles of the mixture of two distributions given by their quantile points."""
    if na == 0 or np.isnan(qa).all():
        return qb
    if nb == 0 or np.isnan(qb).all():
        return qa
    support = np.unique(np.concatenate([qa, qb]))
    cdf = (
        na * np.interp(support, qa, _GRID, left=0, right=1)
        + nb * np.interp(support, qb, _GRID, left=0, right=1)
    ) / (na + nb)
    return np.interp(_GRID, cdf, support)


def _merge_distinct(a: np.ndarray | None, b: np.ndarray | None) -> tuple[np.ndarray, int]:
    a = a if a is not None else np.empty(0, np.uint64)
    b = b if b is not None else np.empty(0, np.uint64)
    union = np.union1d(a, b)
    exact = len(a) < KMV_SIZE and len(b) < KMV_SIZE
    if exact:
        return union, len(union)
    kept = union[:KMV_SIZE]
    kth = float(kept[-1]) / float(np.iinfo(np.uint64).max)
    return kept, round((KMV_SIZE - 1) / kth)


def _merge_tops(a, b) -> tuple[tuple[Any, int], ...]:
    counts: dict[Any, int] = {}
    for value, n in list(a) + list(b):
        counts[value] = counts.get(value, 0) + n
    return tuple(sorted(counts.items(), key=lambda vc: (-vc[1], str(vc[0])))[:10])


def _nan_min(x, y):
    values = [v for v in (x, y) if v is not None]
    return min(values) if values else None


def _nan_max(x, y):
    values = [v for v in (x, y) if v is not None]
    return max(values) if values else None
