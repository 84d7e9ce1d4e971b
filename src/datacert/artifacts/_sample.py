"""Seeded, stratified row samples: the one place where a check's row budget becomes table rows.

Model-based and pairwise checks cost far more per row than their statistics need on tall tables.
Each declares a row budget, derived from the precision its statistic needs (the helpers below
turn a standard error into a number of rows), and asks the `row_sample` artifact for that many
rows. The sampler draws them the same way for every check:

- every record gets one seeded uniform key; the records of one group (patient) share their
  group's key, so a sampled patient comes with all of their records where the budget allows;
- records are stratified by the target (its classes, or deciles of a numeric target) crossed
  with the site (the split role), with proportional allocation (largest remainders) and at
  least `MIN_PER_STRATUM` records of every stratum, so a rare class or a small site is not lost;
- within a stratum the records with the smallest keys are taken; the sample is returned in table
  order. The same table and budget always give the same rows.

A table within the budget is not sampled at all, so the certificates of small tables do not
depend on this module.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from datacert.dataset import Dataset

SEED = 0
# up to this many columns `rows_matrix` reads a column at a time; wider blocks in one expression
# (20,000 columns one by one cost more in per-call overhead than the copy they save)
COLUMN_BY_COLUMN = 200
MIN_PER_STRATUM = 20  # records kept of every stratum (or all of it when smaller)
TARGET_BINS = 10  # a numeric target is stratified by its deciles


def auc_rows(standard_error: float, minority_share: float) -> int:
    """Records needed for an AUROC with this standard error (Hanley & McNeil 1982).

    The variance is largest at AUROC 0.5, where it is 1 / (12·n₀·n₁) · (n₀ + n₁ + 1) ≈
    1 / (12·n·π·(1 − π)) for a minority share π; solving for n gives the budget.
    """
    pi = min(max(minority_share, 1e-6), 0.5)
    return math.ceil(1.0 / (12.0 * standard_error**2 * pi * (1.0 - pi)) - 1e-9)


def share_rows(standard_error: float, share: float) -> int:
    """Records needed to estimate a share (an outlier rate) with this standard error: p(1 − p)/SE²."""
    return math.ceil(share * (1.0 - share) / standard_error**2 - 1e-9)


@dataclass(frozen=True)
class RowSample:
    """The rows a check works on: all the candidates, or a stratified sample of them."""

    rows: np.ndarray  # table positions, ascending
    population: int  # how many candidate records the sample was drawn from

    @property
    def sampled(self) -> bool:
        return self.rows.size < self.population

    def evidence(self) -> dict[str, int]:
        """`sampled_rows` and `population_rows` for a finding's evidence; empty when nothing was sampled."""
        if not self.sampled:
            return {}
        return {"sampled_rows": int(self.rows.size), "population_rows": int(self.population)}


class RowSampler:
    """Draws budgeted samples of one dataset's rows; keys and strata are computed once."""

    def __init__(self, data: Dataset, task: str | None) -> None:
        self._data = weakref.ref(data)  # the sampler lives in the dataset's store: no cycle back
        self.task = task
        self._order: tuple[np.ndarray, np.ndarray] | None = None
        self._drawn: dict[tuple[int, bytes], RowSample] = {}

    @property
    def data(self) -> Dataset:
        data = self._data()
        if data is None:
            raise RuntimeError("the dataset of this sampler no longer exists")
        return data

    def draw(self, budget: int, among: np.ndarray | None = None) -> RowSample:
        """At most `budget` rows of `among` (default: every row), stratified and seeded."""
        candidates = np.arange(self.data.n_rows) if among is None else np.asarray(among, dtype=np.int64)
        if candidates.size <= budget:
            return RowSample(np.sort(candidates), int(candidates.size))
        key = (int(budget), b"" if among is None else candidates.tobytes())
        if key not in self._drawn:
            self._drawn[key] = RowSample(self._draw(candidates, int(budget)), int(candidates.size))
        return self._drawn[key]

    def _draw(self, candidates: np.ndarray, budget: int) -> np.ndarray:
        order, stratum_of = self.order()
        member = np.zeros(self.data.n_rows, dtype=bool)
        member[candidates] = True
        ranked = order[member[order]]  # the candidates by stratum, then key, then table position
        counts = np.bincount(stratum_of[candidates], minlength=int(stratum_of.max(initial=-1)) + 1)
        present = np.flatnonzero(counts)
        quota = np.zeros(counts.size, dtype=np.int64)
        quota[present] = _allocate(counts[present], budget)
        first = np.cumsum(counts) - counts  # where each stratum begins in `ranked`
        stratum = stratum_of[ranked]
        rank = np.arange(ranked.size) - first[stratum]
        return np.sort(ranked[rank < quota[stratum]]).astype(np.int64)

    def order(self) -> tuple[np.ndarray, np.ndarray]:
        """Every record by stratum, then key (a group's records are adjacent), then table position,
        and each record's stratum as a dense code: sorted once, so a draw among any candidates
        is a filter of this order rather than a sort of its own (six draws of 1,000,000 records
        sorted for 0.8 s). Only the order and the codes are kept, as 32-bit positions where the
        table allows (on 1,000,000 records 15 MB held all run instead of 30 MB with the keys and
        strata they come from)."""
        if self._order is None:
            _, stratum_of = np.unique(self.strata(), return_inverse=True)
            stratum_of = stratum_of.reshape(-1)
            order = np.lexsort((np.arange(self.data.n_rows), self.keys(), stratum_of))
            compact = np.int32 if self.data.n_rows < 2**31 else np.int64
            self._order = (order.astype(compact), stratum_of.astype(compact))
        return self._order

    def keys(self) -> np.ndarray:
        """One seeded uniform key per record, shared by the records of a group."""
        rng = np.random.default_rng(SEED)
        group = self.data.roles.group
        if group:
            codes = _codes(self.data.frame.get_column(group))
            return rng.random(int(codes.max(initial=-1)) + 1)[codes]  # type: ignore[no-any-return]
        return rng.random(self.data.n_rows)

    def strata(self) -> np.ndarray:
        """An integer stratum per record: target class (or decile) × site."""
        strata = np.zeros(self.data.n_rows, dtype=np.int64)
        target = self.data.roles.target
        if target and self.task is not None:
            column = self.data.frame.get_column(target)
            if self.task == "regression":
                codes = _deciles(column)
            else:
                codes = _codes(column)
            strata = codes.astype(np.int64)
        site = self.data.roles.split
        if site:
            site_codes = _codes(self.data.frame.get_column(site))
            strata = strata * (int(site_codes.max(initial=0)) + 1) + site_codes
        return strata


def _allocate(sizes: np.ndarray, budget: int) -> np.ndarray:
    """Records per stratum: proportional (largest remainders), raised to MIN_PER_STRATUM where the
    proportional share is smaller, the others scaled down to keep the total at the budget."""
    small = np.zeros(sizes.size, dtype=bool)
    while True:
        fixed = np.where(small, np.minimum(sizes, MIN_PER_STRATUM), 0)
        free = ~small
        rest = max(0, budget - int(fixed.sum()))
        exact = np.where(free, sizes * (rest / max(1, int(sizes[free].sum()))), 0.0)
        grown = free & (exact < np.minimum(sizes, MIN_PER_STRATUM))
        if not grown.any():
            break
        small |= grown
    extra = np.floor(exact).astype(np.int64)
    short = rest - int(extra.sum())
    if short > 0:  # largest remainders first, ties by stratum order
        order = np.lexsort((np.arange(sizes.size), -(exact - extra)))
        order = order[free[order]]
        extra[order[:short]] += 1
    allocation: np.ndarray = np.minimum(fixed + extra, sizes)
    return allocation


def _codes(series: pl.Series) -> np.ndarray:
    """Integer codes of a column's values in order of first appearance (missing is a value too)."""
    text = series.cast(pl.String).fill_null("\x00missing")
    first = text.unique(maintain_order=True)
    mapping = pl.DataFrame({"v": first, "code": np.arange(first.len(), dtype=np.int64)})
    return text.to_frame("v").join(mapping, on="v", how="left", maintain_order="left")["code"].to_numpy()


def _deciles(series: pl.Series) -> np.ndarray:
    """Decile of a numeric target (missing values their own stratum)."""
    values = series.cast(pl.Float64, strict=False).to_numpy()
    codes = np.full(values.size, TARGET_BINS, dtype=np.int64)
    finite = np.isfinite(values)
    if finite.any():
        edges = np.quantile(values[finite], np.linspace(0, 1, TARGET_BINS + 1)[1:-1])
        codes[finite] = np.searchsorted(edges, values[finite], side="right")
    return codes


def rows_matrix(data: Dataset, columns: list[str], rows: np.ndarray) -> np.ndarray:
    """The float64 block (NaN = missing) of `columns` at the table positions `rows` only.

    A check that works on a sample copies its sample, not the table's whole numeric block
    (1,000,000 x 40 is 320 MB, rebuilt by each check whose column set differs). The values are
    the ones `Dataset.numeric_matrix` holds for these rows, in the same C order.
    """
    if rows.size == data.n_rows:
        return data.numeric_matrix(columns)
    if not columns:
        return np.empty((rows.size, 0))
    at = pl.Series(rows, dtype=pl.Int64)
    if len(columns) > COLUMN_BY_COLUMN:
        block = data.frame.select(pl.col(columns).cast(pl.Float64).gather(at))
        return block.to_numpy(order="c").astype(np.float64, copy=False)
    # a column at a time into the result: the gathered frame is never held whole beside its copy
    # (on the tall benchmark table's 100,000-record samples, 33 MB less at each reader's peak)
    out = np.empty((rows.size, len(columns)))
    for j, column in enumerate(columns):
        out[:, j] = data.frame.get_column(column).cast(pl.Float64).gather(at).to_numpy()
    return out


def row_sample(data: Dataset, budget: int, among: np.ndarray | None = None) -> RowSample:
    """The seeded, stratified sample of at most `budget` rows (of `among`) for this dataset."""
    from datacert.artifacts._store import Artifacts

    sampler: Any = Artifacts.of(data).get("row_sample")
    return sampler.draw(budget, among)  # type: ignore[no-any-return]
