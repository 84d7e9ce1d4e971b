"""The one shape every synthetic-data measurement reports in, computed or not computable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from datacert.findings import to_plain

FAMILIES = ("validity", "fidelity", "utility", "privacy")


@dataclass(frozen=True)
class Metric:
    """One measured number with its evidence; `value` is None when it could not be computed, with why."""

    id: str
    family: str
    value: float | None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    interval: tuple[float, float] | None = None
    columns: tuple[str, ...] = ()
    not_computable: str = ""

    @classmethod
    def missing(cls, id: str, family: str, why: str) -> Metric:
        return cls(id=id, family=family, value=None, not_computable=why)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "family": self.family,
            "value": to_plain(self.value),
            "evidence": to_plain(dict(self.evidence)),
        }
        if self.interval is not None:
            out["interval"] = to_plain(list(self.interval))
        if self.columns:
            out["columns"] = list(self.columns)
        if self.not_computable:
            out["not_computable"] = self.not_computable
        return out
