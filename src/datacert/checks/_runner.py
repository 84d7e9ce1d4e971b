"""Run the registered checks: test needs, isolate failures, keep a stable order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from datacert._memory import return_free_memory
from datacert.checks._base import Check, CheckResult
from datacert.checks._registry import load_all_checks
from datacert.dataset import Dataset
from datacert.findings import Finding, Status, to_plain
from datacert.profile import Profile

# tables from this height have their allocator's free pages returned between checks: below it the
# transients are a few MB and returning them would only cost page faults in the next check
TRIM_FROM_ROWS = 100_000


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
) -> list[CheckOutcome]:
    """Run every registered check (or `only` those ids) and return their outcomes by id."""
    wanted = set(only) if only is not None else None
    registry = load_all_checks(wanted)
    check_params = check_params or {}
    outcomes: list[CheckOutcome] = []
    for check_id, cls in registry.items():
        if wanted is not None and check_id not in wanted:
            continue
        overrides = check_params.get(check_id, {})
        if overrides.get("enabled", True) is False:
            outcomes.append(
                CheckOutcome(
                    check_id, cls.dimension, Status.NOT_APPLICABLE, (), {}, "disabled by the policy", 0.0
                )
            )
            continue
        if progress:
            progress(check_id)
        started = time.perf_counter()
        unmet = cls.needs.unmet(data)
        if unmet:
            result = CheckResult.not_applicable(unmet)
        else:
            try:
                result = cls().run(data, profile, resolve_params(cls, overrides))
            except Exception as exc:  # a crashed check is reported as a crash, never as bad data
                result = CheckResult(Status.ERROR, (), {}, f"{type(exc).__name__}: {exc}")
            finally:
                data.release_matrices()  # a tall table's float copy must not outlive its check
                if data.n_rows >= TRIM_FROM_ROWS:  # the next check starts from what the run holds
                    return_free_memory()
        outcomes.append(
            CheckOutcome(
                check_id,
                cls.dimension,
                result.status,
                tuple(result.findings),
                dict(result.evidence),
                result.reason,
                time.perf_counter() - started,
            )
        )
    return outcomes
