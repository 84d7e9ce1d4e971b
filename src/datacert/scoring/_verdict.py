"""Gate-first verdict: critical findings reject, errors call for pre-qualification."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from datacert.checks import CheckOutcome
from datacert.findings import Finding, Severity, Status


class Verdict(StrEnum):
    RELEASE = "release"
    PREQUALIFY = "prequalify"
    REJECT = "reject"

    @property
    def exit_code(self) -> int:
        return {Verdict.RELEASE: 0, Verdict.PREQUALIFY: 3, Verdict.REJECT: 4}[self]


def decide_verdict(findings: Sequence[Finding], outcomes: Sequence[CheckOutcome]) -> tuple[Verdict, list[str]]:
    """The verdict and one plain sentence per finding or fact that decided it."""
    critical = [f for f in findings if f.severity == Severity.CRITICAL]
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if critical:
        return Verdict.REJECT, [f"{f.check}: {f.message}" for f in critical]
    if errors:
        return Verdict.PREQUALIFY, [f"{f.check}: {f.message}" for f in errors]
    crashed = [o for o in outcomes if o.status == Status.ERROR]
    if crashed:
        return Verdict.PREQUALIFY, [f"{o.check} could not run ({o.reason}); missing evidence never releases."
                                    for o in crashed]
    return Verdict.RELEASE, ["No check found a problem at error level or above."]
