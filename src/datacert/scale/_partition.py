"""What runs on one partition, and what runs on one hash bucket: the kernels every engine schedules.

A partition is read in batches of bounded size. Each batch gives a partial profile (its mergeable
sufficient statistics, merged into the partition's), the candidates of the seeded sample, and two
64-bit hashes per record (the whole record but its id, and the id) with the record's whole-table position.
The hashes are split into buckets by their top bits: a bucket holds every copy of a key, so
duplicates are counted one bucket at a time, wherever the bucket lives (a spill file, a worker).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from datacert.artifacts import RepeatedKeys
from datacert.findings import MAX_ROWS_LISTED
from datacert.profile import PartialProfile, ProfileGuide, combine_partials, partial_profile
from datacert.scale._source import Partition

KEY_DTYPE = np.dtype([("h1", "<u8"), ("h2", "<u8"), ("position", "<i8")])
Keys = tuple[np.ndarray, np.ndarray, np.ndarray]  # (first hash, second hash, position), contiguous
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


def sample_keys(positions: np.ndarray, seed: int) -> np.ndarray:
    """A seeded pseudo-random 64-bit key per whole-table position (splitmix64 finaliser).

    Written out because it must not depend on a library version or on how the table is
    partitioned: the same row gets the same key on one machine and on a cluster.
    """
    z = positions.astype(np.uint64) + np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


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
    """Profile, sample and hash one partition: (summary, record buckets, id buckets)."""
    partials: list[PartialProfile] = []
    samples: list[pl.DataFrame] = []
    record_keys: list[Keys] = []
    id_keys: list[Keys] = []
    missing: list[np.ndarray] = []
    n_missing = 0
    start = partition.offset
    threshold = np.uint64(min(options.sample_threshold, 2**64 - 1))
    guide = options.guide
    for frame in read_batches(partition, options.batch_rows):
        positions = np.arange(start, start + frame.height, dtype=np.int64)
        start += frame.height
        partial = partial_profile(frame, guide)
        partials.append(partial)
        guide = _retuned(guide, partial)
        keys = sample_keys(positions, options.seed)
        chosen = keys < threshold if options.sample_threshold < 2**64 else np.ones(len(keys), bool)
        if chosen.any():
            mask = pl.Series(chosen)
            samples.append(
                frame.filter(mask).with_columns(
                    pl.Series(POSITION, positions[chosen]), pl.Series(SAMPLE_KEY, keys[chosen])
                )
            )
        record = frame.select(options.record_columns)
        record_keys.append(_keys(_row_hash(record, 0), _row_hash(record, 1), positions))
        if options.id_column is not None:
            ids = frame.get_column(options.id_column)
            present = ids.is_not_null().to_numpy()
            n_missing += int((~present).sum())
            if sum(len(m) for m in missing) < MAX_ROWS_LISTED:
                missing.append(positions[~present][:MAX_ROWS_LISTED])
            kept = ids.filter(pl.Series(present))
            id_keys.append(_keys(_value_hash(kept, 0), _value_hash(kept, 1), positions[present]))
    empty_rows = np.empty(0, np.int64)
    summary = PartitionSummary(
        index=partition.index,
        partial=combine_partials(partials),
        sample=pl.concat(samples, how="vertical") if samples else pl.DataFrame(),
        missing_ids=(
            RepeatedKeys(n_rows=n_missing, rows=np.concatenate([empty_rows, *missing])[:MAX_ROWS_LISTED])
            if options.id_column is not None
            else None
        ),
    )
    return summary, _buckets(record_keys, options.bucket_bits), _buckets(id_keys, options.bucket_bits)


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


def _keys(h1: pl.Series, h2: pl.Series, positions: np.ndarray) -> Keys:
    return h1.to_numpy(), h2.to_numpy(), positions


def _buckets(parts: list[Keys], bits: int) -> list[np.ndarray]:
    """Split keys by the top bits of their first hash: every copy of a key lands in one bucket.

    Fields are gathered as contiguous arrays (numpy gathers a structured array ten times slower),
    then packed into one 24-byte record per key, the form buckets travel and spill in.
    """
    h1, h2, position = (
        (np.concatenate([p[i] for p in parts]) for i in range(3))
        if parts
        else (np.empty(0, np.uint64), np.empty(0, np.uint64), np.empty(0, np.int64))
    )
    bucket = (h1 >> np.uint64(64 - bits)).astype(np.uint16) if bits else np.zeros(len(h1), np.uint16)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange((1 << bits) + 1))
    h1, h2, position = h1[order], h2[order], position[order]
    out = []
    for b in range(1 << bits):
        lo, hi = bounds[b], bounds[b + 1]
        block = np.empty(hi - lo, dtype=KEY_DTYPE)
        block["h1"], block["h2"], block["position"] = h1[lo:hi], h2[lo:hi], position[lo:hi]
        out.append(block)
    return out


def repeated_keys(pieces: list[np.ndarray]) -> RepeatedKeys:
    """Keys held by two records or more in one bucket: counts, first groups, first positions.

    The few records whose first hash repeats are found first; only those are sorted on all keys.
    """
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return RepeatedKeys()
    keys = np.concatenate(pieces)
    first_hash = pl.Series(keys["h1"])
    ordered = first_hash.sort().to_numpy()  # polars sorts, then probes a small set: 2x its is_duplicated
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    candidates = keys[first_hash.is_in(pl.Series(repeats, dtype=pl.UInt64).implode()).to_numpy()]
    if not len(candidates):
        return RepeatedKeys()
    candidates = candidates[np.lexsort((candidates["position"], candidates["h2"], candidates["h1"]))]
    h1, h2, positions = candidates["h1"], candidates["h2"], candidates["position"]
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
    """The `sample_rows` candidates with the smallest keys, back in table order."""
    present = [s for s in samples if s.height]
    if not present:
        return pl.DataFrame()
    pooled = pl.concat(present, how="vertical")
    return pooled.sort(SAMPLE_KEY).head(sample_rows).sort(POSITION)
