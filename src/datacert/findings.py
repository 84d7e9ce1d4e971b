"""Findings: the one shape every check reports in (the certificate contract's FINDING)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

MAX_ROWS_LISTED = 10_000

DIMENSIONS: tuple[str, ...] = (
    "completeness",
    "conformance",
    "plausibility",
    "uniqueness",
    "label_quality",
    "representativeness",
    "consistency",
    "informativeness",
    "leakage",
    "privacy",
    "security",
)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


class Status(StrEnum):
    """What happened to one check, resolved in this order: error, not_applicable, fired, quiet."""

    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    FIRED = "fired"
    QUIET = "quiet"


def to_plain(value: Any, significant_digits: int | None = 6) -> Any:
    """Turn numpy scalars, tuples and sets into JSON-ready Python values, rounding floats.

    Floats are rounded to 6 significant digits so that certificates stay byte-identical across
    BLAS builds and thread counts, where the last bits of a sum may differ. Pass None to keep
    every bit (pre-qualification plans must replay exactly).
    """
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, significant_digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, significant_digits) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_plain(v, significant_digits) for v in value)
    if isinstance(value, np.ndarray):
        return [to_plain(v, significant_digits) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            return None
        return f if significant_digits is None else float(f"{f:.{significant_digits}g}")
    return value


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values in ascending order, as np.unique gives them.

    Row positions mostly arrive sorted and distinct already (arg_true, flatnonzero): that is
    checked in one comparison, and otherwise one sort and a mask of neighbours do it. numpy 2.4's
    np.unique hashes instead (0.23 s for 300,000 positions against 2 ms for the sort).
    """
    values = values.reshape(-1)
    if values.size < 2 or bool((values[1:] > values[:-1]).all()):
        return values
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


@dataclass(frozen=True)
class Finding:
    """One problem found by one check, with where it is, why we think so and what to do."""

    check: str
    dimension: str
    severity: Severity
    message: str
    columns: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()
    row_count: int = 0
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remedy: str = ""

    @classmethod
    def make(
        cls,
        check: str,
        dimension: str,
        severity: Severity | str,
        message: str,
        *,
        columns: Iterable[str] = (),
        rows: Iterable[int] | np.ndarray = (),
        row_count: int | None = None,
        evidence: Mapping[str, Any] | None = None,
        remedy: str = "",
    ) -> Finding:
        """Build a finding, sorting and capping row positions as the contract requires."""
        all_rows = sorted_unique(
            np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)
        )
        count = len(all_rows) if row_count is None else int(row_count)
        return cls(
            check=check,
            dimension=dimension,
            severity=Severity(severity),
            message=message,
            columns=tuple(columns),
            rows=tuple(int(r) for r in all_rows[:MAX_ROWS_LISTED]),
            row_count=count,
            evidence=to_plain(dict(evidence or {})),
            remedy=remedy,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "dimension": self.dimension,
            "severity": str(self.severity),
            "columns": list(self.columns),
            "rows": list(self.rows),
            "row_count": self.row_count,
            "message": self.message,
            "evidence": to_plain(self.evidence),
            "remedy": self.remedy,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            check=data["check"],
            dimension=data["dimension"],
            severity=Severity(data["severity"]),
            message=data["message"],
            columns=tuple(data.get("columns", ())),
            rows=tuple(data.get("rows", ())),
            row_count=int(data.get("row_count", 0)),
            evidence=dict(data.get("evidence", {})),
            remedy=data.get("remedy", ""),
        )


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first, then by dimension, check and columns: a stable, meaningful order."""
    return sorted(
        findings,
        key=lambda f: (
            -f.severity.rank,
            DIMENSIONS.index(f.dimension) if f.dimension in DIMENSIONS else 99,
            f.check,
            f.columns,
            f.rows[:1],
        ),
    )
