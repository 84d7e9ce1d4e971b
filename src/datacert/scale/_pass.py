"""One pass over the whole table, on one machine (streaming with spilled hash buckets) or on Dask.

Both engines run the same kernels on the same partitions and merge their results in partition
order, so they return the same `PassResult` for the same table and options; only the facts about
how the work ran (`engine`) differ.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from datacert.artifacts import RepeatedKeys
from datacert.profile import PartialProfile, combine_partials
from datacert.scale._partition import (
    KEY_DTYPE,
    SAMPLE_KEY,
    WIDE_KEY_DTYPE,
    PartitionSummary,
    ScanOptions,
    combine_fingerprints,
    combine_missing,
    combine_repeated,
    combine_samples,
    file_digest,
    id_buckets,
    release_block_pool,
    release_buckets,
    repeated_keys,
    scan_partition,
    spans_need_keys,
    value_hints,
)
from datacert.scale._source import SourcePlan


@dataclass(frozen=True)
class PassResult:
    """What the pass learnt about the whole table."""

    partial: PartialProfile  # merged from every partition, finished with the sample's profile
    sample: pl.DataFrame  # the seeded sample in table order, with its positions column
    fingerprint: str
    duplicate_records: RepeatedKeys
    repeated_ids: RepeatedKeys | None
    missing_ids: RepeatedKeys | None
    engine: dict[str, Any] = field(default_factory=dict)  # how it ran: kept in the certificate's `run`


def _finish(
    summaries: list[PartitionSummary],
    digests: list[str],
    records: list[RepeatedKeys],
    ids: list[RepeatedKeys] | None,
    sample_rows: int,
    engine: dict[str, Any],
    plan: SourcePlan | None = None,
    options: ScanOptions | None = None,
) -> PassResult:
    """Merge the partitions' results in partition order.

    When partitions summed their identifiers up by spans that overlap (or beside partitions that
    hashed theirs), the identifiers alone are read again and counted here (`id_pass`): given the
    plan and options, the result does not depend on the engine.
    """
    summaries = sorted(summaries, key=lambda s: s.index)
    sample = combine_samples([s.sample for s in summaries], sample_rows)
    if ids is not None and spans_need_keys(summaries):
        if plan is None or options is None:
            raise ValueError("overlapping identifier spans: the plan and options are needed to count them")
        ids = id_pass(plan, options)
    return PassResult(
        partial=combine_partials([s.partial for s in summaries]),
        sample=sample.drop(SAMPLE_KEY) if SAMPLE_KEY in sample.columns else sample,
        fingerprint=combine_fingerprints(digests),
        duplicate_records=combine_repeated(records),
        repeated_ids=combine_repeated(ids) if ids is not None else None,
        missing_ids=combine_missing([s.missing_ids for s in summaries]),
        engine=engine,
    )


class _Spill:
    """Hash buckets (16 bytes per record and key kind): held in memory up to `budget` bytes, on
    local disk past it, read back one bucket at a time.

    A partition's pieces are all held or all written (they are slices of one gathered array, so
    holding one piece holds them all). Holding saves the page-cache copy and file-system work of
    writing and reading them again (0.036 us per record on ext4, measured on a busy machine), but
    each held partition takes fresh pages, which the kernel maps and zeroes: on the 20,000,000-row
    benchmark table, holding every key cost 3 % more CPU than spilling every key (6.12 vs 5.93 s,
    4 rounds alternated), so the budget stays where it is rather than growing.
    """

    def __init__(self, folder: Path, buckets: int, budget: int = 0) -> None:
        self.folder, self.buckets, self.budget = folder, buckets, budget
        self.written: dict[str, int] = {}
        self.held: dict[tuple[str, int], list[np.ndarray]] = {}
        self.held_bytes = 0

    def _path(self, kind: str, bucket: int, dtype: np.dtype) -> Path:
        return self.folder / f"{kind}-{bucket:05d}-{dtype.itemsize}.keys"

    def append(self, kind: str, pieces: list[np.ndarray]) -> None:
        size = sum(piece.nbytes for piece in pieces)
        hold = self.held_bytes + size <= self.budget
        if hold:
            self.held_bytes += size
        for bucket, piece in enumerate(pieces):
            if len(piece):
                if hold:
                    self.held.setdefault((kind, bucket), []).append(piece)
                else:
                    with open(self._path(kind, bucket, piece.dtype), "ab") as handle:
                        piece.tofile(handle)
                self.written[kind] = self.written.get(kind, 0) + len(piece)
        if not hold:
            release_buckets(pieces)

    def read(self, kind: str, bucket: int) -> list[np.ndarray]:
        """The bucket's keys: from disk, one array per key layout (compact, then wide positions),
        then the pieces held in memory (the reduction does not depend on their order)."""
        paths = ((self._path(kind, bucket, d), d) for d in (KEY_DTYPE, WIDE_KEY_DTYPE))
        on_disk = [np.fromfile(path, dtype=d) for path, d in paths if path.exists()]
        return on_disk + self.held.get((kind, bucket), [])

    def reduce(self, kind: str, threads: int) -> list[RepeatedKeys]:
        """Each bucket's repeated keys, `threads` buckets at a time (numpy's sort releases the GIL)."""
        if not self.written.get(kind):
            return [RepeatedKeys() for _ in range(self.buckets)]
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            return list(pool.map(lambda b: repeated_keys(self.read(kind, b)), range(self.buckets)))


def stream_pass(
    plan: SourcePlan,
    options: ScanOptions,
    sample_rows: int,
    progress: Callable[[str], None] | None = None,
    threads: int = 1,
    key_budget: int = 0,
) -> PassResult:
    """Scan the partitions, `threads` at a time; hash buckets wait in memory up to `key_budget`
    bytes and on disk past it, so memory stays bounded.

    With two threads the numpy steps of one partition (sample keys, buckets) run while polars works
    on the other (both release the interpreter lock). Results are merged in partition order, so the
    outcome does not depend on `threads`. The files' digests are computed beside the scan, in a
    thread of their own.
    """
    with (
        tempfile.TemporaryDirectory(prefix="datacert-keys-") as folder,
        ThreadPoolExecutor(max_workers=1) as hasher,
        ThreadPoolExecutor(max_workers=max(1, threads)) as scanner,
    ):
        digests = [hasher.submit(file_digest, path) for path in plan.files]
        spill = _Spill(Path(folder), options.buckets, key_budget)
        summaries: list[PartitionSummary] = []
        pending: deque[Future] = deque()
        partitions = iter(plan.partitions)
        for partition in partitions:
            pending.append(scanner.submit(scan_partition, partition, options))
            if len(pending) >= max(1, threads):
                break
        while pending:
            summary, records, ids = pending.popleft().result()
            if not options.value_hints:  # later partitions count the few values seen so far by comparison
                options = replace(options, value_hints=value_hints(summary.partial))
            nxt = next(partitions, None)
            if nxt is not None:
                pending.append(scanner.submit(scan_partition, nxt, options))
            if progress:
                progress(f"partition {summary.index + 1}/{len(plan.partitions)}")
            spill.append("records", records)
            spill.append("ids", ids)
            summaries.append(summary)
        release_block_pool()
        record_results = spill.reduce("records", threads)
        id_results = spill.reduce("ids", threads) if options.id_column is not None else None
        file_digests = [d.result() for d in digests]
    engine = {
        "name": "streaming",
        "partitions": len(plan.partitions),
        "batch_rows": options.batch_rows,
        "threads": max(1, threads),
    }
    return _finish(
        summaries, file_digests, record_results, id_results, sample_rows, engine, plan=plan, options=options
    )


def id_pass(plan: SourcePlan, options: ScanOptions, threads: int = 1) -> list[RepeatedKeys]:
    """The repeated identifiers of the whole table from its identifier column alone, bucket by bucket."""
    with (
        tempfile.TemporaryDirectory(prefix="datacert-ids-") as folder,
        ThreadPoolExecutor(max_workers=max(1, threads)) as scanner,
    ):
        spill = _Spill(Path(folder), options.buckets)
        for buckets in scanner.map(lambda p: id_buckets(p, options), plan.partitions):
            spill.append("ids", buckets)
        release_block_pool()
        return spill.reduce("ids", threads)
