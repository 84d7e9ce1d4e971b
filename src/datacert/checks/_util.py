"""Small helpers shared by checks (plain functions, no state)."""

from __future__ import annotations

import numpy as np
import polars as pl


def null_positions(frame: pl.DataFrame, column: str) -> np.ndarray:
    """Row positions where a column is missing."""
    return frame.select(pl.col(column).is_null().arg_true()).to_series().to_numpy()


def positions_where(frame: pl.DataFrame, predicate: pl.Expr) -> np.ndarray:
    """Row positions where a boolean expression holds (nulls count as false)."""
    return frame.select(predicate.fill_null(False).arg_true()).to_series().to_numpy()


def share(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
