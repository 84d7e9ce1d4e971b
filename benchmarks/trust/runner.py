"""Run the trust benchmark: every table x injector x size x seed, and every untouched table.

Each task is independent and writes one JSON line with the fingerprint of the code it measured
(`benchmarks.trust.fingerprint`), so a run can be stopped and resumed: a task is run again only
when it is missing or its fingerprint changed. Tasks go to worker processes in batches of one
table (the table is read once per process), the costliest first. A task runs the matching check
on the damaged table and records whether it fired, at which severity, the row-level precision and
recall of its findings against the planted rows, and what the verdict the defect alone leads to
needs (the summary decides it with the current scoring profile). An untouched table gets the full
assay, its verdict with the gates that decided it, and every finding at warning or above.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.trust import fingerprint
from benchmarks.trust.corpus import Card, TableUnavailable, load_cards, load_table
from benchmarks.trust.injectors import INJECTORS, Injected, NotApplicable

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}


@dataclass(frozen=True)
class Task:
    table: str
    injector: str | None  # None: the untouched table
    size: float | None
    seed: int

    @property
    def key(self) -> str:
        return f"{self.table}|{self.injector or 'untouched'}|{self.size}|{self.seed}"


def plan_tasks(
    cards: Iterable[Card],
    injectors: Iterable[str],
    seeds: int,
    sizes: str = "all",
    other_size_seeds: int | None = None,
) -> list[Task]:
    """Untouched runs first (one per table), then every injection at its documented size, then at
    the other sizes; `sizes='documented'` keeps one size, `other_size_seeds` gives the other sizes
    fewer seeds (the documented size carries the headline figures, so it comes first and gets all),
    except for an injector whose documented size was read off its sweep (`sweep_seeds`)."""
    cards = list(cards)
    injectors = list(injectors)
    tasks = [Task(c.name, None, None, 0) for c in cards]
    other = seeds if other_size_seeds is None else min(seeds, other_size_seeds)
    for card in cards:
        for name in injectors:
            size = INJECTORS[name].documented_size
            tasks.extend(Task(card.name, name, size, seed) for seed in range(seeds))
    if sizes != "documented":
        for card in cards:
            for name in injectors:
                inj = INJECTORS[name]
                n_seeds = seeds if inj.sweep_seeds else other
                for size in inj.sizes:
                    if size != inj.documented_size:
                        tasks.extend(Task(card.name, name, size, seed) for seed in range(n_seeds))
    return tasks


def supported_roles(roles: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The roles this build of datacert accepts, and those it does not (recorded, not silently lost)."""
    from datacert.roles import Roles

    accepted = set(inspect.signature(Roles.build).parameters)
    kept = {k: v for k, v in roles.items() if k in accepted}
    return kept, sorted(set(roles) - accepted)


def _dataset(frame: Any, roles: Mapping[str, Any], schema: Mapping[str, Any] | None = None) -> Any:
    from datacert.dataset import build_dataset
    from datacert.declared_schema import parse_table_schema
    from datacert.io import from_object
    from datacert.roles import Roles

    kept, _ = supported_roles(roles)
    declared = parse_table_schema(schema) if schema is not None else None
    return build_dataset(from_object(frame), Roles.build(**kept), declared_schema=declared)


def _assay(frame: Any, roles: Mapping[str, Any]) -> dict[str, Any]:
    """The whole assay, as `datacert check` runs it (verdict included)."""
    from datacert.assay import certify

    return certify(_dataset(frame, roles), figures=False).to_dict(include_run=False)


def _decision_facts(verdict: str, gates: Iterable[Mapping[str, Any]], intervals: Mapping[str, Any]) -> dict:
    """The verdict, the gates that fired (by kind) and the lower ends of the score intervals."""
    fired = [g for g in gates if g["status"] == "fired"]
    lows = {k: v[0] for k, v in intervals.items() if v}
    dims = {k: v for k, v in lows.items() if k != "overall"}
    weakest = min(dims, key=dims.__getitem__) if dims else None
    return {
        "verdict": verdict,
        "gates": sorted(f"{g['kind']}:{g['id']}" for g in fired),
        "overall_low": None if lows.get("overall") is None else round(lows["overall"], 2),
        "weakest_dimension": weakest,
        "weakest_low": None if weakest is None else round(dims[weakest], 2),
    }


@cache
def _registry() -> dict[str, Any]:
    from datacert.checks import load_all_checks

    return load_all_checks()


def verdict_input(dataset: Any, outcome: Any) -> dict[str, Any]:
    """What the verdict of a planted defect alone needs, recorded so that the summary can decide it
    with the scoring profile of the day (a new gate or floor then re-runs no task).

    The other checks count as quiet where the damaged table meets their needs; findings keep their
    severity, columns, record count and evidence (the row positions are not needed to score).
    """
    unmet = [c for c, cls in _registry().items() if c != outcome.check and cls.needs.unmet(dataset)]
    kept, _ = supported_roles(dataset.roles.to_dict())
    return {
        "n_rows": dataset.n_rows,
        "n_columns": dataset.n_columns,
        "roles": {k: v for k, v in kept.items() if v},
        "not_applicable": unmet,
        "check": outcome.check,
        "dimension": outcome.dimension,
        "status": str(outcome.status),
        "evidence": _scalars(outcome.to_dict().get("evidence", {})),
        "findings": [
            {
                "severity": str(f.severity),
                "columns": list(f.columns[:5]),
                "row_count": f.row_count,
                "evidence": _scalars(f.to_dict()["evidence"]),
            }
            for f in outcome.findings
        ],
    }


def _scalars(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence numbers and flags gates and indicators read (lists and tables are left out)."""
    return {k: v for k, v in evidence.items() if isinstance(v, int | float | bool) or v is None}


def defect_alone_verdict(vin: Mapping[str, Any], profile: Any = None) -> dict[str, Any]:
    """The verdict one check's recorded outcome leads to when every other check is quiet.

    This isolates what the planted defect does to the decision (gates, floors), whatever else the
    real table carries; the untouched table's own verdict is recorded by its own task. Intervals
    resample records (the patient grouping is not recorded).
    """
    from datacert.checks import CheckOutcome
    from datacert.findings import Finding, Status, sort_findings
    from datacert.roles import Roles
    from datacert.scoring import compute_scores, decide, load_scoring_profile

    profile = profile or load_scoring_profile()
    findings = tuple(
        Finding.from_dict({**f, "check": vin["check"], "dimension": vin["dimension"], "message": ""})
        for f in vin["findings"]
    )
    outcomes = [
        CheckOutcome(
            vin["check"], vin["dimension"], Status(vin["status"]), findings, vin["evidence"], "", 0.0
        )
    ]
    for check_id, cls in _registry().items():
        if check_id != vin["check"]:
            status = Status.NOT_APPLICABLE if check_id in vin["not_applicable"] else Status.QUIET
            outcomes.append(CheckOutcome(check_id, cls.dimension, status, (), {}, "", 0.0))
    result = compute_scores(profile, outcomes, vin["n_rows"], vin["n_columns"])
    roles = Roles.build(**vin["roles"])
    decision = decide(profile, outcomes, sort_findings(list(findings)), result, roles, vin["n_rows"])
    gates = [g.to_dict() for g in decision.gates]
    return _decision_facts(str(decision.verdict), gates, result.intervals)


def _one_check(
    frame: Any, roles: Mapping[str, Any], check: str, schema: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One check on a damaged table: its outcome and findings (no scores, no report figures)."""
    outcome, _ = _run_one(frame, roles, check, schema)
    return outcome.to_dict(), [f.to_dict() for f in outcome.findings]


def _run_one(
    frame: Any, roles: Mapping[str, Any], check: str, schema: Mapping[str, Any] | None = None
) -> tuple[Any, Any]:
    from datacert.checks import run_checks
    from datacert.profile import compute_profile

    dataset = _dataset(frame, roles, schema)
    profile = compute_profile(dataset.frame, dict(dataset.semantic_types))
    (outcome,) = run_checks(dataset, profile, only=[check])
    return outcome, dataset


def _matched(findings: list[dict[str, Any]], check: str, injected: Injected) -> list[dict[str, Any]]:
    """The findings of `check` that report the planted defect.

    A defect planted in records is reported by a finding that names at least one of them; a
    finding that names no record (a statement about the column, such as "these labels are noisy
    by nature, not mislabelled") does not say that any record is wrong. A defect in a column is
    reported by a finding on that column, a whole-table defect by any finding. A finding whose
    evidence says it reports no defect (`reports_defect: false`: a check stating that nothing is
    wrong, or that it could not look) never counts.
    """
    expected = set(injected.rows)
    columns = set(injected.columns)
    out = []
    for f in findings:
        if f["check"] != check or f.get("evidence", {}).get("reports_defect") is False:
            continue
        if expected:
            if expected.intersection(f["rows"]):
                out.append(f)
        elif columns and columns.intersection(f["columns"]):
            out.append(f)
        elif check == "distribution_shift" and "site" in f["columns"]:
            out.append(f)
        elif not columns:  # a whole-table defect (too many columns): any finding
            out.append(f)
    return out


@cache
def untouched_statement(table: str, check: str) -> str | None:
    """Why `check`, run on the untouched table, says it cannot audit it (None: it can).

    The user of the untouched table is told this; the benchmark reports the table's injections
    for that check as not auditable by the check's own statement, made before any defect is
    planted (computed once per table and process).
    """
    card = _cards()[table]
    outcome, _ = _run_one(load_table(card), card.roles, check)
    evidence = outcome.to_dict().get("evidence", {})
    if evidence.get("auditable") is not False:
        return None
    reason = evidence.get("not_auditable_reason") or "no reason given"
    return f"not auditable: on the untouched table `{check}` says it cannot audit it ({reason})"


@cache
def _cards() -> dict[str, Card]:
    """Every card, read once per process (parsing 17 YAML files cost more than most tasks)."""
    return {c.name: c for c in load_cards()}


def run_task(task: Task) -> dict[str, Any]:
    """One task's record (never raises: failures are recorded with their reason)."""
    started = time.perf_counter()
    record: dict[str, Any] = {
        "key": task.key,
        "table": task.table,
        "injector": task.injector,
        "size": task.size,
        "seed": task.seed,
    }
    try:
        card = _cards()[task.table]
        frame = load_table(card)
    except TableUnavailable as exc:
        return {**record, "status": "skipped", "reason": str(exc)}
    _, unsupported = supported_roles(card.roles)
    if unsupported:
        record["unsupported_roles"] = unsupported
    if task.injector is None:
        try:
            cert = _assay(frame, card.roles)
        except Exception as exc:  # the assay itself failed: a finding about datacert, kept in the results
            return {**record, "status": "error", "reason": f"{type(exc).__name__}: {exc}"}
        alarms = [
            {
                "check": f["check"],
                "severity": f["severity"],
                "columns": f["columns"][:5],
                "known": f["check"] in card.known_checks,
            }
            for f in cert["findings"]
            if SEVERITY_RANK[f["severity"]] >= 1
        ]
        crashed = [c["check"] for c in cert["checks"] if c["status"] == "error"]
        decision = _decision_facts(cert["verdict"], cert.get("gates", []), cert.get("score_intervals", {}))
        return {
            **record,
            "status": "done",
            **decision,
            "alarms": alarms,
            "crashed_checks": crashed,
            "seconds": round(time.perf_counter() - started, 3),
        }
    inj = INJECTORS[task.injector]
    rng = np.random.default_rng([task.seed, zlib.crc32(task.table.encode()), zlib.crc32(inj.name.encode())])
    assert task.size is not None  # an untouched-table task returned above
    try:
        injected = inj.apply(frame, card, float(task.size), rng)
    except NotApplicable as exc:
        return {**record, "status": "not_applicable", "reason": str(exc), "check": inj.check}
    except Exception as exc:  # an injector bug is a benchmark failure, recorded rather than hidden
        return {
            **record,
            "status": "injector_error",
            "reason": f"{type(exc).__name__}: {exc}",
            "check": inj.check,
        }
    if inj.stated_applicability:
        statement = untouched_statement(task.table, inj.check)
        if statement is not None:
            return {**record, "status": "not_applicable", "reason": statement, "check": inj.check}
    try:
        outcome_obj, dataset = _run_one(injected.frame, injected.roles, inj.check, injected.schema)
        outcome = outcome_obj.to_dict()
        findings = [f.to_dict() for f in outcome_obj.findings]
        vin = verdict_input(dataset, outcome_obj)
    except Exception as exc:
        return {**record, "status": "error", "check": inj.check, "reason": f"{type(exc).__name__}: {exc}"}
    matched = _matched(findings, inj.check, injected)
    severity = max((f["severity"] for f in matched), key=SEVERITY_RANK.__getitem__, default=None)
    expected = set(injected.rows)
    flagged = {r for f in matched for r in f["rows"]}
    hits = len(flagged & expected)
    return {
        **record,
        "status": "done",
        "check": inj.check,
        "check_status": outcome["status"],
        "check_reason": outcome.get("reason"),
        "severity": severity,
        "n_expected": len(expected),
        "n_flagged": len(flagged),
        "precision": (hits / len(flagged)) if expected and flagged else None,
        "recall": (hits / len(expected)) if expected else None,
        "verdict_input": vin,
        "seconds": round(time.perf_counter() - started, 3),
    }


# ---------------------------------------------------------------------------------------------
# fingerprints, resuming, scheduling
# ---------------------------------------------------------------------------------------------


def task_fingerprints(tasks: Iterable[Task]) -> dict[str, dict[str, Any]]:
    """Each task's code fingerprint (its parts and their combined hash), computed once per run."""
    out = {}
    for t in tasks:
        check = INJECTORS[t.injector].check if t.injector else None
        parts = fingerprint.task_parts(t.table, t.injector, check)
        out[t.key] = {"fingerprint": fingerprint.combine(parts), "parts": parts}
    return out


def _latest(path: Path) -> dict[str, dict[str, Any]]:
    """The last record of each task key in a results file."""
    if not path.exists():
        return {}
    latest: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            latest[record["key"]] = record
    return latest


def stale_reason(
    record: Mapping[str, Any], current: Mapping[str, Any], engine: str | None = None
) -> str | None:
    """Why a recorded task no longer measures the current code (None: it still does)."""
    if "fingerprint" not in record:
        return "recorded before fingerprints"
    if record["fingerprint"] != current["fingerprint"]:
        changed = sorted(
            k
            for k in set(record.get("parts", {})) | set(current["parts"])
            if record.get("parts", {}).get(k) != current["parts"].get(k)
        )
        return "changed: " + ", ".join(changed)
    if engine is not None and record.get("engine") != engine:
        return "changed: engine"
    return None


def tasks_to_run(
    tasks: list[Task], results: Path, fingerprints: Mapping[str, Any], rerun_engine: bool = False
) -> list[Task]:
    """The tasks missing from `results` or recorded with another fingerprint (or engine)."""
    latest = _latest(results)
    engine = fingerprint.engine_fingerprint() if rerun_engine else None
    return [
        t for t in tasks if t.key not in latest or stale_reason(latest[t.key], fingerprints[t.key], engine)
    ]


# rough cost of a task relative to a quick one (tasks without an earlier measurement)
HEAVY = {None: 60.0, "noise_columns": 80.0, "joint_outlier": 5.0, "gross_outlier": 2.0}


def batches(todo: list[Task], previous: Mapping[str, Mapping[str, Any]], size: int = 12) -> list[list[Task]]:
    """Tasks grouped by table in batches, headline tasks first, then costliest first (a long task
    left for the end would idle a core)."""

    def cost(t: Task) -> float:
        seconds = previous.get(t.key, {}).get("seconds")
        return float(seconds) if seconds else HEAVY.get(t.injector, 1.0) * (1 + (t.size or 0))

    by_table: dict[tuple[str, bool], list[Task]] = defaultdict(list)
    for t in todo:
        by_table[(t.table, _headline(t))].append(t)
    out: list[list[Task]] = []
    for table_tasks in by_table.values():
        table_tasks.sort(key=cost, reverse=True)
        heavy = [t for t in table_tasks if cost(t) >= 10]
        light = [t for t in table_tasks if cost(t) < 10]
        out.extend([t] for t in heavy)  # alone: they dominate the run and should spread over workers
        out.extend(light[i : i + size] for i in range(0, len(light), size))
    # the untouched tables and the documented sizes carry the headline figures: they come first, so a
    # run stopped early still has them; within each part the costliest batch first
    out.sort(key=lambda b: (not _headline(b[0]), -sum(map(cost, b))))
    return out


def _headline(task: Task) -> bool:
    return task.injector is None or task.size == INJECTORS[task.injector].documented_size


def run_batch(tasks: list[Task], stamps: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run a batch in a worker and stamp each record with the code it measured and its CPU time
    (the wall time depends on what else the machine runs; CPU seconds over the jobs do not)."""
    out = []
    for task in tasks:
        cpu = time.process_time()
        record = run_task(task)
        record["cpu_seconds"] = round(time.process_time() - cpu, 3)
        out.append({**record, **stamps["tasks"][task.key], **stamps["run"]})
    return out


def _worker_setup() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
        os.environ[var] = "1"


def run(
    tasks: list[Task],
    results: Path,
    jobs: int = 2,
    progress: bool = True,
    rerun_engine: bool = False,
) -> list[dict[str, Any]]:
    """Run the tasks missing from `results` or whose code changed, then compact the file and return
    the current records of `tasks`.

    Records are appended as batches finish (a stopped run loses at most the batches in flight);
    at the end the file keeps the latest record of each task, sorted by key.
    """
    results.parent.mkdir(parents=True, exist_ok=True)
    fingerprints = task_fingerprints(tasks)
    todo = tasks_to_run(tasks, results, fingerprints, rerun_engine)
    run_stamp = {"engine": fingerprint.engine_fingerprint(), "code": fingerprint.code_state()}
    previous = _latest(results)
    plan = batches(todo, previous)
    started = time.perf_counter()
    done = 0
    if progress:
        print(f"{len(todo)} of {len(tasks)} tasks to run ({len(plan)} batches, {jobs} jobs)", flush=True)
    with results.open("a", encoding="utf-8") as out:

        def write(records: list[dict[str, Any]]) -> None:
            nonlocal done
            for record in records:
                out.write(json.dumps(record, sort_keys=True) + "\n")
            out.flush()
            before, done = done, done + len(records)
            if progress and (done // 50 > before // 50 or done == len(todo)):
                print(f"{done}/{len(todo)} tasks, {time.perf_counter() - started:.0f} s", flush=True)

        if jobs <= 1:
            _worker_setup()
            for batch in plan:
                write(run_batch(batch, {"tasks": fingerprints, "run": run_stamp}))
        else:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_setup) as pool:
                futures = [
                    pool.submit(
                        run_batch,
                        batch,
                        {"tasks": {t.key: fingerprints[t.key] for t in batch}, "run": run_stamp},
                    )
                    for batch in plan
                ]
                for future in as_completed(futures):
                    write(future.result())
    compact(results)
    return read_results(results, tasks, fingerprints)


def compact(results: Path) -> None:
    """Rewrite the results file with the latest record of each task, sorted by key (atomically)."""
    latest = _latest(results)
    text = "".join(json.dumps(latest[k], sort_keys=True) + "\n" for k in sorted(latest))
    fd, tmp = tempfile.mkstemp(dir=results.parent, prefix=".trust-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, results)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_results(
    results: Path, tasks: list[Task], fingerprints: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The latest record of each planned task found in `results` (tasks not run yet are absent).

    With `fingerprints`, a record that measured other code gets `stale` (the reason) and the
    current engine's hash decides `old_engine`; the summary leaves stale records out.
    """
    latest = _latest(results)
    wanted = {t.key for t in tasks}
    engine = fingerprint.engine_fingerprint() if fingerprints is not None else None
    out = []
    for key in sorted(k for k in latest if k in wanted):
        record = dict(latest[key])
        if fingerprints is not None:
            reason = stale_reason(record, fingerprints[key])
            if reason:
                record["stale"] = reason
            if record.get("engine") != engine:
                record["old_engine"] = True
        out.append(record)
    return out
