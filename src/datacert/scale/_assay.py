"""`check` on a table too large for memory: one pass over the whole table, the usual assay on a sample.

The pass (streaming on one machine, or Dask) gives the whole-table profile, the whole-table
duplicate and identifier counts, a content fingerprint and a seeded sample of the records. The
existing assay then runs on a Dataset of the sample, given the whole-table profile and, through
the artifacts store, the whole-table counts. The certificate speaks of the whole table: its row
count, its fingerprint, whole-table positions in findings, and what was sampled.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from datacert.artifacts import Artifacts, Population, RepeatedKeys
from datacert.certificate import Certificate
from datacert.checks import CheckOutcome
from datacert.dataset import Dataset, build_dataset, infer_id, validate_roles
from datacert.io import LoadedTable
from datacert.policy import Policy
from datacert.profile import PartialProfile, Profile, compute_profile, finish_profile, profile_guide
from datacert.roles import Roles
from datacert.scale._dask import (
    cluster_pass,
    dask_bucket_bits,
    dask_client,
    dask_pass,
    pooled_sample,
    worker_count,
)
from datacert.scale._partition import POSITION, ScanOptions, read_batches, sample_threshold
from datacert.scale._pass import PassResult, stream_pass
from datacert.scale._source import ScaleInputError, SourcePlan, is_partitioned_source, plan_source

Engine = Literal["streaming", "dask"]
SAMPLE_ROWS = 100_000  # records the sampled checks see; their own row budgets apply on top
HEAD_ROWS = 100_000  # records the roles (the id above all) are inferred from, before the pass
BATCH_ROWS = (
    1_048_576  # the batch a partition is read in (a usual row group), unless the memory limit asks for less
)
BATCH_OVERHEAD = 16  # bytes held while profiling a batch, per decoded byte (copies, hashes, sorts)
STREAM_THREADS = min(2, os.cpu_count() or 1)  # partitions scanned at once on one machine
KEY_BUDGET = 512 * 2**20  # keys held in memory without --memory-limit (32 million records) before spilling
BUCKET_ROWS = 4_000_000  # keys a hash bucket holds on average (96 MB): what one reduction loads
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_memory_limit(text: str) -> int:
    """Bytes from '4GB', '512MB', '4G', '4GiB' or a plain number of bytes."""
    match = _SIZE.match(text or "")
    if not match:
        raise ScaleInputError(f"--memory-limit {text!r} is not a size; write it like 4GB or 512MB.")
    unit = (match.group(2) or "").lower()
    scale = _UNITS[unit[:1]] if "i" not in unit else 1024 ** " kmgt".index(unit[:1])
    value = int(float(match.group(1)) * scale)
    if value < 64 * 2**20:
        raise ScaleInputError(f"--memory-limit {text!r} is too small: give at least 64MB.")
    return value


def batch_rows_for(plan: SourcePlan, memory_limit: int | None, in_flight: int = 1) -> int:
    """The batch size: `BATCH_ROWS`, smaller when the working sets of the batches in flight would
    pass half the limit."""
    if not memory_limit:
        return BATCH_ROWS
    fitting = int(memory_limit / 2 / in_flight / max(1.0, plan.bytes_per_row * BATCH_OVERHEAD))
    return max(1_000, min(BATCH_ROWS, fitting))


def key_budget_for(memory_limit: int | None) -> int:
    """Bytes of hash keys the streaming pass holds in memory before it spills: a quarter of the
    limit (the batches in flight take up to half), `KEY_BUDGET` without one."""
    return memory_limit // 4 if memory_limit else KEY_BUDGET


def bucket_bits_for(rows: int, least: int = 4) -> int:
    """Hash buckets as a power of two: `2**least` at least (16 spill files on one machine), enough
    that each holds about `BUCKET_ROWS` keys."""
    return max(least, min(14, int(np.ceil(np.log2(max(1, rows) / BUCKET_ROWS)))))


def check_partitioned(
    source: Any,
    roles: Roles | None = None,
    policy: Policy | None = None,
    *,
    engine: Engine = "streaming",
    memory_limit: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
    reference: Any = None,
    schema: Any = None,
    progress: Callable[[str], None] | None = None,
    campaign: Mapping[str, int] | None = None,
) -> Certificate:
    """Certify a Parquet file, folder or glob of any size: whole-table pass, then checks on a sample."""
    from datacert.assay import certify
    from datacert.reference_population import load_reference

    roles = roles or Roles()
    declared = _declared(schema)
    if reference is not None:
        reference = load_reference(reference, roles.sensitive)
    if engine == "dask":
        return _dask_check(
            source,
            roles,
            policy or Policy(),
            memory_limit=memory_limit,
            scheduler=scheduler,
            workers=workers,
            sample_rows=sample_rows,
            seed=seed,
            reference=reference,
            declared=declared,
            progress=progress,
            campaign=campaign,
        )
    plan, head, result = whole_table_pass(
        source,
        roles,
        engine=engine,
        memory_limit=memory_limit,
        scheduler=scheduler,
        workers=workers,
        sample_rows=sample_rows,
        seed=seed,
        declared=declared,
        progress=progress,
    )
    inputs = sample_inputs(
        plan,
        result.sample,
        head.roles,
        head.inferred,
        _counts(plan, result),
        result.partial,
        reference,
        declared,
    )
    Artifacts.of(inputs.dataset).supply("population", inputs.population)
    certificate = certify(
        inputs.dataset, policy or Policy(), progress=progress, profile=inputs.profile, campaign=campaign
    )
    return _whole_table_certificate(
        certificate, plan, result, inputs.population.positions, seed, memory_limit, _whole_table_checks()
    )


def whole_table_pass(
    source: Any,
    roles: Roles,
    *,
    engine: Engine = "streaming",
    memory_limit: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
    declared: Any = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[SourcePlan, Dataset, PassResult]:
    """Plan the source, infer roles on its first records, and scan the whole table once.

    On Dask the cluster starts (its workers importing the partition kernel) while the client reads
    the head, so start-up and the head overlap; the plan comes first, from the footers alone, so a
    source that cannot be read is said before any worker starts.
    """
    started = time.perf_counter()
    plan = plan_source(source)
    if engine == "dask":
        with dask_client(scheduler, workers, memory_limit) as connected:
            frame = _head_frame(plan)
            options = _scan_options(plan, frame, _id_column(frame, roles), sample_rows, seed, memory_limit, 1)
            planned = time.perf_counter()
            client = connected()
            connected_at = time.perf_counter()
            least = dask_bucket_bits(worker_count(client))
            options = replace(options, bucket_bits=bucket_bits_for(plan.rows, least=least))
            # the head's types and other roles are inferred while the workers scan
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="datacert-head") as side:
                building = side.submit(_head_dataset, plan, frame, roles, declared)
                result = dask_pass(client, plan, options, sample_rows, progress)
                head = building.result()
            assert head.roles.id == options.id_column, "one inference: infer_id, which build_dataset calls"
        seconds = {
            "plan_and_head": round(planned - started, 3),
            "waiting_for_workers": round(connected_at - planned, 3),
            "pass": round(time.perf_counter() - connected_at, 3),
        }
    elif engine == "streaming":
        head, options = _head_and_options(
            plan, roles, declared, sample_rows, seed, memory_limit, STREAM_THREADS
        )
        planned = time.perf_counter()
        budget = key_budget_for(memory_limit)
        result = stream_pass(plan, options, sample_rows, progress, threads=STREAM_THREADS, key_budget=budget)
        seconds = {
            "plan_and_head": round(planned - started, 3),
            "pass": round(time.perf_counter() - planned, 3),
        }
    else:
        raise ScaleInputError(f"unknown engine {engine!r}: use streaming or dask.")
    return plan, head, replace(result, engine={**result.engine, "seconds": seconds})


def _head_and_options(
    plan: SourcePlan,
    roles: Roles,
    declared: Any,
    sample_rows: int,
    seed: int,
    memory_limit: int | None,
    in_flight: int,
) -> tuple[Dataset, ScanOptions]:
    """The head's Dataset, and what every partition computes (fixed before the pass)."""
    frame = _head_frame(plan)
    head = _head_dataset(plan, frame, roles, declared)
    return head, _scan_options(plan, frame, head.roles.id, sample_rows, seed, memory_limit, in_flight)


def _scan_options(
    plan: SourcePlan,
    frame: pl.DataFrame,
    id_column: str | None,
    sample_rows: int,
    seed: int,
    memory_limit: int | None,
    in_flight: int,
) -> ScanOptions:
    """What every partition computes, from the head's records and the id column alone."""
    return ScanOptions(
        record_columns=tuple(c for c in frame.columns if c != id_column),
        id_column=id_column,
        sample_threshold=sample_threshold(sample_rows, plan.rows),
        seed=seed,
        batch_rows=batch_rows_for(plan, memory_limit, in_flight),
        bucket_bits=bucket_bits_for(plan.rows),
        guide=profile_guide(frame),
    )


def _id_column(frame: pl.DataFrame, roles: Roles) -> str | None:
    """The id the pass hashes: the given one, or the one build_dataset will infer from the head."""
    validate_roles(frame, roles)
    if roles.id:
        return roles.id
    inferred = infer_id(frame, roles)
    return inferred["column"] if inferred else None


def _declared(schema: Any) -> Any:
    """A DeclaredSchema from what `check` accepts: None, a DeclaredSchema, a mapping or a file."""
    from datacert.declared_schema import DeclaredSchema, load_table_schema, parse_table_schema

    if schema is None or isinstance(schema, DeclaredSchema):
        return schema
    return parse_table_schema(schema) if isinstance(schema, Mapping) else load_table_schema(schema)


def _head_dataset(plan: SourcePlan, frame: pl.DataFrame, roles: Roles, declared: Any) -> Dataset:
    """The head's roles and semantic types, inferred once (the sample's Dataset takes them)."""
    return build_dataset(LoadedTable(frame, "parquet", plan.files[0]), roles, declared_schema=declared)


def _head_frame(plan: SourcePlan) -> pl.DataFrame:
    """The first `HEAD_ROWS` records: roles, types and the profile guide are read from them."""
    frames: list[pl.DataFrame] = []
    held = 0
    for partition in plan.partitions:
        for frame in read_batches(partition, HEAD_ROWS - held):
            frames.append(frame)
            held += frame.height
            if held >= HEAD_ROWS:
                break
        if held >= HEAD_ROWS:
            break
    return pl.concat(frames, how="vertical")


@dataclass(frozen=True)
class SampleInputs:
    """What the assay of a sampled run starts from: the sample's Dataset, the whole-table profile
    and the population behind the sample (its positions and the whole-table counts)."""

    dataset: Dataset
    profile: Profile
    population: Population


@dataclass(frozen=True)
class PopulationCounts:
    """The whole-table counts of the pass, handed to the checks through the `population` artifact."""

    rows: int
    duplicate_records: RepeatedKeys
    repeated_ids: RepeatedKeys | None
    missing_ids: RepeatedKeys | None


def _counts(plan: SourcePlan, result: PassResult) -> PopulationCounts:
    return PopulationCounts(plan.rows, result.duplicate_records, result.repeated_ids, result.missing_ids)


def sample_inputs(
    plan: SourcePlan,
    sample: pl.DataFrame,
    roles: Roles,
    inferred: Mapping[str, Any],
    counts: PopulationCounts,
    partial: PartialProfile,
    reference: Any,
    declared: Any,
) -> SampleInputs:
    """The sample's Dataset (the head's roles, the sample's types) and the whole-table profile:
    whole-table column statistics; quantiles, high-cardinality top values and per-record arrays
    (null counts, hashes) from the sample (the in-memory profile itself when the sample is all)."""
    table = LoadedTable(sample.drop(POSITION), "parquet", plan.files[0], {"partitions": len(plan.partitions)})
    dataset = build_dataset(table, roles, infer_roles=False, reference=reference, declared_schema=declared)
    dataset = replace(dataset, inferred=dict(inferred), _cache={})
    types = dict(dataset.semantic_types)
    profile = finish_profile(partial, compute_profile(dataset.frame, types), types)
    population = Population(
        rows=counts.rows,
        positions=sample.get_column(POSITION).to_numpy(),
        duplicate_records=counts.duplicate_records,
        repeated_ids=counts.repeated_ids,
        missing_ids=counts.missing_ids,
    )
    return SampleInputs(dataset, profile, population)


def _whole_table_certificate(
    certificate: Certificate,
    plan: SourcePlan,
    result: PassResult,
    positions: np.ndarray,
    seed: int,
    memory_limit: int | None,
    whole_table: frozenset[str],
) -> Certificate:
    """Name the whole table, map sample rows back to whole-table positions, say what was sampled."""
    from datacert.audit.lineage import lineage_block

    findings = [
        f
        if f.check in whole_table or not f.rows
        else replace(f, rows=tuple(int(positions[r]) for r in f.rows))
        for f in certificate.findings
    ]
    dataset = {
        **dict(certificate.dataset),
        "path": Path(plan.spec).name,  # the file, folder or pattern name: no host path
        "fingerprint": result.fingerprint,
        "format": "parquet",
        "rows": plan.rows,
        "files": len(plan.files),
    }
    sampling = {
        "population_rows": plan.rows,
        "sampled_rows": len(positions),
        "seed": seed,
        "method": "seeded uniform sample of records (the smallest keys of a hash of the record position)",
        "whole_table": [*sorted(whole_table), "profile"],
    }
    profile = {**dict(certificate.profile), "population_rows": plan.rows, "sampling": sampling}
    extra = {**dict(certificate.extra), "lineage": lineage_block({"dataset": dataset})}
    run = dict(certificate.run)
    run["engine"] = {**result.engine, "memory_limit": memory_limit}
    return replace(certificate, dataset=dataset, findings=findings, profile=profile, extra=extra, run=run)


def _whole_table_checks() -> frozenset[str]:
    """The checks that count on the whole table (they read the `population` artifact)."""
    from datacert.checks import load_all_checks

    return frozenset(cid for cid, cls in load_all_checks().items() if "population" in cls.needs.artifacts)


# ----------------------------------------------------------------------------------------------
# the Dask engine's check: the pass, then the assay of the sample on the workers
# ----------------------------------------------------------------------------------------------

# the checks' weights are their classes' `sample_cpu_seconds`; the checks that share the reference
# model go together, with the fit counted once
FIT_COST = 2.5  # the shared reference fit (its design matrix, folds and candidate models)
CERTIFY_COST = 0.6  # scores, figures and the pilot fit, after the checks, on the model's worker


def _dask_check(
    source: Any,
    roles: Roles,
    policy: Policy,
    *,
    memory_limit: int | None,
    scheduler: str | None,
    workers: int | None,
    sample_rows: int,
    seed: int,
    reference: Any,
    declared: Any,
    progress: Callable[[str], None] | None,
    campaign: Mapping[str, int] | None,
) -> Certificate:
    """`check` on a cluster: the client plans and orchestrates; the workers scan, then certify.

    The client reads the head (the id and the profile guide the scans need), merges the partials
    and counts the buckets; everything else runs on the workers: the head's types and roles beside
    the scans, the sample's Dataset and profile where the candidates are, the checks in groups
    balanced by their cost, and the scores and certificate on the worker that holds the reference
    fit. The sample never crosses the client, and the client imports no check.
    """
    started = time.perf_counter()
    plan = plan_source(source)
    with dask_client(scheduler, workers, memory_limit) as connected:
        frame = _head_frame(plan)
        id_column = _id_column(frame, roles)
        options = _scan_options(plan, frame, id_column, sample_rows, seed, memory_limit, 1)
        del frame
        planned = time.perf_counter()
        client = connected()
        connected_at = time.perf_counter()
        least = dask_bucket_bits(worker_count(client))
        options = replace(options, bucket_bits=bucket_bits_for(plan.rows, least=least))
        # the head's types and other roles, on a worker beside the scans (first in line)
        head = client.submit(_head_facts, plan, roles, declared, priority=1, pure=False)
        scanned = cluster_pass(client, plan, options, progress)
        passed = time.perf_counter()
        result = scanned.result
        inputs = client.submit(
            _sample_task,
            plan,
            scanned.sample_parts,
            sample_rows,
            head,
            _counts(plan, result),
            result.partial,
            reference,
            declared,
            pure=False,
        )
        del scanned
        certificate, positions, whole_table, groups = _assay_on_cluster(
            client, inputs, policy, campaign, progress
        )
        head_roles = client.gather(head)[0]
        assert head_roles.id == options.id_column, "one inference: infer_id, which build_dataset calls"
    seconds = {
        "plan_and_head": round(planned - started, 3),
        "waiting_for_workers": round(connected_at - planned, 3),
        "pass": round(passed - connected_at, 3),
        "assay": round(time.perf_counter() - passed, 3),
    }
    engine = {**result.engine, "seconds": seconds, "check_groups": groups}
    return _whole_table_certificate(
        certificate, plan, replace(result, engine=engine), positions, seed, memory_limit, whole_table
    )


def _assay_on_cluster(
    client: Any,
    inputs: Any,
    policy: Policy,
    campaign: Mapping[str, int] | None,
    progress: Callable[[str], None] | None,
) -> tuple[Certificate, np.ndarray, frozenset[str], list[int]]:
    """The checks in one task per worker, then `certify` on the worker of the reference fit.

    The sample's inputs are built on one worker (the model's: the fit and the scores need no
    copy); the other workers fetch them once. Group results (outcomes, caught warnings, the
    shared fit) go to the certifying task; the client gets the certificate and the positions.
    """
    plan = client.submit(_check_plan, inputs, pure=False)
    checks, positions, whole_table = client.gather(plan)
    home = next(iter(client.who_has(inputs)[inputs.key]))
    addresses = sorted(client.scheduler_info()["workers"])
    groups = assign_checks(checks, [home, *(a for a in addresses if a != home)])
    runs = {
        worker: client.submit(
            _run_group,
            inputs,
            policy.check_params,
            ids,
            workers=[worker],
            allow_other_workers=False,
            pure=False,
        )
        for worker, ids in groups.items()
        if ids
    }
    if progress:
        progress(f"dask: {len(checks)} checks in {len(runs)} groups on {len(addresses)} workers")
    certified = client.submit(
        _certify_task, inputs, policy, campaign, list(runs.values()), workers=[home], pure=False
    )
    return client.gather(certified), positions, whole_table, [len(ids) for ids in groups.values()]


def assign_checks(checks: list[tuple[str, bool, float]], workers: list[str]) -> dict[str, tuple[str, ...]]:
    """The checks spread over the workers, longest first onto the least loaded (LPT scheduling).

    `checks` are (id, shares the reference fit, CPU weight); those that share it go together onto the first
    worker with the fit's cost, the certificate's own work counted there too. Ties go to the
    earlier worker, so the same checks and workers give the same groups.
    """
    load = dict.fromkeys(workers, 0.0)
    groups: dict[str, list[str]] = {w: [] for w in workers}
    model = [(cid, weight) for cid, fits, weight in checks if fits]
    if model:
        groups[workers[0]] += [cid for cid, _ in model]
        load[workers[0]] += FIT_COST + sum(weight for _, weight in model)
    load[workers[0]] += CERTIFY_COST
    rest = sorted(((cid, weight) for cid, fits, weight in checks if not fits), key=lambda c: (-c[1], c[0]))
    for cid, weight in rest:
        worker = min(workers, key=lambda w: load[w])
        groups[worker].append(cid)
        load[worker] += weight
    return {w: tuple(sorted(ids)) for w, ids in groups.items()}


def _head_facts(plan: SourcePlan, roles: Roles, declared: Any) -> tuple[Roles, dict[str, Any]]:
    """The head's roles and inferred facts (a worker task: the head is read where it runs)."""
    head = _head_dataset(plan, _head_frame(plan), roles, declared)
    return head.roles, dict(head.inferred)


def _sample_task(
    plan: SourcePlan,
    parts: list[pl.DataFrame],
    sample_rows: int,
    head: tuple[Roles, dict[str, Any]],
    counts: PopulationCounts,
    partial: PartialProfile,
    reference: Any,
    declared: Any,
) -> SampleInputs:
    return sample_inputs(plan, pooled_sample(parts, sample_rows), *head, counts, partial, reference, declared)


def _check_plan(inputs: SampleInputs) -> tuple[list[tuple[str, bool, float]], np.ndarray, frozenset[str]]:
    """Every check with whether it shares the reference fit, the sample's positions and the
    whole-table checks: what the client needs to spread the checks and to write the certificate."""
    from datacert.checks import load_all_checks

    checks = [
        (cid, "reference_fit" in cls.needs.artifacts, cls.sample_cpu_seconds)
        for cid, cls in load_all_checks().items()
    ]
    return checks, inputs.population.positions, _whole_table_checks()


@dataclass(frozen=True)
class GroupRun:
    """A group's outcomes, the warnings caught while they ran, and the shared fit it computed."""

    outcomes: list[CheckOutcome]
    warnings: list[tuple[type[Warning], str]]
    shared: dict[str, Any]


SHARED = ("folds", "reference_fit")  # what the certificate's own work (the pilot fit) reads again


def _run_group(inputs: SampleInputs, check_params: Mapping[str, Any], ids: tuple[str, ...]) -> GroupRun:
    """Run some of the checks on the sample, as `certify` would (one BLAS thread, warnings kept)."""
    from datacert._threads import one_thread
    from datacert.checks import run_checks

    store = Artifacts.of(inputs.dataset)  # a worker's own copy of the sample has a store of its own
    if not store.has("population"):
        store.supply("population", inputs.population)
    with warnings.catch_warnings(record=True) as caught, one_thread():
        warnings.simplefilter("always")
        # one check at a time: the cluster's workers are the parallelism here
        outcomes = run_checks(inputs.dataset, inputs.profile, check_params, only=ids, threads=1)
    shared = {name: store.get(name) for name in SHARED if store.has(name)}
    return GroupRun(outcomes, [(w.category, str(w.message)) for w in caught], shared)


def _certify_task(
    inputs: SampleInputs, policy: Policy, campaign: Mapping[str, int] | None, runs: list[GroupRun]
) -> Certificate:
    """`certify` the sample with the groups' outcomes, in the registry's order (sorted by id)."""
    from datacert.assay import certify

    store = Artifacts.of(inputs.dataset)
    if not store.has("population"):
        store.supply("population", inputs.population)
    for run in runs:
        for name, value in run.shared.items():
            if not store.has(name):
                store.supply(name, value)
    outcomes = sorted((o for run in runs for o in run.outcomes), key=lambda o: o.check)

    def collected(*_: Any, **__: Any) -> list[CheckOutcome]:
        for run in runs:  # into certify's own record of warnings, as if raised here
            for category, message in run.warnings:
                warnings.warn(message, category, stacklevel=1)
        return outcomes

    return certify(inputs.dataset, policy, profile=inputs.profile, campaign=campaign, run=collected)


def chosen_engine(
    path: Any, engine: str | None, memory_limit: str | None, scheduler: str | None
) -> Engine | None:
    """The partitioned engine a `check` asks for, or None for the in-memory assay."""
    if engine == "memory":
        if memory_limit or scheduler:
            raise ScaleInputError("--memory-limit and --scheduler need --engine streaming or dask.")
        if is_partitioned_source(path):
            raise ScaleInputError("a folder or glob of Parquet files needs --engine streaming or dask.")
        return None
    if engine == "dask" or (engine is None and scheduler):
        return "dask"
    if scheduler:
        raise ScaleInputError("--scheduler needs --engine dask.")
    if engine == "streaming" or memory_limit or is_partitioned_source(path):
        return "streaming"
    return None


def scaled_check(
    path: Any,
    roles: Roles,
    policy: Policy,
    engine: Engine,
    memory_limit: str | None,
    scheduler: str | None,
    reference: Any,
    schema: Any,
    progress: Callable[[str], None] | None,
    campaign: Mapping[str, int] | None,
) -> Certificate:
    """`datacert check` with a partitioned engine: the options as given on the command line."""
    return check_partitioned(
        str(path),
        roles,
        policy,
        engine=engine,
        memory_limit=parse_memory_limit(memory_limit) if memory_limit else None,
        scheduler=scheduler,
        reference=reference,
        schema=schema,
        progress=progress,
        campaign=campaign,
    )
