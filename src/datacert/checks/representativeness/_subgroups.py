"""Subgroups of sensitive attributes (numeric ones binned into age bands) and small statistics on them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from datacert.artifacts import is_class_target
from datacert.dataset import Dataset

AGE_EDGES = (18.0, 40.0, 65.0, 80.0)
AGE_LABELS = ("<18", "18-39", "40-64", "65-79", ">=80")
_AGE_NAME = re.compile(r"(^|[^a-z])(age|âge|ages)([^a-z]|$)|^age", re.IGNORECASE)
MAX_LEVELS_UNBINNED = 10


@dataclass(frozen=True)
class Subgroups:
    """Subgroup codes per record (-1 = attribute missing), their labels, and how they were formed."""

    column: str
    codes: np.ndarray
    labels: list[str]
    binning: str | None = None  # None, "age bands" or "quartiles"
    cut_points: tuple[float, ...] = ()

    def counts(self) -> np.ndarray:
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.labels))

    @property
    def missing(self) -> int:
        return int((self.codes < 0).sum())


def normalise_level(level: str) -> str:
    """Compare levels loosely: case, spaces, en dashes, ≥/≤ signs and a trailing .0 do not matter."""
    text = (
        str(level).strip().lower().replace("–", "-").replace("—", "-").replace("≥", ">=").replace("≤", "<=")
    )
    text = re.sub(r"\s+", "", text)
    return re.sub(r"^(-?\d+)\.0+$", r"\1", text)  # 1.0 (a float-coded level) matches 1


def subgroups_of(data: Dataset, column: str) -> Subgroups:
    """Split records by a sensitive attribute; numeric attributes with many values are binned.

    Notes
    -----
    A numeric attribute with more than ten distinct values cannot be read as subgroups: it is cut
    into age bands (<18, 18-39, 40-64, 65-79, >=80) when its name reads as an age (age, âge...),
    and into quartiles otherwise. The certificate says which.
    """
    series = data.frame.get_column(column)
    dtype = data.schema[column]
    if dtype.is_numeric() and series.n_unique() > MAX_LEVELS_UNBINNED:
        values = series.cast(pl.Float64).fill_nan(None).to_numpy()
        known = ~np.isnan(values)
        edges: tuple[float, ...]
        if _AGE_NAME.search(column):
            edges, labels, binning = AGE_EDGES, list(AGE_LABELS), "age bands"
        else:
            edges = tuple(float(q) for q in np.unique(np.nanquantile(values[known], [0.25, 0.5, 0.75])))
            labels = [f"Q{i + 1}" for i in range(len(edges) + 1)]
            binning = "quartiles"
        codes = np.where(
            known, np.searchsorted(np.asarray(edges), np.where(known, values, 0), side="right"), -1
        )
        used = np.unique(codes[codes >= 0])
        if binning == "quartiles":
            return Subgroups(column, codes.astype(np.int64), labels, binning, edges)
        remap = np.full(len(labels), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        return Subgroups(
            column,
            np.where(codes >= 0, remap[np.maximum(codes, 0)], -1).astype(np.int64),
            [labels[i] for i in used],
            binning,
            edges,
        )
    text = series.cast(pl.String)
    labels = sorted(text.drop_nulls().unique().to_list())
    lookup = pl.DataFrame(
        {"__v": labels, "__c": np.arange(len(labels), dtype=np.int64)},
        schema={"__v": pl.String, "__c": pl.Int64},
    )
    codes = (
        text.to_frame("__v")
        .join(lookup, on="__v", how="left", maintain_order="left")
        .get_column("__c")
        .fill_null(-1)
        .to_numpy()
    )
    return Subgroups(column, codes.astype(np.int64, copy=False), labels)


def contingency(codes_a: np.ndarray, codes_b: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """Counts of records per (a, b) pair; records missing either code are left out."""
    keep = (codes_a >= 0) & (codes_b >= 0)
    flat = codes_a[keep] * n_b + codes_b[keep]
    return np.bincount(flat, minlength=n_a * n_b).reshape(n_a, n_b)


def target_classes(data: Dataset) -> tuple[np.ndarray, list[str]] | None:
    """Class code per record (-1 = missing) when the target is categorical, else None."""
    target = data.target()
    if target is None:
        return None
    if data.schema[target.name].is_float():
        target = target.fill_nan(None)
    if not is_class_target(target, data.semantic_types.get(target.name)):
        return None
    text = target.cast(pl.String)
    names = sorted(text.drop_nulls().unique().to_list())
    lookup = pl.DataFrame(
        {"__v": names, "__c": np.arange(len(names), dtype=np.int64)},
        schema={"__v": pl.String, "__c": pl.Int64},
    )
    codes = (
        text.to_frame("__v")
        .join(lookup, on="__v", how="left", maintain_order="left")
        .get_column("__c")
        .fill_null(-1)
        .to_numpy()
    )
    return codes.astype(np.int64, copy=False), names
