"""The check contract: identity and needs as class attributes, all work in a pure `run`.

A check receives the dataset, its profile and its own parameters (defaults merged with the
user's policy) and returns a CheckResult. It never reads files, the clock or the environment,
never prints and never mutates its inputs. When its needs are not met it is not run: the runner
records it as not applicable, with the reason, so users see what was not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from datacert.dataset import Dataset
from datacert.findings import DIMENSIONS, Finding, Severity, Status
from datacert.profile import Profile
from datacert.semantics import SemanticType


@dataclass(frozen=True)
class Needs:
    """What a check needs to be meaningful; the runner tests it before calling `run`."""

    roles: tuple[str, ...] = ()  # every one of these roles must be set
    any_role: tuple[str, ...] = ()  # at least one of these roles must be set
    min_rows: int = 1
    column_types: tuple[SemanticType, ...] = ()  # at least one column of one of these types
    numeric_features: int = 0  # at least this many numeric feature columns

    def unmet(self, data: Dataset) -> str | None:
        """Why the check cannot run on this dataset, or None when it can."""
        missing = [r for r in self.roles if not data.roles.has(r)]
        if missing:
            flags = ", ".join(f"--{r}" for r in missing)
            return f"needs the {' and '.join(missing)} role ({flags}), which was not given or inferred"
        if self.any_role and not any(data.roles.has(r) for r in self.any_role):
            flags = " or ".join(f"--{r}" for r in self.any_role)
            return f"needs one of the roles {', '.join(self.any_role)} ({flags})"
        if data.n_rows < self.min_rows:
            return f"needs at least {self.min_rows} records, the table has {data.n_rows}"
        if self.column_types and not data.columns_of_type(*self.column_types):
            kinds = ", ".join(str(k) for k in self.column_types)
            return f"needs a column of type {kinds}, and the table has none"
        if self.numeric_features and len(data.numeric_feature_columns()) < self.numeric_features:
            return f"needs at least {self.numeric_features} numeric feature columns"
        return None


@dataclass(frozen=True)
class CheckResult:
    """What one check returns: its status, its findings, and a summary of what it measured."""

    status: Status
    findings: tuple[Finding, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def fired(cls, findings: Iterable[Finding], evidence: Mapping[str, Any] | None = None) -> CheckResult:
        found = tuple(findings)
        if not found:
            return cls.quiet(evidence)
        return cls(Status.FIRED, found, dict(evidence or {}))

    @classmethod
    def quiet(cls, evidence: Mapping[str, Any] | None = None) -> CheckResult:
        return cls(Status.QUIET, (), dict(evidence or {}))

    @classmethod
    def not_applicable(cls, reason: str) -> CheckResult:
        return cls(Status.NOT_APPLICABLE, (), {}, reason)


class Check:
    """Base of every check. Subclasses set `id`, `dimension`, `needs`, `params` and `run`.

    Constructing a check does nothing. `params` holds the tunable knobs with their defaults;
    a policy file may override them per check.
    """

    id: ClassVar[str]
    dimension: ClassVar[str]
    needs: ClassVar[Needs] = Needs()
    params: ClassVar[Mapping[str, Any]] = {}
    cost: ClassVar[str] = "linear"  # linear | n log n | sampled | blocked pairwise | model fits

    def run(self, data: Dataset, profile: Profile, params: Mapping[str, Any]) -> CheckResult:
        raise NotImplementedError

    def finding(
        self,
        severity: Severity | str,
        message: str,
        *,
        columns: Sequence[str] = (),
        rows: Iterable[int] | np.ndarray = (),
        row_count: int | None = None,
        evidence: Mapping[str, Any] | None = None,
        remedy: str = "",
    ) -> Finding:
        """A finding already labelled with this check's id and dimension."""
        return Finding.make(
            self.id,
            self.dimension,
            severity,
            message,
            columns=columns,
            rows=rows,
            row_count=row_count,
            evidence=evidence,
            remedy=remedy,
        )


def validate_check_class(cls: type[Check]) -> None:
    """Identity is checked when a check is registered, not when it first runs."""
    for attribute in ("id", "dimension"):
        if not isinstance(getattr(cls, attribute, None), str):
            raise TypeError(f"{cls.__name__} must define a class attribute {attribute!r}")
    if cls.dimension not in DIMENSIONS:
        raise ValueError(f"{cls.__name__}.dimension {cls.dimension!r} is not one of {DIMENSIONS}")
    if not cls.id.isidentifier() or cls.id != cls.id.lower():
        raise ValueError(f"check id {cls.id!r} must be a snake_case identifier")
    if not isinstance(cls.needs, Needs):
        raise TypeError(f"{cls.__name__}.needs must be a Needs")
