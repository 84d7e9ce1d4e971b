"""duplicate_columns: two columns that carry the same information (copies, recodings, rescalings)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.findings import Finding

MAX_GROUP_FINDINGS = 50
WIDE_CELLS = 30_000_000  # above this many cells the numeric block is not materialised
PARTITION_MAX_DISTINCT = 1_000
_ROW = "\x00row"


@register
class DuplicateColumns(Check):
    """Find columns that carry the same information as another column.

    Notes
    -----
    Two columns carry the same information when each value of one determines the value of the
    other: exact copies, bijective recodings ("F"/"M" and 0/1) and rescalings (height in cm and
    in m). Each column is replaced by its first-occurrence codes (code of a row = position of the
    first row holding the same value), which are identical for two columns exactly when one is a
    bijective recoding of the other. Columns with many distinct values are compared by rank
    instead (monotone maps: units, logs), and only if their minimum and maximum sit on the same
    records as another column's. Codes are hashed per column (one vectorised reduction), equal
    hashes are verified exactly, never pairwise over all columns. Only columns that share the
    invariants of a recoding (distinct count, missing count, sorted counts of the top values, and
    for tall continuous columns the shape moments) are coded at all.
    """

    id = "duplicate_columns"
    dimension = "informativeness"
    needs = Needs(min_rows=2)
    params = (Param("max_groups_listed", 100, "groups of duplicate columns listed in the evidence", low=1),)
    kahn = "plausibility.uniqueness"
    remedy = Remedy("drop_columns", 31, automatic=True)

    def run(self, data, profile, params):
        columns = [c for c in data.columns if c != data.roles.target]
        candidates = _candidates(data, profile, columns)
        evidence = {"columns_compared": len(columns), "candidates": len(candidates)}
        if len(candidates) < 2:
            return CheckResult.quiet({**evidence, "numerator": 0, "denominator": len(columns)})
        partition, ranked = _split_by_cardinality(data, profile, candidates)
        groups = []
        if partition:
            codes = _codes(data, partition)
            groups += _equal_columns(partition, codes, None)
        ranked = _monotone_candidates(data, ranked)
        if ranked:
            ranks = _ranks(data, ranked)
            groups += _equal_columns(ranked, ranks, _reverse_ranks(ranks))
        if not groups:
            return CheckResult.quiet({**evidence, "numerator": 0, "denominator": len(columns)})
        order = {c: i for i, c in enumerate(data.columns)}
        groups = sorted((sorted(g, key=order.__getitem__) for g in groups), key=lambda g: order[g[0]])
        relations = [_relations(data, g) for g in groups]
        redundant = sum(len(g) - 1 for g in groups)
        findings = []
        if len(groups) <= MAX_GROUP_FINDINGS:
            for group, relation in zip(groups, relations, strict=True):
                findings.append(self._group_finding(group, relation))
        else:
            findings.append(self._summary_finding(groups, relations, params))
        return CheckResult.fired(
            findings, {**evidence, "numerator": redundant, "denominator": len(columns), "groups": len(groups)}
        )

    def _group_finding(self, group, relation):
        keep, drop = group[0], group[1:]
        kinds = {c: relation[c]["kind"] for c in drop}
        if all(k == "identical" for k in kinds.values()):
            how = "an exact copy" if len(drop) == 1 else "exact copies"
        elif all(k == "linear" for k in kinds.values()):
            how = "a rescaling" if len(drop) == 1 else "rescalings"
        else:
            how = "a recoding" if len(drop) == 1 else "recodings"
        names = ", ".join(repr(c) for c in drop)
        return self.finding(
            "warning",
            f"{names} {'is' if len(drop) == 1 else 'are'} {how} of {keep!r} and "
            f"add{'s' if len(drop) == 1 else ''} "
            "no information.",
            columns=group,
            evidence={"numerator": len(drop), "denominator": len(group), "keep": keep, "relations": relation},
            remedy=f"Keep {keep!r} and drop {names}.",
        )

    def _summary_finding(self, groups, relations, params):
        drop = [c for g in groups for c in g[1:]]
        listed = [
            {"keep": g[0], "same_as": {c: r[c]["kind"] for c in g[1:]}}
            for g, r in zip(groups[: params["max_groups_listed"]], relations, strict=False)
        ]
        return self.finding(
            "warning",
            f"{plural(len(drop), 'column')} repeat the information of another column "
            f"({plural(len(groups), 'group')}).",
            columns=[c for g in groups for c in g],
            evidence={"numerator": len(drop), "groups": len(groups), "group_list": listed},
            remedy="Keep the first column of each group and drop the others.",
        )

    def correction(self, findings, data, plan):
        """Drop every copy but the kept member of each group of duplicate columns."""
        for f in findings:
            plan.drop(_duplicate_copies(f), self.id)
        return True


def _candidates(data, profile, columns: list[str]) -> list[str]:
    """Columns that share every cheap invariant of a bijective recoding with another column."""
    n_unique = profile.stat("n_unique")
    nulls = profile.stat("null_count")
    tops = profile.top_values
    schema = data.schema
    tall = data.n_rows * len(columns) > WIDE_CELLS
    moments = None
    keys: dict[tuple, list[str]] = defaultdict(list)
    for c in columns:
        distinct = n_unique.get(c) or 0
        if distinct < 2:
            continue  # constant or empty: constant_columns reports it
        counts = tuple(sorted((int(n) for _, n in tops.get(c, ())), reverse=True))
        key: tuple = (distinct, nulls.get(c) or 0, counts)
        if tall and distinct > 1000 and schema[c].is_numeric():
            if moments is None:
                moments = (profile.stat("skewness"), profile.stat("kurtosis"))
            key += (_sig(abs(moments[0].get(c) or 0.0)), _sig(moments[1].get(c) or 0.0))
        keys[key].append(c)
    order = {c: i for i, c in enumerate(columns)}
    out = [c for group in keys.values() if len(group) > 1 for c in group]
    return sorted(out, key=order.__getitem__)


def _sig(value: float) -> float:
    return float(f"{value:.5g}")


def _split_by_cardinality(data, profile, columns: list[str]) -> tuple[list[str], list[str]]:
    """Few distinct values: compare as partitions (any recoding). Many: compare by rank (monotone maps).

    Two all-distinct columns are trivially 'recodings' of each other as partitions, which says
    nothing; for them only an order-preserving (or reversing) map, e.g. a change of unit, counts.
    """
    n_unique = profile.stat("n_unique")
    schema = data.schema
    limit = min(PARTITION_MAX_DISTINCT, data.n_rows // 2)
    partition = [c for c in columns if (n_unique.get(c) or 0) <= limit]
    ranked = [c for c in columns if (n_unique.get(c) or 0) > limit and schema[c].is_numeric()]
    return partition, ranked


def _monotone_candidates(data, columns: list[str]) -> list[str]:
    """Columns that share with another column the cheap invariants of a monotone map.

    A monotone map keeps the records holding the minimum and the maximum (a decreasing one swaps
    them), and for any record the counts of values below and above it (swapped when decreasing).
    One vectorised pass on two records leaves almost no column to rank.
    """
    if len(columns) < 2:
        return []
    n = data.n_rows
    probes = (0, n // 2)
    rows, held = _matrix_lines(data, columns)
    stats = np.empty((len(columns), 6), dtype=np.int64)  # argmin, argmax, (below, above) x 2 probes
    if rows is not None:
        filled = np.isnan(rows)
        if filled.any():  # the lines are a copy of our own: masked in place, then NaN again
            np.copyto(rows, np.inf, where=filled)
            stats[held, 0] = np.argmin(rows, axis=1)
            np.copyto(rows, -np.inf, where=filled)
            stats[held, 1] = np.argmax(rows, axis=1)
            np.copyto(rows, np.nan, where=filled)
        else:
            stats[held, 0] = np.argmin(rows, axis=1)
            stats[held, 1] = np.argmax(rows, axis=1)
        for i, probe in enumerate(probes):
            pivot = rows[:, probe : probe + 1]
            stats[held, 2 + 2 * i] = np.count_nonzero(rows < pivot, axis=1)
            stats[held, 3 + 2 * i] = np.count_nonzero(rows > pivot, axis=1)
    rest = sorted(set(range(len(columns))) - set(held))
    if rest:
        exprs = []
        for k in rest:
            as_float = pl.col(columns[k]).cast(pl.Float64).fill_nan(None)
            exprs += [as_float.arg_min().alias(f"{k}|0"), as_float.arg_max().alias(f"{k}|1")]
            for i, probe in enumerate(probes):
                probe_value = as_float.gather(probe)
                exprs += [
                    (as_float < probe_value).sum().alias(f"{k}|{2 + 2 * i}"),
                    (as_float > probe_value).sum().alias(f"{k}|{3 + 2 * i}"),
                ]
        values = data.frame.select(exprs).row(0, named=True)
        for k in rest:
            stats[k] = [values[f"{k}|{j}"] or 0 for j in range(6)]
    # each pair (argmin, argmax), (below, above) as (smaller, larger): the same key whichever way
    # the map goes; columns whose key another column shares are kept (one vectorised grouping)
    keys = np.sort(stats.reshape(len(columns), 3, 2), axis=2).reshape(len(columns), 6)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    keep = np.flatnonzero(counts[inverse.reshape(-1)] > 1)
    return [columns[k] for k in keep.tolist()]


def _equal_columns(columns: list[str], codes: np.ndarray, reverse: np.ndarray | None) -> list[list[str]]:
    """Groups of columns whose code vectors are equal (or equal to the other's reverse), verified."""
    hashes = _hash_columns(codes)
    if reverse is not None:
        hashes = np.minimum(hashes, _hash_columns(reverse))
    buckets: dict[int, list[int]] = defaultdict(list)
    for j, h in enumerate(hashes.tolist()):
        buckets[h].append(j)
    groups = []
    for bucket in buckets.values():
        members = np.asarray(bucket)
        while members.size > 1:  # verify exactly: a hash collision never makes a finding
            head, rest = members[0], members[1:]
            # vectorised over the bucket: on three records one bucket can hold a sixth of all columns
            same = (codes[:, rest] == codes[:, [head]]).all(axis=0)
            if reverse is not None:
                same |= (reverse[:, rest] == codes[:, [head]]).all(axis=0)
            if same.any():
                groups.append([columns[head]] + [columns[j] for j in rest[same].tolist()])
            members = rest[~same]
    return groups


def _held(data, columns: list[str]) -> tuple[list[int], list[int]]:
    """Which of `columns` the shared numeric matrix holds when it is affordable (their positions in
    `columns`, and their column numbers in the matrix); empty when it is not."""
    numeric = data.numeric_feature_columns()
    if not numeric or data.n_rows * len(numeric) > WIDE_CELLS:
        return [], []
    position = {c: i for i, c in enumerate(numeric)}
    held = [k for k, c in enumerate(columns) if c in position]
    return held, [position[columns[k]] for k in held]


def _matrix_block(data, columns: list[str]) -> tuple[np.ndarray | None, list[int]]:
    """The shared numeric matrix restricted to `columns` when affordable, and which of them it holds."""
    held, at = _held(data, columns)
    if not held:
        return None, []
    return data.numeric_matrix()[:, at], held


def _matrix_lines(data, columns: list[str]) -> tuple[np.ndarray | None, list[int]]:
    """`_matrix_block` transposed (one contiguous line per column), gathered in one copy: the block's
    copy and then its transposed copy were two passes over 20,000 columns."""
    held, at = _held(data, columns)
    if not held:
        return None, []
    return np.ascontiguousarray(data.numeric_matrix().T[at]), held


def _codes(data, columns: list[str]) -> np.ndarray:
    """First-occurrence codes of each column, n x k int64 (identical for bijective recodings)."""
    out = np.empty((data.n_rows, len(columns)), dtype=np.int64)
    block, held = _matrix_block(data, columns)
    if block is not None:
        out[:, held] = _first_occurrence_codes(block)
    rest = sorted(set(range(len(columns))) - set(held))
    if rest:
        index = pl.col(_ROW)
        frame = (
            data.frame.select([pl.col(columns[k]) for k in rest])
            .with_row_index(_ROW)
            .select([index.min().over(pl.col(columns[k])).cast(pl.Int64).alias(str(k)) for k in rest])
        )
        out[:, rest] = frame.to_numpy().astype(np.int64, copy=False).reshape(data.n_rows, len(rest))
    return out


def _ranks(data, columns: list[str]) -> np.ndarray:
    """Dense ranks (1 = smallest, 0 = missing) of each column, n x k int64."""
    out = np.empty((data.n_rows, len(columns)), dtype=np.int64)
    block, held = _matrix_block(data, columns)
    if block is not None:
        rows = np.ascontiguousarray(block.T)  # one column per row: sorting along contiguous memory
        order = np.argsort(rows, axis=1, kind="stable")
        xs = np.take_along_axis(rows, order, axis=1)
        new = np.ones(xs.shape, dtype=bool)
        new[:, 1:] = xs[:, 1:] != xs[:, :-1]
        ranks_sorted = np.cumsum(new, axis=1)
        ranks_sorted[np.isnan(xs)] = 0
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, ranks_sorted, axis=1)
        out[:, held] = ranks.T
    rest = sorted(set(range(len(columns))) - set(held))
    if rest:
        frame = data.frame.select(
            [
                pl.col(columns[k]).cast(pl.Float64).fill_nan(None).rank("dense").fill_null(0).alias(str(k))
                for k in rest
            ]
        )
        out[:, rest] = frame.to_numpy().astype(np.int64, copy=False).reshape(data.n_rows, len(rest))
    return out


def _reverse_ranks(ranks: np.ndarray) -> np.ndarray:
    """Ranks of the negated column: a decreasing map (e.g. x and -x) gives equal reversed ranks."""
    top = ranks.max(axis=0, keepdims=True)
    return np.where(ranks > 0, top + 1 - ranks, 0)


def _first_occurrence_codes(x: np.ndarray) -> np.ndarray:
    """Vectorised over columns: sort once, mark runs of equal values, give each run its first row."""
    rows = np.ascontiguousarray(x.T)  # one column per row: sorting along contiguous memory
    n = rows.shape[1]
    order = np.argsort(rows, axis=1, kind="stable")  # NaN last, ties in row order
    xs = np.take_along_axis(rows, order, axis=1)
    nan = np.isnan(xs)
    new = np.ones(xs.shape, dtype=bool)
    new[:, 1:] = (xs[:, 1:] != xs[:, :-1]) & ~(nan[:, 1:] & nan[:, :-1])
    start = np.where(new, np.arange(n)[None, :], 0)
    np.maximum.accumulate(start, axis=1, out=start)
    first = np.take_along_axis(order, start, axis=1)
    codes = np.empty_like(order)
    np.put_along_axis(codes, order, first, axis=1)
    return codes.T


def _hash_columns(codes: np.ndarray) -> np.ndarray:
    """One 64-bit hash per column: a seeded random weighted sum of its codes (wrapping arithmetic)."""
    rng = np.random.default_rng(0)
    weights = np.bitwise_or(
        rng.integers(1, 2**63 - 1, size=codes.shape[0], dtype=np.int64).astype(np.uint64), np.uint64(1)
    )
    return (codes.astype(np.uint64) * weights[:, None]).sum(axis=0, dtype=np.uint64)


def _relations(data, group: list[str]) -> dict[str, dict]:
    """How each later column of a group relates to the first: identical, linear (slope) or recoded.

    Vectorised over the group: on a table of three records every column with three distinct values
    falls in one of six groups, so a group can hold tens of thousands of columns.
    """
    schema, frame = data.schema, data.frame
    head, rest = group[0], group[1:]
    first = frame.get_column(head)
    out: dict[str, dict] = {}
    numeric = [c for c in rest if schema[c].is_numeric()] if schema[head].is_numeric() else []
    if numeric:
        a = first.cast(pl.Float64).to_numpy()[:, None]
        b = frame.select(pl.col(numeric).cast(pl.Float64)).to_numpy()
        names = np.asarray(numeric, dtype=object)
        same_type = np.array([schema[c] == schema[head] for c in numeric])
        # a NaN and a missing value both read as NaN here: equal, as Series.equals(null_equal) has them
        equal = same_type & ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=0)
        out.update((c, {"kind": "identical"}) for c in names[equal].tolist())
        for c, (slope, intercept) in _linear_fits(a, b[:, ~equal], names[~equal].tolist()).items():
            out[c] = {"kind": "linear", "slope": slope, "intercept": intercept}
    others = [c for c in rest if c not in out and schema[c] == schema[head]]
    if others:
        equal_rows = frame.select(pl.col(others).eq_missing(first).all()).row(0)
        out.update((c, {"kind": "identical"}) for c, e in zip(others, equal_rows, strict=True) if e)
    return {c: out.get(c, {"kind": "recoded"}) for c in rest}


def _linear_fits(a: np.ndarray, b: np.ndarray, names: list[str]) -> dict[str, tuple[float, float]]:
    """The columns of `b` (named `names`) that are an exact affine function of the column `a`
    (least squares over the records where both are finite, residuals within 1e-6 of the values'
    scale), with slope and intercept rounded to 12 significant digits (the evidence says 0.01,
    not 0.009999999999999998)."""
    ok = np.isfinite(a) & np.isfinite(b)
    m = ok.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_a = np.where(ok, a, 0.0).sum(axis=0) / m
        mean_b = np.where(ok, b, 0.0).sum(axis=0) / m
        da = np.where(ok, a - mean_a, 0.0)
        db = np.where(ok, b - mean_b, 0.0)
        saa, sbb = (da * da).sum(axis=0), (db * db).sum(axis=0)
        slope = (da * db).sum(axis=0) / saa
        intercept = mean_b - slope * mean_a
        residual = np.where(ok, np.abs(b - (slope * a + intercept)), 0.0).max(axis=0, initial=0.0)
        scale = np.maximum(1.0, np.where(ok, np.abs(b), 0.0).max(axis=0, initial=0.0))
        linear = (m > 2) & (saa > 0) & (sbb > 0) & (residual <= 1e-6 * scale)
    return {names[j]: (_significant(slope[j]), _significant(intercept[j])) for j in np.flatnonzero(linear)}


def _significant(x: float, digits: int = 12) -> float:
    return float(f"{float(x):.{digits}g}")


def _duplicate_copies(f: Finding) -> list[str]:
    """Columns to drop for a duplicate-columns finding: every member of each group but the kept one."""
    ev = f.evidence
    if isinstance(ev.get("keep"), str):
        return [c for c in f.columns if c != ev["keep"]]
    listed = ev.get("group_list")
    if isinstance(listed, list) and listed and all(isinstance(g, Mapping) for g in listed):
        return [c for g in listed for c in (g.get("same_as") or {})]
    groups = ev.get("groups") or ev.get("pairs")
    if isinstance(groups, list) and groups and all(isinstance(g, list) for g in groups):
        return [c for g in groups for c in g[1:]]
    return list(f.columns[1:])
