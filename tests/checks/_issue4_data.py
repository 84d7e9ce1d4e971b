"""Small real and synthetic tables shared by the ML-readiness check tests."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.datasets import load_breast_cancer, load_diabetes


def breast_cancer(labels: np.ndarray | None = None) -> pl.DataFrame:
    """The 569 × 30 Wisconsin breast cancer table with its binary target `y` (or given labels)."""
    data = load_breast_cancer()
    frame = pl.DataFrame(
        {name.replace(" ", "_"): data.data[:, i] for i, name in enumerate(data.feature_names)}
    )
    return frame.with_columns(pl.Series("y", data.target if labels is None else labels))


def breast_cancer_labels() -> np.ndarray:
    return load_breast_cancer().target.copy()


def diabetes() -> pl.DataFrame:
    """The 442 × 10 diabetes table with its numeric target `y`."""
    X, y = load_diabetes(return_X_y=True)
    return pl.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])}).with_columns(pl.Series("y", y))


def gaussian(n: int, p: int, seed: int = 0, rank: int = 3, noise: float = 0.5) -> np.ndarray:
    """Low-rank plus noise numeric data (clean, no outliers)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, rank)) @ rng.normal(size=(rank, p)) + noise * rng.normal(size=(n, p))


def frame_of(X: np.ndarray, prefix: str = "f", **extra) -> pl.DataFrame:
    frame = pl.DataFrame(X, schema=[f"{prefix}{i}" for i in range(X.shape[1])])
    return frame.with_columns([pl.Series(k, v) for k, v in extra.items()]) if extra else frame
