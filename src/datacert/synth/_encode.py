"""One numeric encoding of the three tables, fitted on the real training table only.

Numbers (dates as days) keep their values; categories become codes of the real table's
vocabulary (a level the real table never had gets its own code, -1 stays "missing"). From these,
the distance space used by every nearest-neighbour metric: numbers scaled by the real table's
robust spread, categories one-hot with weight 1/sqrt(2) so that one mismatch counts 1, the same
as one spread of difference; missing numbers take the real median, so they add no distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from datacert.dataset import Dataset
from datacert.synth._tables import Tables

MISSING = -1
NEW_LEVEL = -2


@dataclass(frozen=True)
class Encoded:
    """Value matrices (rows × columns, float64) for each table and the vocabulary behind the codes."""

    numeric: dict[str, np.ndarray]  # table name -> n × p_num (NaN = missing)
    codes: dict[str, np.ndarray]  # table name -> n × p_cat int64 (MISSING, NEW_LEVEL or level index)
    levels: tuple[tuple[str, ...], ...]  # per categorical column, the real table's levels (sorted)
    center: np.ndarray
    scale: np.ndarray

    def distance_space(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """The float32 matrix whose Euclidean distances are the mixed-type record distances."""
        num = self.numeric[name] if rows is None else self.numeric[name][rows]
        cod = self.codes[name] if rows is None else self.codes[name][rows]
        z = (num - self.center) / self.scale
        z = np.where(np.isnan(z), 0.0, z)
        blocks = [z.astype(np.float32)]
        weight = np.float32(1 / np.sqrt(2))
        for j, levels in enumerate(self.levels):
            width = len(levels) + 2  # levels, missing, unseen
            onehot = np.zeros((cod.shape[0], width), dtype=np.float32)
            index = np.where(cod[:, j] >= 0, cod[:, j], len(levels) + (cod[:, j] == NEW_LEVEL))
            onehot[np.arange(cod.shape[0]), index] = weight
            blocks.append(onehot)
        return np.ascontiguousarray(np.hstack(blocks)) if len(blocks) > 1 else blocks[0]

    def space_columns(self) -> list[np.ndarray]:
        """For each compared column (numbers first, then categories), its dimensions in the distance space."""
        out = [np.array([j]) for j in range(self.center.size)]
        start = self.center.size
        for levels in self.levels:
            width = len(levels) + 2
            out.append(np.arange(start, start + width))
            start += width
        return out

    def rows(self, name: str) -> int:
        return self.numeric[name].shape[0]


def _numbers(ds: Dataset, columns: tuple[str, ...]) -> np.ndarray:
    if not columns:
        return np.empty((ds.n_rows, 0))
    exprs = []
    for c in columns:
        dtype = ds.schema[c]
        if dtype == pl.Date:
            exprs.append(pl.col(c).cast(pl.Int32).cast(pl.Float64))
        elif dtype.is_temporal():
            exprs.append((pl.col(c).dt.epoch("s") / 86_400).cast(pl.Float64))
        else:
            exprs.append(pl.col(c).cast(pl.Float64, strict=False))
    return ds.frame.select(exprs).to_numpy().astype(np.float64, copy=False)


def vocabulary(ds: Dataset, column: str) -> tuple[str, ...]:
    return tuple(sorted(ds.frame.get_column(column).drop_nulls().cast(pl.String).unique().to_list()))


def _codes(ds: Dataset, columns: tuple[str, ...], levels: tuple[tuple[str, ...], ...]) -> np.ndarray:
    out = np.full((ds.n_rows, len(columns)), MISSING, dtype=np.int64)
    for j, (c, lv) in enumerate(zip(columns, levels, strict=True)):
        values = ds.frame.get_column(c).cast(pl.String)
        present = ~values.is_null().to_numpy()
        text = values.fill_null("").to_numpy().astype(str)
        index = np.searchsorted(np.asarray(lv, dtype=str), text) if lv else np.zeros(len(text), np.int64)
        index = np.clip(index, 0, max(len(lv) - 1, 0))
        known = np.asarray(lv, dtype=str)[index] == text if lv else np.zeros(len(text), bool)
        out[present & known, j] = index[present & known]
        out[present & ~known, j] = NEW_LEVEL
    return out


def encode(tables: Tables) -> Encoded:
    """Encode every table with the real training table's vocabulary and scale."""
    levels = tuple(vocabulary(tables.real, c) for c in tables.categorical)
    numeric = {n: _numbers(ds, tables.numeric) for n, ds in tables.named().items()}
    codes = {n: _codes(ds, tables.categorical, levels) for n, ds in tables.named().items()}
    real = numeric["real"]
    with np.errstate(all="ignore"):
        center = np.nanmedian(real, axis=0) if real.shape[1] else np.empty(0)
        q75, q25 = (
            (np.nanpercentile(real, q, axis=0) for q in (75, 25)) if real.shape[1] else (center, center)
        )
        scale = (q75 - q25) / 1.349
        std = np.nanstd(real, axis=0) if real.shape[1] else center
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, std)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    center = np.where(np.isfinite(center), center, 0.0)
    return Encoded(numeric=numeric, codes=codes, levels=levels, center=center, scale=scale)
