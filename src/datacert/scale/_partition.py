"""What runs on one partition, and what runs on one hash bucket: the kernels every engine schedules.

A partition is read in batches of bounded size. Each batch gives a partial profile (its mergeable
sufficient statistics, merged into the partition's), the candidates of the seeded sample, and two
64-bit hashes per record (the whole record but its id, and the id) with the record's whole-table position.
The hashes are split into buckets by their top bits: a bucket holds every copy of a key, so
duplicates are counted one bucket at a time, wherever the bucket lives (a spill file, a worker).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from datacert.artifacts import RepeatedKeys
from datacert.findings import MAX_ROWS_LISTED
from datacert.profile import PartialProfile, ProfileGuide, combine_partials, partial_profile
from datacert.scale._source import Partition

# A record's key: a 64-bit hash, 32 bits of a second, independent one (96 bits: the chance that two of
# ten billion distinct records share a key is below 1e-9) and its whole-table position, in 16 bytes
# while positions stay under 2**32, in 20 beyond.
KEY_DTYPE = np.dtype([("h1", "<u8"), ("h2", "<u4"), ("position", "<u4")])
WIDE_KEY_DTYPE = np.dtype([("h1", "<u8"), ("h2", "<u4"), ("position", "<i8")])
POSITION = "__datacert_position"
SAMPLE_KEY = "__datacert_sample_key"
GROUPS_KEPT = 1_000  # groups of copies kept with their positions (the check lists up to its parameter)
_HASH_SEEDS = (0x5EED_0001, 0x5EED_0002)


@dataclass(frozen=True)
class ScanOptions:
    """What every partition computes, fixed before the pass so that all partitions agree."""

    record_columns: tuple[str, ...]  # the columns of a record's identity (all but the id)
    id_column: str | None
    sample_threshold: int  # a row is a sample candidate when its key is below this
    seed: int
    batch_rows: int
    bucket_bits: int
    guide: ProfileGuide  # what the profile counts exactly and where it sketches
    # values a counted column held in the partitions scanned so far (`value_hints`); only the speed
    # of counting depends on them, never the counts
    value_hints: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def buckets(self) -> int:
        return 1 << self.bucket_bits


@dataclass(frozen=True)
class PartitionSummary:
    """A partition's small results, sent to the merging side; the hash buckets travel separately."""

    index: int
    partial: PartialProfile
    sample: pl.DataFrame  # candidate rows, with their position and sample key
    missing_ids: RepeatedKeys | None
    id_span: tuple[Any, Any] | None = None  # (first, last) identifier when they strictly increase: no id keys
    id_keys: int = 0  # identifier keys this partition gave to the buckets


_KEY_BLOCK = 65_536  # positions per step of `sample_candidates`: its two buffers stay in the core's cache
_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def sample_keys(positions: np.ndarray, seed: int) -> np.ndarray:
    """A seeded pseudo-random 64-bit key per whole-table position (splitmix64 finaliser).

    Written out because it must not depend on a library version or on how the table is
    partitioned: the same row gets the same key on one machine and on a cluster. The scan uses
    `sample_candidates`, the same keys computed in place; this is their plain statement.
    """
    z = positions.astype(np.uint64) + np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    return z ^ (z >> np.uint64(31))


def sample_candidates(start: int, n: int, seed: int, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions in [start, start + n) whose sample key is below `threshold`, and their keys.

    The keys `sample_keys` gives, computed block by block in place over two small buffers: a
    batch's full keys were eight temporary arrays of its length, freshly mapped (page faults are
    most of their cost), to keep about one row in two thousand.
    """
    ramp = np.arange(min(n, _KEY_BLOCK), dtype=np.uint64)
    z, t = np.empty_like(ramp), np.empty_like(ramp)
    bound = np.uint64(min(threshold, 2**64 - 1))
    shifts = (np.uint64(30), np.uint64(27), np.uint64(31))
    mix1, mix2 = np.uint64(_MIX1), np.uint64(_MIX2)
    offset = (seed & 0xFFFFFFFFFFFFFFFF) * _GOLDEN
    found_positions: list[np.ndarray] = []
    found_keys: list[np.ndarray] = []
    for first in range(start, start + n, _KEY_BLOCK):
        m = min(_KEY_BLOCK, start + n - first)
        zb, tb = z[:m], t[:m]
        np.add(ramp[:m], np.uint64((first + offset) & 0xFFFFFFFFFFFFFFFF), out=zb)
        np.bitwise_xor(zb, np.right_shift(zb, shifts[0], out=tb), out=zb)
        np.multiply(zb, mix1, out=zb)
        np.bitwise_xor(zb, np.right_shift(zb, shifts[1], out=tb), out=zb)
        np.multiply(zb, mix2, out=zb)
        np.bitwise_xor(zb, np.right_shift(zb, shifts[2], out=tb), out=zb)
        if threshold >= 2**64:
            found_positions.append(np.arange(first, first + m, dtype=np.int64))
            found_keys.append(zb.copy())
            continue
        chosen = np.flatnonzero(zb < bound)
        if len(chosen):
            found_positions.append(chosen + first)
            found_keys.append(zb[chosen])
    if not found_positions:
        return np.empty(0, np.int64), np.empty(0, np.uint64)
    return np.concatenate(found_positions).astype(np.int64), np.concatenate(found_keys)


def sample_threshold(sample_rows: int, population_rows: int) -> int:
    """The key bound that keeps about `sample_rows` plus ten standard deviations of rows.

    Each partition keeps its rows under the bound (a Bernoulli sample of known rate); the merge
    keeps the `sample_rows` smallest keys, so the sample is the same however the table is cut.
    """
    if sample_rows >= population_rows:
        return 2**64
    expected = sample_rows + 10 * np.sqrt(sample_rows) + 10
    return min(2**64, int(2**64 * min(1.0, expected / population_rows)))


def read_batches(partition: Partition, batch_rows: int):
    """The partition's records as polars frames of at most `batch_rows` rows, in file order.

    Each batch is a slice of a lazy scan: polars decodes only the pages the slice covers.
    """
    scan = pl.scan_parquet(partition.path)
    for start in range(0, partition.rows, batch_rows):
        yield scan.slice(partition.file_offset + start, min(batch_rows, partition.rows - start)).collect()


def file_digest(path: str) -> str:
    """The SHA-256 of a file's bytes, what `sha256sum` prints for it."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def combine_fingerprints(digests: list[str]) -> str:
    """The table's fingerprint: SHA-256 over its files' digests, one per line, in the plan's order.

    `sha256sum FILES | cut -d' ' -f1 | sha256sum` reproduces it; it does not depend on how the
    table is cut into partitions or batches, nor on the engine or the memory limit.
    """
    digest = hashlib.sha256()
    for file_hash in digests:
        digest.update(file_hash.encode() + b"\n")
    return "sha256:" + digest.hexdigest()


def scan_partition(
    partition: Partition, options: ScanOptions
) -> tuple[PartitionSummary, list[np.ndarray], list[np.ndarray]]:
    """Profile, sample and hash one partition: (summary, record buckets, id buckets).

    Identifiers that strictly increase through the partition (integers or text, the usual case of
    a record number) are summed up by their first and last value instead of hashed keys: when the
    partitions' spans do not overlap, no identifier repeats, and nothing is bucketed for them.
    """
    partials: list[PartialProfile] = []
    samples: list[pl.DataFrame] = []
    records = _BucketWriter(options.bucket_bits, key_dtype(partition), partition.rows)
    ids = _BucketWriter(options.bucket_bits, key_dtype(partition), partition.rows)
    span = _IdSpan(options.id_column is not None)
    missing: list[np.ndarray] = []
    n_missing = 0
    start = partition.offset
    guide = options.guide
    for frame in read_batches(partition, options.batch_rows):
        first = start
        start += frame.height
        partial = partial_profile(frame, guide, hinted_counts(frame, options.value_hints, guide.counted))
        partials.append(partial)
        guide = _retuned(guide, partial)
        chosen, keys = sample_candidates(first, frame.height, options.seed, options.sample_threshold)
        if len(chosen):
            samples.append(
                frame[chosen - first].with_columns(pl.Series(POSITION, chosen), pl.Series(SAMPLE_KEY, keys))
            )
        record = frame.select(options.record_columns)
        records.add(_row_hash(record, 0), _row_hash(record, 1), first)
        if options.id_column is not None:
            column = frame.get_column(options.id_column)
            present = column.is_not_null()
            n_present = int(present.sum())
            if n_present < frame.height:
                positions = np.arange(first, start, dtype=np.int64)
                absent = positions[~present.to_numpy()]
                n_missing += len(absent)
                if sum(len(m) for m in missing) < MAX_ROWS_LISTED:
                    missing.append(absent[:MAX_ROWS_LISTED])
                column, kept = column.filter(present), positions[present.to_numpy()]
            else:
                kept = first  # consecutive positions, from the first
            for held, held_positions in span.add(column, kept):  # what is no longer summed up by a span
                ids.add(_value_hash(held, 0), _value_hash(held, 1), held_positions)
    empty_rows = np.empty(0, np.int64)
    id_span = span.finished()
    summary = PartitionSummary(
        index=partition.index,
        partial=combine_partials(partials),
        sample=pl.concat(samples, how="vertical") if samples else pl.DataFrame(),
        missing_ids=(
            RepeatedKeys(n_rows=n_missing, rows=np.concatenate([empty_rows, *missing])[:MAX_ROWS_LISTED])
            if options.id_column is not None
            else None
        ),
        id_span=id_span,
        id_keys=ids.count,
    )
    return summary, records.buckets(), ids.buckets()


def id_buckets(partition: Partition, options: ScanOptions) -> list[np.ndarray]:
    """The hashed keys of one partition's identifiers alone, bucketed: what a pass whose
    identifier spans overlap reads again (one column, so a small part of the first pass's cost)."""
    ids = _BucketWriter(options.bucket_bits, key_dtype(partition), partition.rows)
    start = partition.offset
    assert options.id_column is not None
    scan = pl.scan_parquet(partition.path).select(options.id_column)
    for offset in range(0, partition.rows, options.batch_rows):
        n = min(options.batch_rows, partition.rows - offset)
        column = scan.slice(partition.file_offset + offset, n).collect().to_series()
        positions = np.arange(start, start + n, dtype=np.int64)
        start += n
        present = column.is_not_null()
        if int(present.sum()) < n:
            column, positions = column.filter(present), positions[present.to_numpy()]
        ids.add(_value_hash(column, 0), _value_hash(column, 1), positions)
    return ids.buckets()


# Known values up to which a column is counted by comparing it with each of them rather than grouped:
# on 1,048,576 records, one comparison and its sum cost about 0.05 ms on integers and 0.9 ms on
# short text, a group-by 4.7 ms on an int8 column and 8 ms on text.
HINTED_VALUES = {"integer": 32, "text": 8}


def value_hints(partial: PartialProfile) -> dict[str, tuple[Any, ...]]:
    """The values of the counted integer, boolean and text columns of `partial` that are few enough
    to be counted by comparison (`HINTED_VALUES`); floating-point columns are left to the group-by,
    whose equality of NaN and signed zeros a comparison does not share."""
    hints: dict[str, tuple[Any, ...]] = {}
    for name, dtype, values in zip(partial.names, partial.dtypes, partial.values, strict=True):
        if not values:
            continue
        if dtype.is_integer() or dtype == pl.Boolean:
            limit = HINTED_VALUES["integer"]
        elif dtype == pl.String:
            limit = HINTED_VALUES["text"]
        else:
            continue
        if len(values) <= limit:
            hints[name] = tuple(values)
    return hints


def hinted_counts(
    frame: pl.DataFrame, hints: Mapping[str, tuple[Any, ...]], counted: frozenset[str]
) -> dict[str, dict[Any, int]]:
    """The exact value counts of the hinted columns whose every present value is a hinted one.

    One `select` sums each column's equality with each hinted value beside its count of present
    values; a column with a value outside its hints (the sums fall short of the count) is left out,
    and the profile groups it as usual. Values that no record of the batch holds are left out, as
    a group-by leaves them out.
    """
    columns = [c for c in hints if c in counted and c in frame.schema]
    if not columns:
        return {}
    exprs: list[pl.Expr] = []
    for i, c in enumerate(columns):
        exprs.append(pl.col(c).count().alias(f"{i}"))
        exprs += [pl.col(c).eq(v).sum().alias(f"{i}|{k}") for k, v in enumerate(hints[c])]
    row = iter(frame.select(exprs).row(0))
    known: dict[str, dict[Any, int]] = {}
    for c in columns:
        present = int(next(row))
        sums = [int(next(row)) for _ in hints[c]]
        if sum(sums) == present:
            known[c] = {v: n for v, n in zip(hints[c], sums, strict=True) if n}
    return known


def spans_need_keys(summaries: list[PartitionSummary]) -> bool:
    """Whether the partitions summed up by identifier spans must be hashed after all: a span
    overlaps another, or other partitions gave keys (whose values a span cannot be compared with)."""
    spans = sorted((s.id_span for s in summaries if s.id_span is not None), key=lambda span: span[0])
    if not spans:
        return False
    if any(s.id_keys for s in summaries if s.id_span is None):
        return True
    return any(later[0] <= earlier[1] for earlier, later in itertools.pairwise(spans))


class _IdSpan:
    """Follows whether a partition's identifiers strictly increase, holding them (unhashed) while they do.

    `add` returns the identifiers that must be hashed: none while the order holds; all those held
    so far, then each new batch, once it breaks.
    """

    def __init__(self, active: bool) -> None:
        self.ordered = active
        self.first: Any = None
        self.last: Any = None
        self.held: list[tuple[pl.Series, np.ndarray | int]] = []

    def add(self, column: pl.Series, positions: np.ndarray | int) -> list[tuple[pl.Series, np.ndarray | int]]:
        if not len(column):
            return []
        if self.ordered and self._continues(column):
            self.first = column[0] if self.first is None else self.first
            self.last = column[-1]
            self.held.append((column, positions))
            return []
        self.ordered = False
        released, self.held = [*self.held, (column, positions)], []
        return released

    def _continues(self, column: pl.Series) -> bool:
        if not (column.dtype.is_integer() or column.dtype == pl.String):
            return False
        if self.last is not None and column[0] <= self.last:
            return False
        return len(column) == 1 or bool((column.slice(1) > column.slice(0, len(column) - 1)).all())

    def finished(self) -> tuple[Any, Any] | None:
        return (self.first, self.last) if self.ordered and self.first is not None else None


def key_dtype(partition: Partition) -> np.dtype:
    """The key records of a partition: compact while its positions fit 32 bits."""
    return KEY_DTYPE if partition.offset + partition.rows <= 2**32 else WIDE_KEY_DTYPE


class _BucketWriter:
    """Keys of one partition, split into hash buckets by the top bits of their first hash.

    Each batch's hashes are packed into the partition's key records as they come; at the end the
    records are ordered by bucket with one stable radix sort of the bucket numbers and one
    gather of whole records: each bucket is a slice of that one array. The packing block is taken
    from (and given back to) a small free list: a fresh block per partition is mapped page by page
    again, and the kernel wrote 16 bytes a record into it.
    """

    def __init__(self, bits: int, dtype: np.dtype, capacity: int) -> None:
        self.bits, self.dtype, self.capacity = bits, dtype, capacity
        self.block: np.ndarray | None = None  # taken by the first batch that gives keys
        self.count = 0

    def add(self, h1: pl.Series, h2: pl.Series, positions: np.ndarray | int) -> None:
        """Pack a batch's keys; `positions` is an array, or the first of consecutive positions."""
        n = len(h1)
        if not n:
            return
        if self.block is None:
            self.block = _BLOCKS.take(self.dtype, self.capacity)
        block = self.block[self.count : self.count + n]
        block["h1"] = h1.to_numpy()
        block["h2"] = h2.to_numpy()  # its low 32 bits
        if isinstance(positions, int | np.integer):
            np.add(_ramp(n), positions, out=block["position"], casting="unsafe")
        else:
            block["position"] = positions
        self.count += n

    def buckets(self) -> list[np.ndarray]:
        n_buckets = 1 << self.bits
        if self.block is None:
            return [np.empty(0, self.dtype) for _ in range(n_buckets)]
        staged, self.block = self.block, None
        block = staged[: self.count]
        if not self.bits:
            kept = block.copy()  # the staged block goes back to the pool
            _BLOCKS.give(staged)
            return [kept]
        # one byte per bucket number while they fit one: numpy's radix sort then makes one pass, not two
        bucket = np.right_shift(
            block["h1"],
            np.uint64(64 - self.bits),
            out=np.empty(self.count, np.uint8 if self.bits <= 8 else np.uint16),
            casting="unsafe",
        )
        order = np.argsort(bucket, kind="stable")
        ordered = _BLOCKS.take(self.dtype, self.count)
        np.take(block, order, out=ordered, mode="clip")  # in range: no check
        _BLOCKS.give(staged)
        # where each bucket starts, by binary search of the sorted bucket numbers (bincount would widen
        # them to int64; probes of their own type, or numpy would convert the whole array)
        edges = np.searchsorted(np.take(bucket, order), np.arange(1, n_buckets, dtype=bucket.dtype))
        bounds = np.concatenate([[0], edges, [self.count]])
        return [ordered[bounds[b] : bounds[b + 1]] for b in range(n_buckets)]


def release_buckets(pieces: list[np.ndarray]) -> None:
    """Give the array under a partition's buckets back for the next partitions, once its pieces
    have been written out (the spill, past its budget) and are no longer referenced."""
    for piece in pieces:
        if piece.base is not None:
            _BLOCKS.give(piece.base)
            return


class _BlockPool:
    """A few key blocks kept for the next partitions: each scanning thread packs into one and
    gathers its buckets into another, and the spill gives back those it has written out."""

    def __init__(self, keep: int = 6) -> None:
        self.keep = keep
        self.free: list[np.ndarray] = []
        self.lock = threading.Lock()

    def take(self, dtype: np.dtype, capacity: int) -> np.ndarray:
        with self.lock:
            for i, block in enumerate(self.free):
                if block.dtype == dtype and len(block) >= capacity:
                    return self.free.pop(i)[:capacity]
        return np.empty(capacity, dtype=dtype)

    def give(self, block: np.ndarray) -> bool:
        """Keep `block` for another partition; False when the pool is full (then it is dropped)."""
        base = block if block.base is None else block.base
        with self.lock:
            if len(self.free) >= self.keep or not isinstance(base, np.ndarray):
                return False
            self.free.append(base)
            return True

    def clear(self) -> None:
        with self.lock:
            self.free.clear()


_BLOCKS = _BlockPool()


def release_block_pool() -> None:
    """Drop the kept key blocks (at the end of a pass: a process that goes on keeps no 16 MB
    blocks it no longer needs)."""
    _BLOCKS.clear()


_RAMP = [np.arange(0, dtype=np.int64)]  # one ramp, as long as the longest batch so far


def _ramp(n: int) -> np.ndarray:
    """0, 1, ..., n - 1 (int64): a slice of one shared ramp, grown when a batch is longer."""
    ramp = _RAMP[0]
    if len(ramp) < n:
        ramp = np.arange(n, dtype=np.int64)
        _RAMP[0] = ramp
    return ramp[:n]


def _retuned(guide: ProfileGuide, partial: PartialProfile) -> ProfileGuide:
    """Stop counting the values of a column that turned out to have many (sketch it instead)."""
    overflowed = {
        name for name, values in zip(partial.names, partial.values, strict=True) if values is None
    } & guide.counted
    if not overflowed:
        return guide
    return replace(guide, counted=guide.counted - overflowed)


def _row_hash(frame: pl.DataFrame, which: int) -> pl.Series:
    base = _HASH_SEEDS[which]
    return frame.hash_rows(seed=base)


def _value_hash(series: pl.Series, which: int) -> pl.Series:
    base = _HASH_SEEDS[which]
    return series.hash(seed=base)


def repeated_keys(pieces: list[np.ndarray]) -> RepeatedKeys:
    """Keys held by two records or more in one bucket: counts, first groups, first positions.

    The few records whose first hash repeats are found first (numpy's vectorised sort of the first
    hashes, then a table of the repeated ones' low bits); only those are sorted on all keys. Only
    the first hashes are copied out of the pieces (8 bytes a record, where joining whole keys
    first copied 24), and the candidates are taken from each piece where it lies.
    """
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return RepeatedKeys()
    if len({p.dtype for p in pieces}) > 1:
        pieces = [p.astype(WIDE_KEY_DTYPE) for p in pieces]
    ordered = np.concatenate([p["h1"] for p in pieces])
    ordered.sort()  # in place: the pieces themselves are probed below
    same = ordered[1:] == ordered[:-1]
    repeats = ordered[1:][same]  # each repeated hash once per extra copy
    if not len(repeats):
        return RepeatedKeys()
    del ordered, same
    # A record may hold a repeated first hash when its low bits mark a table of the repeated ones'
    # (1 MB at most, so that it stays in the core's cache): one gather per record, where a hash
    # lookup of every record cost twice as much. The table's false candidates (a few per cent of
    # the records when a bucket has many repeats) are then left out by a lookup among the few.
    size = int(np.clip(2 ** int(np.ceil(np.log2(64 * len(repeats)))), 2**12, 2**20))
    low = np.uint64(size - 1)
    table = np.zeros(size, dtype=bool)
    table[np.bitwise_and(repeats, low).view(np.int64)] = True
    taken = [p[np.take(table, np.bitwise_and(p["h1"], low).view(np.int64))] for p in pieces]
    candidates = np.concatenate(taken) if len(taken) > 1 else taken[0]
    repeats = repeats[np.r_[True, repeats[1:] != repeats[:-1]]]
    exact = pl.Series(candidates["h1"]).is_in(pl.Series(repeats, dtype=pl.UInt64).implode()).to_numpy()
    candidates = candidates[exact]
    candidates = candidates[_key_order(candidates)]
    h1, h2, positions = candidates["h1"], candidates["h2"], candidates["position"].astype(np.int64)
    same = np.zeros(len(positions) + 1, dtype=bool)  # same key as the next record
    same[:-2] = (h1[1:] == h1[:-1]) & (h2[1:] == h2[:-1])
    repeated = same[:-1] | np.r_[False, same[:-2]]
    if not repeated.any():
        return RepeatedKeys()
    h1, h2, positions = h1[repeated], h2[repeated], positions[repeated]
    new_run = np.ones(len(positions), dtype=bool)
    new_run[1:] = (h1[1:] != h1[:-1]) | (h2[1:] != h2[:-1])
    starts = np.flatnonzero(new_run)
    ends = np.r_[starts[1:], len(positions)]
    first = np.argsort(positions[starts], kind="stable")[:GROUPS_KEPT]
    groups = tuple(tuple(positions[starts[i] : ends[i]].tolist()) for i in first)
    group_sizes = (ends - starts).astype(np.int64)
    return RepeatedKeys(
        n_groups=len(starts),
        n_rows=len(positions),
        pairs=int((group_sizes * (group_sizes - 1) // 2).sum()),
        groups=groups,
        rows=np.sort(positions)[:MAX_ROWS_LISTED],
    )


def _key_order(keys: np.ndarray) -> np.ndarray:
    """The order of `keys` by first hash, second hash and position: what `np.lexsort` gives, by
    sorts from the least significant key up. Compact keys sort the second hash and the position
    as one 64-bit number: two sorts of whole numbers took a third of the time of lexsort's three
    indirect ones."""
    # positions are distinct, so the first sort needs no stability (numpy's quicksort, four times
    # faster than its stable sort on 64-bit numbers); the next ones keep the order of their ties
    if keys.dtype["position"].itemsize == 4:
        order = np.argsort((keys["h2"].astype(np.uint64) << np.uint64(32)) | keys["position"])
    else:
        order = np.argsort(keys["position"])
        order = order[np.argsort(keys["h2"][order], kind="stable")]
    return order[np.argsort(keys["h1"][order], kind="stable")]


def combine_repeated(parts: list[RepeatedKeys]) -> RepeatedKeys:
    """The repeated keys of the whole table from those of disjoint buckets (order-independent)."""
    groups = sorted((g for p in parts for g in p.groups), key=lambda g: g[0])[:GROUPS_KEPT]
    rows = [p.rows for p in parts if len(p.rows)]
    return RepeatedKeys(
        n_groups=sum(p.n_groups for p in parts),
        n_rows=sum(p.n_rows for p in parts),
        pairs=sum(p.pairs for p in parts),
        groups=tuple(groups),
        rows=np.sort(np.concatenate(rows))[:MAX_ROWS_LISTED] if rows else np.empty(0, np.int64),
    )


def combine_missing(parts: list[RepeatedKeys | None]) -> RepeatedKeys | None:
    """Missing identifiers of the whole table from the partitions' (in partition order)."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    rows = np.concatenate([p.rows for p in present])[:MAX_ROWS_LISTED]
    return RepeatedKeys(n_rows=sum(p.n_rows for p in present), rows=rows)


def combine_samples(samples: list[pl.DataFrame], sample_rows: int) -> pl.DataFrame:
    """The `sample_rows` candidates with the smallest keys, back in table order.

    Sample keys are distinct (splitmix64 is a bijection of the position), so the smallest
    `sample_rows` are those up to one bound, found among the keys alone; the candidates are then
    filtered where they are. Partitions come in table order with their candidates in position
    order, so no record is sorted (on 100,000 records of 50 columns, two full sorts took 0.4 s of
    the client's time on Dask).
    """
    present = [s for s in samples if s.height]
    if not present:
        return pl.DataFrame()
    keys = np.concatenate([s.get_column(SAMPLE_KEY).to_numpy() for s in present])
    if len(keys) > sample_rows:
        bound = np.partition(keys, sample_rows - 1)[sample_rows - 1]
        present = [s.filter(pl.col(SAMPLE_KEY) <= bound) for s in present]
    pooled = pl.concat(present, how="vertical", rechunk=True)
    if not pooled.get_column(POSITION).is_sorted():
        pooled = pooled.sort(POSITION)
    return pooled
