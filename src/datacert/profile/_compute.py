"""Compute a Profile in as few passes as the engine allows.

Tall, mixed tables: one polars `select` builds every statistic of every column at once.
Wide numeric blocks (hundreds of columns or more): one numpy matrix, column statistics as
vectorised reductions, because polars plans one expression per column and statistic and that
planning alone explodes at 20,000 columns.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from datacert.profile._profile import COLUMN_SCHEMA, QUANTILE_NAMES, QUANTILES, Profile
from datacert.semantics import SemanticType, sample_rows

WIDE_THRESHOLD = 200  # numeric columns above which the numpy path is used
EXACT_QUANTILE_ROWS = 100_000  # beyond this, quantiles and high-cardinality top values are sampled
TOP_K = 10
EXACT_TOP_CARDINALITY = 1_000


def compute_profile(frame: pl.DataFrame, semantic_types: dict[str, SemanticType] | None = None) -> Profile:
    """Profile a table: counts, missing, distinct, moments, quantiles, top values, text lengths."""
    semantic_types = semantic_types or {}
    schema = frame.schema  # polars rebuilds the schema on each access: read it once
    numeric = [c for c, d in schema.items() if d.is_numeric() or d == pl.Boolean]
    numeric_set = set(numeric)
    other = [c for c in schema if c not in numeric_set]
    sampled = frame.height > EXACT_QUANTILE_ROWS
    sample: pl.DataFrame | _RowSample = _RowSample(frame, EXACT_QUANTILE_ROWS) if sampled else frame

    blocks: list[pl.DataFrame] = []
    value_counts: dict[str, tuple] = {}  # every count of the columns whose top values are exact
    if len(numeric) > WIDE_THRESHOLD:
        matrix = (
            frame.select(pl.col(numeric).cast(pl.Float64))  # one expression, any width
            .to_numpy()
            .astype(np.float64, copy=False)
        )
        numeric_block, tops = _numeric_stats_numpy(matrix, numeric)
        blocks.append(numeric_block)
        row_nulls = np.isnan(matrix).sum(axis=1)
        with_nulls: list[str] = []
    else:
        stats, tops = _numeric_stats_polars(frame, sample, numeric, value_counts)
        blocks.append(_records_frame(stats))
        row_nulls = np.zeros(frame.height, dtype=np.int64)
        with_nulls = [c for c in numeric if stats[c]["null_count"]]
    other_stats, other_tops = _other_stats_polars(frame, sample, other, value_counts)
    blocks.append(_records_frame(other_stats))
    tops.update(other_tops)
    # one pass over the columns that hold a missing value at all (their counts are known by now)
    with_nulls += [c for c in other if other_stats[c]["null_count"]]
    if with_nulls:
        row_nulls = (
            row_nulls
            + frame.select(pl.sum_horizontal([pl.col(c).is_null() for c in with_nulls]))
            .to_series()
            .to_numpy()
        )

    names = list(schema)
    order = pl.DataFrame(
        {
            "name": names,
            "dtype": [str(d) for d in schema.values()],
            "semantic_type": [str(semantic_types.get(n, "")) for n in names],
        }
    )
    stats_frame = (
        pl.concat([b for b in blocks if b.height], how="vertical")
        if any(b.height for b in blocks)
        else (
            pl.DataFrame(
                schema={k: v for k, v in COLUMN_SCHEMA.items() if k not in ("dtype", "semantic_type")}
            )
        )
    )
    columns = order.join(stats_frame, on="name", how="left", maintain_order="left").select(
        list(COLUMN_SCHEMA)
    )
    row_hash = frame.hash_rows(seed=0).to_numpy() if frame.width else np.zeros(frame.height, np.uint64)
    return Profile(
        n_rows=frame.height,
        columns=columns,
        top_values={k: tuple(v) for k, v in tops.items()},
        row_null_count=row_nulls.astype(np.int64),
        row_hash=row_hash,
        facts={"sampled_rows": sample.height if sampled else None},
        value_counts=value_counts,
    )


class _RowSample:
    """The evenly spaced rows of `sample_rows`, gathered only for the columns a statistic reads
    (1,000,000 x 50: the whole-row gather of the text columns cost 0.3 s, and no text column is
    read from the sample unless its values are too many to count exactly)."""

    def __init__(self, frame: pl.DataFrame, limit: int) -> None:
        self.frame = frame
        self.limit = limit
        self.height = min(frame.height, limit)
        self._gathered: dict[str, pl.Series] = {}

    def select(self, exprs: list[pl.Expr]) -> pl.DataFrame:
        names = list(dict.fromkeys(name for e in exprs for name in e.meta.root_names()))
        missing = [c for c in names if c not in self._gathered]
        if missing:
            self._gathered.update(sample_rows(self.frame.select(missing), self.limit).to_dict())
        return pl.DataFrame([self._gathered[c] for c in names]).select(exprs)


def _numeric_stats_polars(
    frame: pl.DataFrame, sample: pl.DataFrame | _RowSample, columns: list[str], value_counts: dict[str, tuple]
):
    if not columns:
        return {}, {}
    exprs = []
    schema = frame.schema
    floats = {c for c in columns if schema[c].is_float()}
    for i, c in enumerate(columns):
        x = pl.col(c).cast(pl.Float64)
        exprs += [
            x.count().alias(f"{i}|count"),
            x.null_count().alias(f"{i}|null_count"),
            *([] if c in floats else [x.n_unique().alias(f"{i}|n_unique")]),
            x.mean().alias(f"{i}|mean"),
            x.std().alias(f"{i}|std"),
            x.skew().alias(f"{i}|skewness"),
            x.kurtosis().alias(f"{i}|kurtosis"),
            x.min().alias(f"{i}|min"),
            x.max().alias(f"{i}|max"),
            (x == 0).sum().alias(f"{i}|zero_count"),
            (x < 0).sum().alias(f"{i}|negative_count"),
        ]
    values = frame.select(exprs).row(0)
    names = [e.meta.output_name() for e in exprs]
    stats: dict[str, dict] = {c: {} for c in columns}
    for key, value in zip(names, values, strict=True):
        position, stat = key.split("|")
        stats[columns[int(position)]][stat] = value
    # quantiles: sort the (sampled) numeric block once in numpy instead of one engine sort per quantile
    # read column-major, so that each column is sorted where it lies (a sorted copy of the
    # 100,000-record sample of a tall table doubled this step's memory)
    block = sample.select([pl.col(c).cast(pl.Float64) for c in columns]).to_numpy(order="fortran")
    ordered_t = np.require(block.T, requirements=("C", "W"))  # one column comes as a read-only view
    del block
    ordered_t.sort(axis=1)  # rows = columns, contiguous, NaN last
    counts = (~np.isnan(ordered_t)).sum(axis=1)
    q = sorted_quantiles(ordered_t.T, counts)
    for j, c in enumerate(columns):
        for k, name in enumerate(QUANTILE_NAMES):
            stats[c][name] = _f(q[k, j])
    for c in columns:
        if c in floats:
            stats[c]["n_unique"] = _float_distinct(frame.get_column(c))
        elif stats[c]["n_unique"] is not None and stats[c]["null_count"]:
            stats[c]["n_unique"] -= 1  # polars counts null as one distinct value
    tops = _top_values(frame, sample, columns, stats, value_counts)
    return stats, tops


def _float_distinct(series: pl.Series) -> int:
    """Distinct observed values of a float column, as polars counts them (-0.0 equals 0.0, every NaN
    is one value), from one numpy sort: a third of the CPU time of polars' hashed n_unique on
    1,000,000 doubles (0.31 against 1.1 s for the 31 float columns of the tall benchmark)."""
    x = np.sort(series.drop_nulls().cast(pl.Float64).to_numpy())  # NaN sorts last
    if not x.size:
        return 0
    m = x.size - int(np.isnan(x).sum()) if np.isnan(x[-1]) else x.size
    distinct = 1 + int(np.count_nonzero(x[1:m] != x[: m - 1])) if m else 0
    return distinct + int(m < x.size)


def _top_values(
    frame: pl.DataFrame,
    sample: pl.DataFrame | _RowSample,
    columns: list[str],
    stats: dict[str, dict],
    value_counts: dict[str, tuple],
):
    """Most frequent values: exact for low cardinality, from the sample for the rest."""
    exact = [c for c in columns if (stats[c]["n_unique"] or 0) <= EXACT_TOP_CARDINALITY]
    rest = [c for c in columns if c not in set(exact)]
    tops: dict[str, list] = {}
    # every count of an exact column is kept (the profile's `value_counts`, which the category
    # checks read instead of counting the column again); its top values are the first TOP_K
    for source, names, whole in ((frame, exact, True), (sample, rest, False)):
        if not names:
            continue
        counted = source.select([_value_counts(c, None if whole else TOP_K).alias(c) for c in names]).row(
            0, named=True
        )
        for c in names:
            pairs = [(item[c], int(item["n"])) for item in (counted[c] or [])]
            if whole:
                value_counts[c] = tuple(pairs)
            tops[c] = pairs[:TOP_K]
            tops[c].sort(key=lambda vc: (-vc[1], str(vc[0])))
    return tops


def _value_counts(column: str, head: int | None) -> pl.Expr:
    counted = pl.col(column).drop_nulls().value_counts(sort=True, name="n")
    return (counted if head is None else counted.head(head)).implode()


def _other_stats_polars(
    frame: pl.DataFrame, sample: pl.DataFrame | _RowSample, columns: list[str], value_counts: dict[str, tuple]
):
    if not columns:
        return {}, {}
    exprs = []
    # a few columns' dtypes: reading them is cheap where the whole schema (20,000 columns) is not
    schema = {c: frame.get_column(c).dtype for c in columns}
    for i, c in enumerate(columns):
        x = pl.col(c)
        exprs += [
            x.count().alias(f"{i}|count"),
            x.null_count().alias(f"{i}|null_count"),
            x.drop_nulls().n_unique().alias(f"{i}|n_unique"),
        ]
        if schema[c] == pl.String:
            length = x.str.len_chars()
            exprs += [
                length.min().alias(f"{i}|min_length"),
                length.max().alias(f"{i}|max_length"),
                length.mean().alias(f"{i}|mean_length"),
            ]
    values = frame.select(exprs).row(0)
    stats: dict[str, dict] = {c: {} for c in columns}
    for key, value in zip([e.meta.output_name() for e in exprs], values, strict=True):
        position, stat = key.split("|")
        stats[columns[int(position)]][stat] = value
    tops = _top_values(frame, sample, columns, stats, value_counts)
    return stats, tops


def _numeric_stats_numpy(matrix: np.ndarray, columns: list[str]):
    """Column statistics of an n x p float matrix with NaN for missing, fully vectorised."""
    n, p = matrix.shape
    observed = ~np.isnan(matrix)
    missing = ~observed
    count = observed.sum(axis=0)
    # the moments reuse two buffers of the block's layout (so every sum runs in the same order and
    # gives nanmean's bits): at 300 x 20,000 each fresh 48 MB temporary cost as much as its arithmetic
    centred = np.array(matrix, dtype=np.float64, order="K", copy=True)
    np.copyto(centred, 0.0, where=missing)  # nanmean's own step: the sum of the observed values
    with np.errstate(invalid="ignore", divide="ignore"):
        if n:
            mean = centred.sum(axis=0) / count
            if (count == 0).any():  # as np.nanmean warns
                warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
        else:
            mean = np.full(p, np.nan)
        centred -= mean
        np.copyto(centred, 0.0, where=missing)
        del missing
        squared = centred * centred
        m2 = squared.sum(axis=0)
        power = np.multiply(squared, centred, out=centred)  # the centred values are not read again
        m3 = power.sum(axis=0)
        np.multiply(squared, squared, out=power)
        m4 = power.sum(axis=0)
        del squared, power, centred
        var_pop = m2 / count
        std = np.sqrt(m2 / (count - 1))
        skew = (m3 / count) / var_pop**1.5
        kurt = (m4 / count) / var_pop**2 - 3.0
    ordered = np.sort(matrix, axis=0)  # NaN last
    q = sorted_quantiles(ordered, count)
    with np.errstate(invalid="ignore"):
        low = np.where(count > 0, ordered[0] if n else np.nan, np.nan)
        high = np.where(count > 0, ordered[np.maximum(count - 1, 0), np.arange(p)] if n else np.nan, np.nan)
    new_value = np.ones_like(ordered, dtype=bool)
    new_value[1:] = ordered[1:] != ordered[:-1]
    new_value &= ~np.isnan(ordered)
    n_unique = new_value.sum(axis=0)
    zeros = (matrix == 0).sum(axis=0)
    negatives = (matrix < 0).sum(axis=0)

    def finite(values: np.ndarray) -> pl.Series:
        values = np.asarray(values, dtype=np.float64)
        return pl.Series(np.where(np.isfinite(values), values, np.nan)).fill_nan(None)

    block = {
        "name": pl.Series(columns, dtype=pl.String),
        "count": count.astype(np.int64),
        "null_count": (n - count).astype(np.int64),
        "n_unique": n_unique.astype(np.int64),
        "mean": finite(mean),
        "std": finite(std),
        "skewness": finite(skew),
        "kurtosis": finite(kurt),
        "min": finite(low),
        "max": finite(high),
        **{name: finite(q[k]) for k, name in enumerate(QUANTILE_NAMES)},
        "zero_count": zeros.astype(np.int64),
        "negative_count": negatives.astype(np.int64),
    }
    stats = pl.DataFrame(block).with_columns(
        pl.lit(None, pl.Int64).alias("min_length"),
        pl.lit(None, pl.Int64).alias("max_length"),
        pl.lit(None, pl.Float64).alias("mean_length"),
    )
    stats = stats.select([c for c in COLUMN_SCHEMA if c not in ("dtype", "semantic_type")])
    # all-distinct columns (most of a continuous wide block) have no meaningful top values
    repeating = np.flatnonzero(n_unique < count)
    tops: dict[str, list] = {c: [] for c in columns}
    if repeating.size:
        sub_tops = _top_values_matrix(
            ordered[:, repeating], new_value[:, repeating], [columns[j] for j in repeating]
        )
        tops.update(sub_tops)
    return stats, tops


def _records_frame(stats: dict[str, dict]) -> pl.DataFrame:
    """Per-column statistics dicts (few columns) as rows of the profile frame."""
    fields = {k: v for k, v in COLUMN_SCHEMA.items() if k not in ("dtype", "semantic_type")}
    records = [{**{k: None for k in fields}, **values, "name": name} for name, values in stats.items()]
    return pl.DataFrame(records, schema=fields, orient="row")


def sorted_quantiles(ordered: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Linear-interpolated quantiles of each column of a column-sorted matrix (NaN last).

    numpy's nanquantile loops over columns in Python; with the sort done once, every quantile
    is two gathers and a blend.
    """
    n, p = ordered.shape
    out = np.full((len(QUANTILES), p), np.nan)
    if n == 0:
        return out
    cols = np.arange(p)
    for k, q in enumerate(QUANTILES):
        position = q * np.maximum(count - 1, 0)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(count - 1, 0))
        frac = position - below
        value = ordered[below, cols] * (1 - frac) + ordered[above, cols] * frac
        out[k] = np.where(count > 0, value, np.nan)
    return out


def _top_values_matrix(ordered: np.ndarray, new_value: np.ndarray, columns: list[str]):
    """Top values of every column of a sorted matrix from its runs of equal values, vectorised."""
    n, p = ordered.shape
    tops: dict[str, list] = {c: [] for c in columns}
    if n == 0:
        return tops
    flat_start = new_value.T.ravel()
    starts = np.flatnonzero(flat_start)
    if starts.size == 0:
        return tops
    col_of = starts // n
    valid_end = (~np.isnan(ordered)).sum(axis=0)  # observed values per column
    next_start = np.append(starts[1:], p * n)
    col_end = col_of * n + valid_end[col_of]
    lengths = np.minimum(next_start, col_end) - starts
    values = ordered.T.ravel()[starts]
    order = np.lexsort((values, -lengths, col_of))
    col_sorted = col_of[order]
    first = np.searchsorted(col_sorted, np.arange(p))
    rank = np.arange(order.size) - first[col_sorted]
    keep = order[rank < TOP_K]  # already grouped by column, most frequent first
    keep_cols = col_of[keep]
    bounds = np.flatnonzero(np.diff(keep_cols)) + 1
    kept_values = values[keep].tolist()
    kept_lengths = lengths[keep].tolist()
    for start, stop in zip(
        np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [keep.size]]).tolist(), strict=True
    ):
        tops[columns[keep_cols[start]]] = list(
            zip(kept_values[start:stop], kept_lengths[start:stop], strict=True)
        )
    return tops


def _f(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
