"""From findings to correction steps: what datacert can fix by itself, and what it cannot.

Each check that can answer its findings declares a `correction()` hook (in its own module); this
module only runs the hooks, in the order the checks declare, over one shared plan: row steps,
column steps, one merged column drop, and the hints the model search uses (outlier columns,
signal rank, informative missingness, leaking columns). Findings no hook answers are listed with
why, so the explanation can say what pre-qualification leaves to people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from datacert.checks import load_all_checks
from datacert.dataset import Dataset
from datacert.findings import Finding, Severity
from datacert.prequalification._steps import ROW_STEP_TYPES, STEP_TYPES, DropColumns, RowStep, Step


@dataclass
class Corrections:
    """The row steps and correction steps built from the findings, and what was left unfixed."""

    row_steps: list[RowStep] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # column -> check
    leaking: list[str] = field(default_factory=list)
    outlier_columns: list[str] = field(default_factory=list)
    signal_rank: int | None = None
    informative: list[str] = field(default_factory=list)
    kept_role_columns: dict[str, str] = field(default_factory=dict)  # column -> check that asked to drop it
    unfixed: list[dict[str, Any]] = field(default_factory=list)


class _Plan(Corrections):
    """The plan the checks' correction hooks add to (datacert.checks.CorrectionPlan)."""

    def __init__(self, data: Dataset) -> None:
        super().__init__()
        roles = data.roles
        self.protected = frozenset({roles.target, roles.id, roles.group, roles.time, roles.split} - {None})
        self._columns = set(data.columns)
        self._order = 0
        self._ordered_steps: list[tuple[int, int, Step]] = []
        self._drop_order: int | None = None

    def add_row_step(self, action: str, **params: Any) -> None:
        self.row_steps.append(ROW_STEP_TYPES[action](**params))

    def add_step(self, action: str, **params: Any) -> None:
        self._ordered_steps.append((self._order, len(self._ordered_steps), STEP_TYPES[action](**params)))

    def drop(self, columns: Iterable[str], check: str) -> None:
        for c in columns:
            if c in self.protected:
                self.kept_role_columns.setdefault(c, check)
            elif c in self._columns:
                self.dropped.setdefault(c, check)
                if self._drop_order is None:
                    self._drop_order = self._order

    def finish(self) -> Corrections:
        ordered = list(self._ordered_steps)
        if self.dropped:  # one drop step, where the first dropping check stands in the order
            ordered.append((self._drop_order or 0, -1, DropColumns(columns=dict(self.dropped))))
        steps = [step for _, _, step in sorted(ordered, key=lambda t: (t[0], t[1]))]
        return Corrections(
            row_steps=self.row_steps,
            steps=steps,
            dropped=self.dropped,
            leaking=self.leaking,
            outlier_columns=self.outlier_columns,
            signal_rank=self.signal_rank,
            informative=self.informative,
            kept_role_columns=self.kept_role_columns,
            unfixed=self.unfixed,
        )


def build_corrections(data: Dataset, findings: Sequence[Finding]) -> Corrections:
    """Turn the fixable findings of a certificate into correction steps with explicit parameters."""
    by_check: dict[str, list[Finding]] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    registry = load_all_checks(by_check)
    plan = _Plan(data)
    handled: set[str] = set()
    hooked = [c for c in registry.values() if c.has_correction()]
    for cls in sorted(hooked, key=_correction_order):
        plan._order = _correction_order(cls)
        if cls().correction(tuple(by_check[cls.id]), data, plan):
            handled.add(cls.id)
    out = plan.finish()
    out.unfixed = [_unfixed(f) for f in findings if f.check not in handled and f.severity != Severity.INFO]
    return out


def _correction_order(cls: Any) -> int:
    return cls.correction_order if cls.correction_order is not None else cls.remedy.order


def _unfixed(f: Finding) -> dict[str, Any]:
    return {
        "check": f.check,
        "severity": str(f.severity),
        "columns": list(f.columns),
        "message": f.message,
        "remedy": f.remedy,
    }
