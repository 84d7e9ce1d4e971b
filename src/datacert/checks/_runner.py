"""Run the registered checks: test needs, isolate failures, keep a stable order."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from datacert._memory import return_free_memory
from datacert._threads import usable_cores
from datacert._warnings import per_thread_warnings
from datacert.artifacts import Artifacts
from datacert.checks._base import Check, CheckResult
from datacert.checks._registry import load_all_checks
from datacert.dataset import Dataset
from datacert.findings import Finding, Status, to_plain
from datacert.profile import Profile

# tables from this height have their allocator's free pages returned between checks: below it the
# transients are a few MB and returning them would only cost page faults in the next check
TRIM_FROM_ROWS = 100_000
# tables within both bounds have two checks run at once (see `check_threads`)
SIDE_BY_SIDE_FROM_CELLS = 60_000
SIDE_BY_SIDE_BYTES = 128 * 2**20
THREADS_VARIABLE = "DATACERT_CHECK_THREADS"


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result as the certificate records it (timing is kept out of the certificate)."""

    check: str
    dimension: str
    status: Status
    findings: tuple[Finding, ...]
    evidence: Mapping[str, Any]
    reason: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.check,
            "dimension": self.dimension,
            "status": str(self.status),
            "findings": len(self.findings),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.evidence:  # what the check measured, also when it stayed quiet (p/n, model AUROC...)
            out["evidence"] = to_plain(self.evidence)
        return out


def resolve_params(check: type[Check], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults merged with the policy's overrides, validated; unknown names are an error, not ignored."""
    return check.resolve_params(overrides)


def run_checks(
    data: Dataset,
    profile: Profile,
    check_params: Mapping[str, Mapping[str, Any]] | None = None,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> list[CheckOutcome]:
    """Run every registered check (or `only` those ids) and return their outcomes by id.

    `threads` checks run at once (default `check_threads(data)`). The outcomes are the same, bit
    for bit, whatever the number: checks are pure, shared results are computed once under a lock,
    and every fit runs on one BLAS thread.
    """
    wanted = set(only) if only is not None else None
    registry = load_all_checks(wanted)
    check_params = check_params or {}
    planned = [
        Planned(check_id, cls, check_params.get(check_id, {}))
        for check_id, cls in registry.items()
        if wanted is None or check_id in wanted
    ]
    threads = check_threads(data) if threads is None else threads
    if threads < 1:
        raise ValueError(f"threads must be 1 or more, not {threads}")

    def one(item: Planned) -> CheckOutcome:
        return _run_one(data, profile, item, progress)

    if threads == 1 or len(planned) < 2:
        return [one(item) for item in planned]
    with per_thread_warnings():
        done = _side_by_side(planned, one, threads, Artifacts.of(data))
    return [done[item.check_id] for item in planned]


def check_threads(data: Dataset) -> int:
    """How many checks run at once on `data`: `DATACERT_CHECK_THREADS` when set, else 2 when the
    process may use 2 cores and the table has from SIDE_BY_SIDE_FROM_CELLS cells up to
    SIDE_BY_SIDE_BYTES in memory, else 1.

    Every fit runs on one BLAS thread (the same numbers on any machine), so most of a run used one
    core. Below the cells bound a run takes well under a second, mostly Python of the checks' own,
    and two threads would contend for the interpreter (3-8 % slower on real tables of 15,000 to
    45,000 cells); above the bytes bound two checks' peaks would stack on a tall table.
    """
    declared = declared_threads()
    if declared is not None:
        return declared
    cores = usable_cores()
    cells = data.n_rows * data.n_columns
    if cores < 2 or cells < SIDE_BY_SIDE_FROM_CELLS or data.frame.estimated_size() > SIDE_BY_SIDE_BYTES:
        return 1
    return 2


def declared_threads() -> int | None:
    """The number of checks to run at once that `DATACERT_CHECK_THREADS` sets (None when unset)."""
    declared = os.environ.get(THREADS_VARIABLE, "").strip()
    if not declared:
        return None
    if not declared.isdigit() or int(declared) < 1:
        raise ValueError(f"{THREADS_VARIABLE} must be a whole number of 1 or more, not {declared!r}")
    return int(declared)


@dataclass(frozen=True)
class Planned:
    """A check to run, with the policy's overrides of its parameters."""

    check_id: str
    cls: type[Check]
    overrides: Mapping[str, Any]


def _side_by_side(
    planned: list[Planned], one: Callable[[Planned], CheckOutcome], threads: int, store: Artifacts
) -> dict[str, CheckOutcome]:
    """Run the checks on `threads` threads and return their outcomes by id (any order of running
    gives the same outcomes).

    Checks that need the reference fit start first: it is the longest chain of shared work. A free
    thread then takes the next check in registry order that needs no artifact a running check is
    building, so it does not wait on the other thread's fit while other checks are left.
    """
    pending = sorted(planned, key=lambda item: _start_rank(item.cls))
    building: dict[str, set[str]] = {}  # running check -> the artifacts it declares, not yet built
    done: dict[str, CheckOutcome] = {}
    failures: list[BaseException] = []
    guard = threading.Lock()

    def take() -> Planned | None:
        with guard:
            if not pending or failures:
                return None
            busy = set().union(*building.values())
            chosen = next((p for p in pending if busy.isdisjoint(p.cls.needs.artifacts)), pending[0])
            pending.remove(chosen)
            building[chosen.check_id] = {a for a in chosen.cls.needs.artifacts if not store.has(a)}
            return chosen

    def work() -> None:
        while (item := take()) is not None:
            try:
                outcome = one(item)
            except BaseException as exc:  # re-raised by the calling thread
                with guard:
                    failures.append(exc)
                return
            with guard:
                del building[item.check_id]
                done[item.check_id] = outcome

    # daemon threads: an interrupted run (SIGINT, SIGTERM) exits without waiting for the checks
    # under way, and once a failure is recorded no thread takes a further check
    workers = [threading.Thread(target=work, name=f"datacert-check-{i}", daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
    except BaseException as exc:
        with guard:
            failures.append(exc)
        raise
    if failures:
        raise failures[0]
    return done


def _start_rank(cls: type[Check]) -> int:
    needs = cls.needs.artifacts
    return 0 if "reference_fit" in needs else 1 if "design" in needs else 2


def _run_one(
    data: Dataset, profile: Profile, item: Planned, progress: Callable[[str], None] | None
) -> CheckOutcome:
    cls = item.cls
    if item.overrides.get("enabled", True) is False:
        reason = "disabled by the policy"
        return CheckOutcome(item.check_id, cls.dimension, Status.NOT_APPLICABLE, (), {}, reason, 0.0)
    if progress:
        progress(item.check_id)
    started = time.perf_counter()
    unmet = cls.needs.unmet(data)
    if unmet:
        result = CheckResult.not_applicable(unmet)
    else:
        try:
            result = cls().run(data, profile, resolve_params(cls, item.overrides))
        except Exception as exc:  # a crashed check is reported as a crash, never as bad data
            result = CheckResult(Status.ERROR, (), {}, f"{type(exc).__name__}: {exc}")
        finally:
            data.release_matrices()  # a tall table's float copy must not outlive its check
            if data.n_rows >= TRIM_FROM_ROWS:  # the next check starts from what the run holds
                return_free_memory()
    return CheckOutcome(
        item.check_id,
        cls.dimension,
        result.status,
        tuple(result.findings),
        dict(result.evidence),
        result.reason,
        time.perf_counter() - started,
    )
