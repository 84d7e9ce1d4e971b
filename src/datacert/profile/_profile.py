"""The profile: per-column and per-row statistics computed once and shared by every check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

QUANTILES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
QUANTILE_NAMES: tuple[str, ...] = ("q01", "q05", "q25", "q50", "q75", "q95", "q99")

# One row per column of the table, in table order. Numeric statistics are null for text columns.
COLUMN_SCHEMA: dict[str, pl.DataType] = {
    "name": pl.String(),
    "dtype": pl.String(),
    "semantic_type": pl.String(),
    "count": pl.Int64(),  # non-missing values
    "null_count": pl.Int64(),
    "n_unique": pl.Int64(),  # distinct non-missing values
    "mean": pl.Float64(),
    "std": pl.Float64(),
    "skewness": pl.Float64(),
    "kurtosis": pl.Float64(),  # excess kurtosis
    "min": pl.Float64(),
    "max": pl.Float64(),
    **{q: pl.Float64() for q in QUANTILE_NAMES},
    "zero_count": pl.Int64(),
    "negative_count": pl.Int64(),
    "min_length": pl.Int64(),  # text columns: characters
    "max_length": pl.Int64(),
    "mean_length": pl.Float64(),
}


@dataclass(frozen=True, eq=False)
class Profile:
    """Statistics of one table. Frozen; `columns` is a polars frame with one row per column.

    `top_values` holds the most frequent values per column (value as text, count), exact for
    low-cardinality columns and from the quantile sample for high-cardinality ones on tall tables
    (see `facts["sampled_rows"]`). `row_null_count` and `row_hash` are per-record arrays.
    """

    n_rows: int
    columns: pl.DataFrame
    top_values: Mapping[str, tuple[tuple[Any, int], ...]]
    row_null_count: np.ndarray
    row_hash: np.ndarray
    facts: Mapping[str, Any] = field(default_factory=dict)
    # every (value, count) of the columns whose top values are exact (at most 1,000 distinct
    # values), most frequent first as the engine sorts them; empty for a merged partial profile
    value_counts: Mapping[str, tuple[tuple[Any, int], ...]] = field(default_factory=dict)

    def column(self, name: str) -> dict[str, Any]:
        """All statistics of one column as a dict (for reports and single-column checks)."""
        index = self._index()[name]
        return self.columns.row(index, named=True)

    def stat(self, statistic: str) -> dict[str, Any]:
        """One statistic for every column, keyed by column name."""
        return dict(
            zip(
                self.columns.get_column("name").to_list(),
                self.columns.get_column(statistic).to_list(),
                strict=True,
            )
        )

    def _index(self) -> dict[str, int]:
        cached = self.facts.get("_index")
        if cached is None:
            cached = {n: i for i, n in enumerate(self.columns.get_column("name").to_list())}
            object.__setattr__(self, "facts", {**self.facts, "_index": cached})
        return cached

    def summary(self) -> dict[str, Any]:
        """The profile facts that belong in a certificate (no record values)."""
        cols = self.columns
        return {
            "rows": self.n_rows,
            "columns": cols.height,
            "missing_cells": int(cols.get_column("null_count").sum()),
            "missing_share": float(cols.get_column("null_count").sum()) / max(1, self.n_rows * cols.height),
            "semantic_types": dict(sorted(cols.group_by("semantic_type").len().iter_rows())),
            "sampled_rows": self.facts.get("sampled_rows"),
        }
