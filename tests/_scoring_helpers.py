"""Builders of check outcomes with planted findings, to test scoring and the verdict in isolation."""

from __future__ import annotations

from datacert.checks import CheckOutcome
from datacert.findings import Finding, Status
from datacert.scoring import CATALOGUE


def finding(check: str, severity: str, rows=(), columns=(), **evidence) -> Finding:
    return Finding.make(
        check,
        CATALOGUE.get(check, "security"),
        severity,
        f"Planted {check} finding.",
        rows=rows,
        columns=columns,
        evidence=evidence,
        remedy="Fix it.",
    )


def outcome(
    check: str,
    *findings: Finding,
    status: Status | None = None,
    reason: str = "",
    dimension: str | None = None,
    **evidence,
) -> CheckOutcome:
    if status is None:
        status = Status.FIRED if findings else Status.QUIET
    return CheckOutcome(
        check, dimension or CATALOGUE.get(check, "security"), status, tuple(findings), evidence, reason, 0.0
    )


# checks that only run when the user gives an extra input (a declared schema, a time role), a
# delimited file, or columns these planted tables do not have (co-missing blocks, paired vital
# signs): on these planted tables they are not applicable, as in a real run
NEEDS_AN_INPUT = (
    "schema_violation",
    "short_records",
    "unreadable_time",
    "missingness_pattern",
    "cross_field_inconsistency",
)


def all_quiet(except_: tuple[str, ...] = ()) -> dict[str, CheckOutcome]:
    """Every catalogue check ran and found nothing (those that need an extra input were not run)."""
    return {c: outcome(c) for c in CATALOGUE if c not in except_ and c not in NEEDS_AN_INPUT}
