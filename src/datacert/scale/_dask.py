"""The whole-table pass on a Dask cluster: partitions profiled and hashed on the workers.

What runs where, and why it is cut this way (docs/scale.md gives the measured costs):
- the cluster (a LocalCluster when no scheduler is named) is started in a thread while the client
  reads the head of the table, and every worker imports the partition kernel as it starts
  (`preload`), so start-up overlaps the client's own first step instead of adding to it;
- one task per partition runs `scan_partition`; the client takes each partition's small summary
  (partial profile, sample candidates) as soon as it is done and folds the partials in partition
  order while the other partitions are still being scanned, so the merge costs no time of its own;
- the record and identifier hashes never leave the workers but for the shuffle: each bucket piece
  moves to the worker that reduces the bucket; there are about two buckets per worker (more when
  the table is large, so that a bucket stays under `BUCKET_ROWS` keys), so a small table is not cut
  into many tiny tasks the scheduler would spend more time on than the workers.
The partials are folded in the same order as on one machine, and the sample and the repeated keys
do not depend on the order or the bucket count, so the result equals the streaming engine's.
"""

from __future__ import annotations

import logging
import math
import resource
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from datacert.profile import PartialProfile, combine_partials
from datacert.scale._partition import (
    SAMPLE_KEY,
    PartitionSummary,
    ScanOptions,
    combine_fingerprints,
    combine_missing,
    combine_repeated,
    combine_samples,
    file_digest,
    id_buckets,
    repeated_keys,
    scan_partition,
    spans_need_keys,
)
from datacert.scale._pass import PassResult
from datacert.scale._source import ScaleInputError, SourcePlan

SCHEDULER_TIMEOUT = "10s"  # how long to try reaching a given scheduler before saying it is away
KERNEL = "datacert.scale._partition"  # the one module a worker needs: light (polars, numpy, the partial)
BUCKETS_PER_WORKER = 2  # reductions per worker on a small table: enough to balance, few tasks

# a worker process is one core: polars and BLAS threads in every worker would fight over the cores
ONE_THREAD = {
    "POLARS_MAX_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def dask_bucket_bits(workers: int) -> int:
    """The fewest bucket bits on a cluster: about two buckets per worker (a larger table gets more,
    so that a bucket stays small); each bucket costs one reduction task and one piece per partition."""
    return math.ceil(math.log2(max(1, BUCKETS_PER_WORKER * workers)))


@contextmanager
def dask_client(
    scheduler: str | None, workers: int | None, memory_limit: int | None
) -> Iterator[Callable[[], Any]]:
    """Connect to the scheduler (or start a LocalCluster) in a thread; yield a call that waits for it.

    The caller does its own first work (reading the head of the table) while the workers start and
    import the kernel. The cluster is closed on exit, after the start-up finished, even on error.
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ScaleInputError("the Dask engine needs the dask extra: pip install 'datacert[dask]'.") from None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="datacert-dask-start") as starter:
        starting = starter.submit(_connect, scheduler, workers, memory_limit)
        try:
            yield lambda: starting.result()[0]
        finally:
            if starting.exception() is None:
                client, cluster = starting.result()
                client.close()
                if cluster is not None:
                    cluster.close()


def _connect(scheduler: str | None, workers: int | None, memory_limit: int | None) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScaleInputError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__})."
            ) from None
    n = workers or 2
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=(memory_limit // n) if memory_limit else "auto",
        silence_logs=logging.ERROR,
        env=ONE_THREAD,
        preload=[KERNEL],
    )
    try:
        return Client(cluster), cluster
    except BaseException:
        cluster.close()
        raise


def worker_count(client: Any) -> int:
    return len(client.scheduler_info().get("workers", {}))


def _summary_of(scanned: tuple) -> PartitionSummary:
    """The summary without its sample candidates, which travel only when a sample is combined."""
    summary: PartitionSummary = scanned[0]
    return replace(summary, sample=summary.sample.clear())


def _sample_of(scanned: tuple) -> pl.DataFrame:
    """A partition's sample candidates, with their sample keys (combine_samples chooses by them)."""
    return scanned[0].sample


def _bucket_of(scanned: tuple, kind: int, bucket: int) -> np.ndarray:
    return scanned[kind][bucket]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def dask_pass(
    client: Any,
    plan: SourcePlan,
    options: ScanOptions,
    sample_rows: int,
    progress: Callable[[str], None] | None = None,
) -> PassResult:
    """Scan the partitions on the workers, shuffle and reduce the hash buckets there, merge on the client.

    What reaches the client: one partial profile and the sample candidates per partition, one
    digest per file, and the capped duplicate groups per bucket. The record hashes never do.
    """
    scanned = cluster_pass(client, plan, options, progress)
    return replace(scanned.result, sample=pooled_sample(client.gather(scanned.sample_parts), sample_rows))


def pooled_sample(parts: list[pl.DataFrame], sample_rows: int) -> pl.DataFrame:
    """The sample from the partitions' candidates, without the sample key (the streaming pass's)."""
    sample = combine_samples(parts, sample_rows)
    return sample.drop(SAMPLE_KEY) if SAMPLE_KEY in sample.columns else sample


@dataclass(frozen=True)
class ClusterPass:
    """The pass, its sample left on the workers: `result.sample` is empty, `sample_parts` are the
    futures of each partition's candidates in partition order (`combine_samples` takes them)."""

    result: PassResult
    sample_parts: list[Any]


def cluster_pass(
    client: Any,
    plan: SourcePlan,
    options: ScanOptions,
    progress: Callable[[str], None] | None = None,
) -> ClusterPass:
    """The whole-table pass on the workers; the client gets the partials, digests and counts.

    The sample candidates stay where they were scanned, so a sampled assay on the cluster never
    moves them through the client.
    """
    from distributed import as_completed

    workers = worker_count(client)
    if progress:
        progress(f"dask: {len(plan.partitions)} partitions on {workers} workers")
    cpu_before = client.run(_cpu_seconds)
    scanned = client.map(scan_partition, list(plan.partitions), options=options)
    digests = client.map(file_digest, list(plan.files))  # after the scans: they fill the workers' gaps
    summaries = client.map(_summary_of, scanned)
    sample_parts = client.map(_sample_of, scanned)
    records = _reductions(client, scanned, 1, options.buckets)
    ids = _reductions(client, scanned, 2, options.buckets) if options.id_column is not None else None
    del scanned  # the scan results stay on the workers only while their pieces are needed
    ordered, partial = _merged_in_order(summaries, as_completed, progress)
    if ids is not None and spans_need_keys(ordered):
        # identifier spans overlap: the identifiers alone are hashed again, on the workers
        client.cancel(ids)
        ids = _reductions(
            client, client.map(_id_keys, list(plan.partitions), options=options), 0, options.buckets
        )
    duplicate_records = combine_repeated(client.gather(records))
    repeated_ids = combine_repeated(client.gather(ids)) if ids is not None else None
    file_digests = client.gather(digests)
    cpu_after = client.run(_cpu_seconds)
    engine = {
        "name": "dask",
        "partitions": len(plan.partitions),
        "workers": workers,
        "buckets": options.buckets,
        "worker_cpu_seconds": sorted(round(cpu_after[w] - cpu_before.get(w, 0.0), 2) for w in cpu_after),
    }
    result = PassResult(
        partial=partial,
        sample=pl.DataFrame(),
        fingerprint=combine_fingerprints(file_digests),
        duplicate_records=duplicate_records,
        repeated_ids=repeated_ids,
        missing_ids=combine_missing([s.missing_ids for s in ordered]),
        engine=engine,
    )
    return ClusterPass(result, sample_parts)


def _id_keys(partition: Any, options: ScanOptions) -> tuple[list[np.ndarray]]:
    return (id_buckets(partition, options),)


def _reductions(client: Any, producers: list[Any], kind: int, buckets: int) -> list[Any]:
    """One reduction task per bucket over that bucket's piece of every producer (the shuffle)."""
    return [
        client.submit(repeated_keys, [client.submit(_bucket_of, p, kind, b) for p in producers])
        for b in range(buckets)
    ]


def _merged_in_order(
    summaries: list[Any], as_completed: Any, progress: Callable[[str], None] | None
) -> tuple[list[PartitionSummary], PartialProfile]:
    """The summaries in partition order, and their partials folded in that order as they arrive.

    A partial waits only until every partition before it arrived, so the client merges while the
    workers scan; the fold is the one `combine_partials` does, hence the same numbers.
    """
    arrived: dict[int, PartitionSummary] = {}
    ordered: list[PartitionSummary] = []
    merged: PartialProfile | None = None
    for done, future in enumerate(as_completed(summaries), start=1):
        summary = future.result()
        arrived[summary.index] = summary
        future.release()
        while len(ordered) in arrived:
            ready = arrived.pop(len(ordered))
            merged = ready.partial if merged is None else combine_partials([merged, ready.partial])
            ordered.append(ready)
        if progress:
            progress(f"partition {done}/{len(summaries)}")
    assert merged is not None and not arrived
    return ordered, merged
