"""Mergeable partial profiles: the sufficient statistics of row partitions, merged into the whole.

A partial keeps only what merges, computed from each batch in one polars `select`:
- counts, missing, zeros, negatives, min/max and text lengths: sums and extremes (exact);
- mean and the central moments M2, M3, M4: merged pairwise (Pébay 2008), exact up to rounding;
- distinct values: the exact value counts while a column holds at most `COUNTED_VALUES` distinct
  values (they give the exact top values too), otherwise a k-minimum-values sketch of 64-bit value
  hashes (relative error about 1 / sqrt(KMV_SIZE), 3 %).
Quantiles and the top values of high-cardinality columns are not sketched: `finish_profile` reads
them from a seeded sample of the whole table, as the in-memory profile reads them from a sample of
a tall table, so a batch costs a few vectorised reductions and nothing is sorted.

The sketch is written here rather than taken from Apache DataSketches: its Python binding updates
one item per call, and a Python loop per value is what this module exists to avoid; a
k-minimum-values sketch over polars' vectorised hashes is a filter and a `bottom_k`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from datacert.profile._profile import COLUMN_SCHEMA, QUANTILE_NAMES, Profile

KMV_SIZE = 1024
COUNTED_VALUES = 1_000  # distinct values up to which a column's values are counted exactly
TOP_K = 10
_HASH_SEED = 0
_NO_BOUND = 2**64 - 1
_NUMERIC, _TEXT, _OTHER = 0, 1, 2
_SUMS = ("count", "null_count", "zero_count", "negative_count", "length_sum")


def _kind(dtype: pl.DataType) -> int:
    if dtype.is_numeric() or dtype == pl.Boolean:
        return _NUMERIC
    return _TEXT if dtype == pl.String else _OTHER


@dataclass(frozen=True)
class ProfileGuide:
    """What a pass learns from the first records, so that every batch does the least work.

    `counted`: the columns whose values are counted exactly (few distinct values in the head).
    `bounds`: per other column, a hash bound no hash of the whole table's sketch can pass (the
    k-th smallest distinct hash of the head, a subset of the table), so a batch sketches only the
    values under it.
    """

    counted: frozenset[str] = frozenset()
    bounds: Mapping[str, int] = field(default_factory=dict)


def profile_guide(head: pl.DataFrame) -> ProfileGuide:
    """The guide of a pass, from its first records."""
    if not head.width:
        return ProfileGuide()
    distinct = head.select(pl.all().drop_nulls().n_unique()).row(0, named=True)
    counted = frozenset(c for c, n in distinct.items() if n <= COUNTED_VALUES)
    sketched = [c for c in head.columns if c not in counted]
    bounds: dict[str, int] = {}
    if sketched:
        smallest = head.select([_hashes(c).unique().bottom_k(KMV_SIZE).max().alias(c) for c in sketched]).row(
            0, named=True
        )
        bounds = {c: int(smallest[c]) for c in sketched if distinct[c] >= KMV_SIZE}
    return ProfileGuide(counted=counted, bounds=bounds)


@dataclass(frozen=True, eq=False)
class PartialProfile:
    """Sufficient statistics of one row partition, one array entry per column (table order)."""

    n_rows: int
    names: tuple[str, ...]
    dtypes: tuple[pl.DataType, ...]
    kinds: np.ndarray  # _NUMERIC, _TEXT or _OTHER
    sums: dict[str, np.ndarray]  # the `_SUMS` statistics (int64; length_sum float)
    minimum: np.ndarray  # float64, NaN when no value
    maximum: np.ndarray
    length_min: np.ndarray
    length_max: np.ndarray
    mean: np.ndarray  # over the `count` observed values; NaN when none
    m2: np.ndarray  # central moment sums
    m3: np.ndarray
    m4: np.ndarray
    values: tuple[dict[Any, int] | None, ...]  # exact value counts, None once past COUNTED_VALUES
    sketch: tuple[np.ndarray, ...]  # sorted smallest distinct hashes (uint64) of uncounted columns


def _hashes(column: str) -> pl.Expr:
    return pl.col(column).drop_nulls().hash(seed=_HASH_SEED)


def partial_profile(
    frame: pl.DataFrame,
    guide: ProfileGuide | None = None,
    known_counts: Mapping[str, dict[Any, int]] | None = None,
) -> PartialProfile:
    """The partial profile of one batch (every column counted exactly unless `guide` says not).

    `known_counts`: the exact value counts (missing values left out) of counted columns that the
    caller has counted already, by a cheaper route than a group-by; those columns are not grouped.

    One polars `select` gives the counts, the value counts of counted columns and, for the other
    columns, their sketch and extremes. A counted column's extremes, zeros, negatives, moments and
    text lengths follow from its (at most `COUNTED_VALUES`) value counts, so only the other columns
    are reduced row by row; their central moments are numpy sums of products over reused buffers,
    a few times cheaper than the equivalent polars expressions, which allocate every power.
    """
    guide = guide if guide is not None else ProfileGuide(counted=frozenset(frame.columns))
    known_counts = known_counts or {}
    schema = frame.schema
    names = list(schema)
    p = len(names)
    kinds = [_kind(schema[c]) for c in names]
    exprs: list[pl.Expr] = []
    counting: list[pl.LazyFrame] = []  # one group-by per counted column: cheaper than value_counts
    hashing: list[pl.Expr] = []  # the value hashes of the sketched columns
    lazy = frame.lazy()
    for i, c in enumerate(names):
        x = pl.col(c)
        exprs += [x.count().alias(f"{i}|count"), x.null_count().alias(f"{i}|null_count")]
        if c in guide.counted:
            if c not in known_counts:
                counting.append(lazy.group_by(c).agg(pl.len().alias(_COUNT)))
        else:
            # the hashes are a column of their own, so the filter reads them rather than hashing again
            h = pl.col(f"{i}|hash")
            hashing.append(pl.col(c).hash(seed=_HASH_SEED).alias(f"{i}|hash"))
            bound = guide.bounds.get(c, _NO_BOUND)
            present = pl.col(c).is_not_null()
            kept = h.filter(present & (h <= bound)) if bound < _NO_BOUND else h.filter(present)
            exprs += [
                *_row_stat_exprs(i, c, kinds[i]),
                kept.unique().bottom_k(KMV_SIZE).implode().alias(f"{i}|sketch"),
            ]
    if not exprs:
        return _empty_partial(frame)
    hashed = lazy.with_columns(hashing) if hashing else lazy
    stats, *counts_frames = pl.collect_all([hashed.select(exprs), *counting])
    row: dict[str, Any] = stats.row(0, named=True)
    value_counts = iter(counts_frames)

    values: list[dict[Any, int] | None] = []
    sketch: list[np.ndarray] = []
    by_rows = [i for i, c in enumerate(names) if c not in guide.counted]  # statistics from the rows
    late: list[int] = []  # counted columns whose row statistics were not in the first `select`
    for i, c in enumerate(names):
        if c not in guide.counted:
            values.append(None)
            sketch.append(np.sort(np.asarray(row[f"{i}|sketch"] or [], dtype=np.uint64)))
            continue
        counted = known_counts[c] if c in known_counts else _counts(next(value_counts))
        if len(counted) <= COUNTED_VALUES:
            values.append(counted)
            sketch.append(_EMPTY)
            from_values = _value_stats(counted, kinds[i])
            if from_values is None:
                late.append(i)
            else:
                row.update({f"{i}|{k}": v for k, v in from_values.items()})
        else:  # more distinct values than the head showed: sketch this column from now on
            values.append(None)
            sketch.append(_value_hashes(counted, schema[c]))
            late.append(i)
    if late:
        late_exprs = [e for i in late for e in _row_stat_exprs(i, names[i], kinds[i])]
        if late_exprs:
            row.update(frame.select(late_exprs).row(0, named=True))
        by_rows += late
    moment_columns = [i for i in by_rows if kinds[i] == _NUMERIC and row[f"{i}|count"]]
    for i, moments in zip(moment_columns, _row_moments(frame, names, moment_columns), strict=True):
        row.update(
            {f"{i}|mean": moments[0], f"{i}|m2": moments[1], f"{i}|m3": moments[2], f"{i}|m4": moments[3]}
        )

    def stat(name: str, dtype: type = np.float64, missing: float = np.nan) -> np.ndarray:
        out: np.ndarray = np.full(p, missing, dtype=dtype)
        for i in range(p):
            value = row.get(f"{i}|{name}")
            if value is not None:
                out[i] = value
        return out

    counts = stat("count", np.int64, 0)
    return PartialProfile(
        n_rows=frame.height,
        names=tuple(names),
        dtypes=tuple(schema[c] for c in names),
        kinds=np.array(kinds, dtype=np.int8),
        sums={
            "count": counts,
            "null_count": stat("null_count", np.int64, 0),
            "zero_count": stat("zero_count", np.int64, 0),
            "negative_count": stat("negative_count", np.int64, 0),
            "length_sum": stat("length_sum", np.float64, 0.0),
        },
        minimum=stat("min"),
        maximum=stat("max"),
        length_min=stat("length_min"),
        length_max=stat("length_max"),
        mean=np.where(counts > 0, stat("mean"), np.nan),
        m2=stat("m2", missing=0.0),
        m3=stat("m3", missing=0.0),
        m4=stat("m4", missing=0.0),
        values=tuple(values),
        sketch=tuple(sketch),
    )


def _row_stat_exprs(i: int, column: str, kind: int) -> list[pl.Expr]:
    """The statistics of a column that is not counted, reduced over its rows (moments apart)."""
    x = pl.col(column)
    if kind == _NUMERIC:
        v = x.cast(pl.Float64)
        return [  # the mean comes with the moments (`_row_moments`)
            v.min().alias(f"{i}|min"),
            v.max().alias(f"{i}|max"),
            (v == 0).sum().alias(f"{i}|zero_count"),
            (v < 0).sum().alias(f"{i}|negative_count"),
        ]
    if kind == _TEXT:
        length = x.str.len_chars()
        return [
            length.min().alias(f"{i}|length_min"),
            length.max().alias(f"{i}|length_max"),
            length.cast(pl.Int64).sum().alias(f"{i}|length_sum"),
        ]
    return []


def _value_stats(counted: Mapping[Any, int], kind: int) -> dict[str, float] | None:
    """A counted column's statistics from its value counts; None when a value is not finite (its
    rows then give them, so NaN and infinities behave as they do on any other column).

    Values are taken in sorted order, so the sums do not depend on the order polars counted them in.
    """
    if not counted or kind == _OTHER:
        return {}
    n = np.array(list(counted.values()), dtype=np.float64)
    if kind == _TEXT:
        lengths = np.array([len(v) for v in counted], dtype=np.int64)
        return {
            "length_min": int(lengths.min()),
            "length_max": int(lengths.max()),
            "length_sum": int((lengths * n.astype(np.int64)).sum()),
        }
    v = np.array([float(x) for x in counted], dtype=np.float64)
    if not np.isfinite(v).all():
        return None
    order = np.argsort(v)
    v, n = v[order], n[order]
    mean = float((n * v).sum() / n.sum())
    d = v - mean
    d2 = d * d
    return {
        "mean": mean,
        "m2": float((n * d2).sum()),
        "m3": float((n * d2 * d).sum()),
        "m4": float((n * d2 * d2).sum()),
        "min": float(v[0]),
        "max": float(v[-1]),
        "zero_count": int(n[v == 0].sum()),
        "negative_count": int(n[v < 0].sum()),
    }


_BLOCK = 32_768  # values per step of the moment sums: two buffers of it stay in the core's cache


def _row_moments(
    frame: pl.DataFrame, names: list[str], columns: list[int]
) -> list[tuple[float, float, float, float]]:
    """The batch mean and the central moment sums M2, M3, M4 of numeric columns, over their rows.

    Computed block by block, so the deviations and their squares never leave the cache, and with
    `einsum` rather than `dot`: its sum of products runs on one thread in a fixed order, where a
    multi-threaded BLAS would round differently with the number of threads. The mean is numpy's
    pairwise sum of the contiguous values rather than polars' mean, whose rounding followed how the
    batch happened to be cut into chunks when it was decoded beside another scan (one unit in the
    last place of a mean moved M3 of a symmetric column in its tenth digit from run to run).
    """
    out: list[tuple[float, float, float, float]] = []
    deviation, square = np.empty(_BLOCK), np.empty(_BLOCK)
    for i in columns:
        x = np.ascontiguousarray(frame.get_column(names[i]).drop_nulls().cast(pl.Float64).to_numpy())
        mean = float(np.sum(x) / len(x))
        m2 = m3 = m4 = 0.0
        with np.errstate(invalid="ignore", over="ignore"):  # infinities give NaN moments, as in polars
            for start in range(0, len(x), _BLOCK):
                block = x[start : start + _BLOCK]
                d = np.subtract(block, mean, out=deviation[: len(block)])
                d2 = np.multiply(d, d, out=square[: len(block)])
                m2 += float(np.einsum("i,i->", d, d))
                m3 += float(np.einsum("i,i->", d2, d))
                m4 += float(np.einsum("i,i->", d2, d2))
        out.append((mean, m2, m3, m4))
    return out


_EMPTY = np.empty(0, np.uint64)
_COUNT = "__datacert_count"


def _counts(counted: pl.DataFrame) -> dict[Any, int]:
    """A column's value counts from its group-by (the missing values, counted apart, left out)."""
    values, n = counted.to_series(0).to_list(), counted.get_column(_COUNT).to_list()
    return {v: k for v, k in zip(values, n, strict=True) if v is not None}


def _empty_partial(frame: pl.DataFrame) -> PartialProfile:
    """The partial of a batch without columns: its row count only."""
    nothing = np.empty(0)
    return PartialProfile(
        n_rows=frame.height,
        names=(),
        dtypes=(),
        kinds=np.empty(0, np.int8),
        sums={k: np.empty(0, np.float64 if k == "length_sum" else np.int64) for k in _SUMS},
        minimum=nothing,
        maximum=nothing,
        length_min=nothing,
        length_max=nothing,
        mean=nothing,
        m2=nothing,
        m3=nothing,
        m4=nothing,
        values=(),
        sketch=(),
    )


def _value_hashes(values: Collection[Any], dtype: pl.DataType) -> np.ndarray:
    """The KMV sketch of counted values: the same hashes a batch gives the column's values."""
    if not values:
        return _EMPTY
    hashes = pl.Series("v", list(values), dtype=dtype).hash(seed=_HASH_SEED).to_numpy()
    return np.unique(hashes.astype(np.uint64))[:KMV_SIZE]


def combine_partials(parts: list[PartialProfile]) -> PartialProfile:
    """Merge the partials of consecutive row partitions into one that can still be merged further."""
    if not parts:
        raise ValueError("nothing to merge")
    merged = parts[0]
    for nxt in parts[1:]:
        merged = _merge_two(merged, nxt)
    return merged


def _merge_two(a: PartialProfile, b: PartialProfile) -> PartialProfile:
    if a.names != b.names or a.dtypes != b.dtypes:
        raise ValueError("partitions must have the same columns, in the same order, of the same types")
    na, nb = a.sums["count"].astype(np.float64), b.sums["count"].astype(np.float64)
    n = na + nb
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where((na > 0) & (nb > 0), b.mean - a.mean, 0.0)
        mean = np.where(nb == 0, a.mean, np.where(na == 0, b.mean, a.mean + delta * nb / n))
        safe = np.where(n > 0, n, 1.0)
        m2 = a.m2 + b.m2 + delta**2 * na * nb / safe
        m3 = (
            a.m3
            + b.m3
            + delta**3 * na * nb * (na - nb) / safe**2
            + 3 * delta * (na * b.m2 - nb * a.m2) / safe
        )
        m4 = (
            a.m4
            + b.m4
            + delta**4 * na * nb * (na**2 - na * nb + nb**2) / safe**3
            + 6 * delta**2 * (na**2 * b.m2 + nb**2 * a.m2) / safe**2
            + 4 * delta * (na * b.m3 - nb * a.m3) / safe
        )
    values: list[dict[Any, int] | None] = []
    sketch: list[np.ndarray] = []
    for j, dtype in enumerate(a.dtypes):
        va, vb = a.values[j], b.values[j]
        if va is not None and vb is not None:
            union = dict(va)
            for value, count in vb.items():
                union[value] = union.get(value, 0) + count
            if len(union) <= COUNTED_VALUES:
                values.append(union)
                sketch.append(_EMPTY)
                continue
        values.append(None)
        sa = a.sketch[j] if va is None else _value_hashes(va, dtype)
        sb = b.sketch[j] if vb is None else _value_hashes(vb, dtype)
        sketch.append(np.union1d(sa, sb)[:KMV_SIZE])
    return PartialProfile(
        n_rows=a.n_rows + b.n_rows,
        names=a.names,
        dtypes=a.dtypes,
        kinds=a.kinds,
        sums={k: a.sums[k] + b.sums[k] for k in _SUMS},
        minimum=np.fmin(a.minimum, b.minimum),
        maximum=np.fmax(a.maximum, b.maximum),
        length_min=np.fmin(a.length_min, b.length_min),
        length_max=np.fmax(a.length_max, b.length_max),
        mean=mean,
        m2=m2,
        m3=m3,
        m4=m4,
        values=tuple(values),
        sketch=tuple(sketch),
    )


def distinct_count(partial: PartialProfile, j: int) -> int:
    """Distinct non-missing values of column j: exact while counted or under the sketch size."""
    values = partial.values[j]
    if values is not None:
        return len(values)
    kept = partial.sketch[j]
    if len(kept) < KMV_SIZE:
        return len(kept)
    kth = float(kept[KMV_SIZE - 1]) / float(_NO_BOUND)
    return round((KMV_SIZE - 1) / kth)


def top_values(values: Mapping[Any, int]) -> tuple[tuple[Any, int], ...]:
    """The most frequent values, ties in the order the in-memory profile gives them."""
    return tuple(sorted(values.items(), key=lambda vc: (-vc[1], str(vc[0])))[:TOP_K])


def finish_profile(
    partial: PartialProfile, sample: Profile, semantic_types: Mapping[str, Any] | None = None
) -> Profile:
    """The whole-table profile from the merged partial and the profile of a sample of its records.

    From the partial: counts, missing, zeros, negatives, extremes, moments, lengths, distinct
    counts and, for counted columns, the exact top values. From the sample: quantiles, the top
    values of high-cardinality columns (with their counts in the sample, as the in-memory profile
    of a tall table gives them), and the per-record arrays. When the sample is the whole table its
    profile is the in-memory profile, and is returned as it is.
    """
    if sample.n_rows == partial.n_rows:
        return sample
    semantic_types = semantic_types or {}
    s = partial.sums
    count = s["count"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = partial.m2 / count
        std = np.sqrt(partial.m2 / (count - 1))
        skew = (partial.m3 / count) / var**1.5
        kurt = (partial.m4 / count) / var**2 - 3.0
        mean_length = s["length_sum"] / count
    numeric = partial.kinds == _NUMERIC
    text = partial.kinds == _TEXT
    sample_quantiles = {q: sample.stat(q) for q in QUANTILE_NAMES}
    sample_tops = sample.top_values
    records: list[dict[str, Any]] = []
    tops: dict[str, tuple[tuple[Any, int], ...]] = {}
    for j, name in enumerate(partial.names):
        is_numeric, is_text, n = bool(numeric[j]), bool(text[j]), int(s["count"][j])
        record: dict[str, Any] = {k: None for k in COLUMN_SCHEMA}
        record.update(
            name=name,
            dtype=str(partial.dtypes[j]),
            semantic_type=str(semantic_types.get(name, "")),
            count=n,
            null_count=int(s["null_count"][j]),
            n_unique=distinct_count(partial, j),
        )
        if is_numeric:
            record.update(
                mean=_finite(partial.mean[j]),
                std=_finite(std[j]) if n > 1 else None,
                skewness=_finite(skew[j]),
                kurtosis=_finite(kurt[j]),
                min=_finite(partial.minimum[j]),
                max=_finite(partial.maximum[j]),
                zero_count=int(s["zero_count"][j]),
                negative_count=int(s["negative_count"][j]),
                **{q: sample_quantiles[q].get(name) for q in QUANTILE_NAMES},
            )
        if is_text:
            record.update(
                min_length=_int(partial.length_min[j]),
                max_length=_int(partial.length_max[j]),
                mean_length=_finite(mean_length[j]) if n else None,
            )
        records.append(record)
        values = partial.values[j]
        tops[name] = top_values(values) if values is not None else tuple(sample_tops.get(name, ()))
    return Profile(
        n_rows=partial.n_rows,
        columns=pl.DataFrame(records, schema=COLUMN_SCHEMA, orient="row"),
        top_values=tops,
        row_null_count=sample.row_null_count,
        row_hash=sample.row_hash,
        facts={"sampled_rows": sample.n_rows, "population_rows": partial.n_rows},
    )


def merge_partials(parts: list[PartialProfile], sample: Profile) -> Profile:
    """The profile of the whole from the partials of its row partitions and a sample's profile."""
    return finish_profile(combine_partials(parts), sample)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _int(x: float) -> int | None:
    return int(x) if np.isfinite(x) else None
