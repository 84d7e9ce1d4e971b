"""Plot data for the HTML report, computed from the dataset (renderers only draw it).

`figure_data` is called by the pipeline. It returns a mapping that computes on first access, so
that `datacert check` without a report pays nothing, while the certificate still carries
everything the report draws. The figures are never part of the JSON certificate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from datacert.dataset import Dataset
from datacert.figures._compute import compute_figures
from datacert.findings import Finding
from datacert.profile import Profile


class LazyFigures(Mapping):
    """The report's plot data, computed once, when first read."""

    def __init__(self, data: Dataset, profile: Profile, findings: Sequence[Finding]) -> None:
        self._inputs: tuple | None = (data, profile, tuple(findings))
        self._figures: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._figures is None:
            data, profile, findings = self._inputs
            self._figures = compute_figures(data, profile, findings)
            self._inputs = None  # release the table
        return self._figures

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return "LazyFigures(computed)" if self._figures is not None else "LazyFigures(pending)"


def figure_data(data: Dataset, profile: Profile, findings: Sequence[Finding]) -> LazyFigures:
    """Plot data for the report of this dataset (computed on first use)."""
    return LazyFigures(data, profile, findings)


__all__ = ["LazyFigures", "compute_figures", "figure_data"]
