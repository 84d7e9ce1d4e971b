"""Run the trust benchmark: every table x injector x size x seed, and every untouched table.

Each task is independent and writes one JSON line, so a run can be stopped and resumed (tasks
already in the results file are skipped) and spread over processes. A task runs the assay on the
damaged table and records whether the matching check fired, at which severity, and the row-level
precision and recall of its findings against the planted rows. An untouched table gets the full
assay and every finding at warning or above, marked known when its card names that check.
"""

from __future__ import annotations

import inspect
import json
import os
import time
import zlib
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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
    fewer seeds (the documented size carries the headline figures, so it comes first and gets all)."""
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
                for size in inj.sizes:
                    if size != inj.documented_size:
                        tasks.extend(Task(card.name, name, size, seed) for seed in range(other))
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

    return certify(_dataset(frame, roles)).to_dict(include_run=False)


def _one_check(
    frame: Any, roles: Mapping[str, Any], check: str, schema: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One check on a damaged table: its outcome and findings (no scores, no report figures)."""
    from datacert.checks import run_checks
    from datacert.profile import compute_profile

    dataset = _dataset(frame, roles, schema)
    profile = compute_profile(dataset.frame, dict(dataset.semantic_types))
    (outcome,) = run_checks(dataset, profile, only=[check])
    return outcome.to_dict(), [f.to_dict() for f in outcome.findings]


def _matched(findings: list[dict[str, Any]], check: str, injected: Injected) -> list[dict[str, Any]]:
    expected = set(injected.rows)
    columns = set(injected.columns)
    out = []
    for f in findings:
        if f["check"] != check:
            continue
        if expected and expected.intersection(f["rows"]):
            out.append(f)
        elif columns and columns.intersection(f["columns"]) and not (expected and f["rows"]):
            out.append(f)
        elif check == "distribution_shift" and "site" in f["columns"]:
            out.append(f)
        elif not expected and not columns:  # a whole-table defect (too many columns): any finding
            out.append(f)
    return out


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
        (card,) = load_cards([task.table])
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
        return {
            **record,
            "status": "done",
            "verdict": cert["verdict"],
            "alarms": alarms,
            "crashed_checks": crashed,
            "seconds": round(time.perf_counter() - started, 3),
        }
    inj = INJECTORS[task.injector]
    rng = np.random.default_rng([task.seed, zlib.crc32(task.table.encode()), zlib.crc32(inj.name.encode())])
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
    try:
        outcome, findings = _one_check(injected.frame, injected.roles, inj.check, injected.schema)
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
        "seconds": round(time.perf_counter() - started, 3),
    }


def _done_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            keys.add(json.loads(line)["key"])
    return keys


def _worker_setup() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
        os.environ[var] = "1"


def run(tasks: list[Task], results: Path, jobs: int = 2, progress: bool = True) -> list[dict[str, Any]]:
    """Run the tasks not yet in `results` (appending to it) and return every record of the file."""
    results.parent.mkdir(parents=True, exist_ok=True)
    done = _done_keys(results)
    todo = [t for t in tasks if t.key not in done]
    started = time.perf_counter()
    with results.open("a", encoding="utf-8") as out:
        if jobs <= 1:
            for i, task in enumerate(todo):
                out.write(json.dumps(run_task(task), sort_keys=True) + "\n")
                out.flush()
                if progress and i % 25 == 0:
                    print(f"{i + 1}/{len(todo)} tasks, {time.perf_counter() - started:.0f} s", flush=True)
        else:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_setup) as pool:
                futures = [pool.submit(run_task, t) for t in todo]
                for i, future in enumerate(as_completed(futures)):
                    out.write(json.dumps(future.result(), sort_keys=True) + "\n")
                    out.flush()
                    if progress and i % 25 == 0:
                        print(f"{i + 1}/{len(todo)} tasks, {time.perf_counter() - started:.0f} s", flush=True)
    wanted = {t.key for t in tasks}
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    latest = {r["key"]: r for r in records if r["key"] in wanted}
    return [latest[k] for k in sorted(latest)]
