"""Column roles: what each column is for (label, record id, patient, date, partition, ...)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

SINGLE_ROLES = ("target", "id", "group", "time", "split", "duration")
MULTI_ROLES = ("sensitive", "text")


@dataclass(frozen=True)
class Roles:
    """Roles given by the user or inferred; every name must be a column of the table."""

    target: str | None = None
    id: str | None = None
    group: str | None = None
    time: str | None = None
    split: str | None = None
    # follow-up time of a time-to-event outcome (the target is then its event indicator)
    duration: str | None = None
    sensitive: tuple[str, ...] = ()
    text: tuple[str, ...] = ()

    def columns(self) -> set[str]:
        """Every column that holds a role (not a plain feature): a fresh set the caller may change."""
        return set(self._role_columns)

    @cached_property
    def _role_columns(self) -> frozenset[str]:
        # built once: checks ask for it once per column of a 20,000-column table
        named = {getattr(self, r) for r in SINGLE_ROLES} - {None}
        return frozenset(named | set(self.sensitive) | set(self.text))

    def non_feature_columns(self) -> set[str]:
        """Columns a model should not learn from directly: target, ids, group, time, split, duration, text."""
        named = {getattr(self, r) for r in SINGLE_ROLES} - {None}
        return named | set(self.text)

    def has(self, role: str) -> bool:
        value = getattr(self, role)
        return bool(value)

    def merged_with(self, inferred: Mapping[str, Any]) -> Roles:
        """Fill roles the user left empty with inferred ones (never overrides the user)."""
        updates = {k: v for k, v in inferred.items() if not getattr(self, k)}
        return replace(self, **updates)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {r: getattr(self, r) for r in SINGLE_ROLES}
        out.update({r: list(getattr(self, r)) for r in MULTI_ROLES})
        return out

    @classmethod
    def build(
        cls,
        *,
        target: str | None = None,
        id: str | None = None,
        group: str | None = None,
        time: str | None = None,
        split: str | None = None,
        sensitive: Iterable[str] | str | None = None,
        text: Iterable[str] | str | None = None,
        duration: str | None = None,
    ) -> Roles:
        def as_tuple(v: Iterable[str] | str | None) -> tuple[str, ...]:
            if v is None:
                return ()
            if isinstance(v, str):
                return (v,)
            return tuple(v)

        return cls(
            target=target,
            id=id,
            group=group,
            time=time,
            split=split,
            duration=duration,
            sensitive=as_tuple(sensitive),
            text=as_tuple(text),
        )


@dataclass(frozen=True)
class RoleInference:
    """Roles datacert inferred, each with the reason it gave, for the certificate's `inferred`."""

    roles: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
