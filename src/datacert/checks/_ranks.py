"""Column-wise sorting shared by the leakage, poisoning and outlier scans: ranks and runs of equal values.

One argsort per column block gives, at once, the average ranks (ties averaged, NaN left out)
and the runs of identical values, so single-feature AUCs, exact functional dependencies and
rare repeated values are all vectorised over thousands of columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg  # noqa: F401 - loads SciPy's BLAS, so that the controller below sees it too
from threadpoolctl import ThreadpoolController

# found once, when the checks load (it reads the process's library map), never during a run
_THREADS = ThreadpoolController()
BLOCK = 2_000  # columns per block: bounds the temporary memory to a few n × 2000 arrays
BLOCK_CELLS = 4_000_000  # and to a few arrays of this many cells on tall tables (32 MB each)


@dataclass(frozen=True)
class SortedBlock:
    """A block of columns sorted one by one (NaN last), with its runs of equal values."""

    order: np.ndarray  # n × b row positions in sorted order
    valid: np.ndarray  # n × b, the sorted value is not NaN
    run_start: np.ndarray  # n × b, True where a run of equal observed values begins
    run_size: np.ndarray  # n × b, size of the run each sorted element belongs to
    ranks: np.ndarray  # n × b, average ranks in table order (NaN where missing)


def sort_block(X: np.ndarray) -> SortedBlock:
    """Sort every column of X and derive run boundaries and average ranks."""
    n, b = X.shape
    order = np.argsort(X, axis=0, kind="stable")
    values = np.take_along_axis(X, order, axis=0)
    valid = ~np.isnan(values)
    start, first_of_run, last_of_run = run_bounds(values, valid)
    size = np.where(valid, last_of_run - first_of_run + 1, 0)
    sorted_ranks = np.where(valid, (first_of_run + last_of_run) / 2.0 + 1.0, np.nan)
    ranks = np.empty((n, b))
    np.put_along_axis(ranks, order, sorted_ranks, axis=0)
    return SortedBlock(order, valid, start, size, ranks)


def run_bounds(
    ordered: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For columns sorted ascending: where each run of equal observed values starts, and the first
    and last sorted position of the run each element belongs to (elements not `valid` — NaN, sorted
    last — are left out of every run). The average rank of an element is (first + last) / 2 + 1.
    """
    n = ordered.shape[0]
    start = np.ones(ordered.shape, dtype=bool)
    start[1:] = ordered[1:] != ordered[:-1]
    last = np.ones(ordered.shape, dtype=bool)
    if valid is None:
        last[:-1] = start[1:]
    else:
        start &= valid
        last[:-1] = start[1:] | ~valid[1:]
    idx = np.arange(n)[:, None]
    first_of_run = np.maximum.accumulate(np.where(start, idx, 0), axis=0)
    last_of_run = np.minimum.accumulate(np.where(last, idx, n - 1)[::-1], axis=0)[::-1]
    return start, first_of_run, last_of_run


def repeating_columns(X: np.ndarray, times: int) -> np.ndarray:
    """Indices of the columns of X in which some observed value occurs at least `times` times.

    A plain sort of contiguous column copies (no arg-sort, no ranks): a run of `times` equal
    values is `times` − 1 consecutive equal neighbours. NaN never equals itself, so missing
    values form no run, as in `sort_block`.
    """
    n, b = X.shape
    if times <= 1:
        return np.arange(b)
    if n < times:
        return np.empty(0, dtype=np.intp)
    ordered = np.sort(np.ascontiguousarray(X.T), axis=1)
    equal = np.zeros((b, n), dtype=np.int32)
    np.cumsum(ordered[:, 1:] == ordered[:, :-1], axis=1, out=equal[:, 1:])
    window = equal[:, times - 1 :] - equal[:, : n - times + 1]
    return np.flatnonzero((window == times - 1).any(axis=1))


def one_blas_thread() -> AbstractContextManager[Any]:
    """BLAS on one thread for the screens' many small products (class indicators × ranks).

    On a busy 2-core machine a two-thread OpenBLAS call waits for its second thread to be
    scheduled: one 20,000 × 1 AUC took 0.2 s instead of 0.004 s.
    """
    return _THREADS.limit(limits=1, user_api="blas")


def blocks(n_columns: int, width: int = BLOCK, n_rows: int = 0) -> Iterator[slice]:
    """Column slices of at most `width` columns, fewer when `n_rows` is large (memory per block)."""
    if n_rows:
        width = max(1, min(width, BLOCK_CELLS // n_rows))
    for begin in range(0, n_columns, width):
        yield slice(begin, min(begin + width, n_columns))


def label_changes_within_runs(block: SortedBlock, labels: np.ndarray) -> np.ndarray:
    """n × b: True where a sorted element has the same value as the previous one but another label."""
    sorted_labels = labels[block.order]
    change = np.zeros(block.order.shape, dtype=bool)
    change[1:] = (sorted_labels[1:] != sorted_labels[:-1]) & ~block.run_start[1:] & block.valid[1:]
    return change


def auc_power(ranks: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """One-vs-rest AUC of every column for every indicator column of `onehot` (K × b).

    NaN-aware: each column uses only the records where it is observed (ranks among them).
    """
    observed = ~np.isnan(ranks)
    filled = np.where(observed, ranks, 0.0)
    n_pos = onehot.T @ observed
    rank_sum = onehot.T @ filled
    n_obs = observed.sum(axis=0)
    n_neg = n_obs - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, 0.5)


def spearman(ranks: np.ndarray, target_ranks: np.ndarray) -> np.ndarray:
    """Spearman correlation of every column with each row of `target_ranks` (m × n) → m × b."""
    observed = ~np.isnan(ranks)
    x = np.where(observed, ranks, 0.0)
    count = observed.sum(axis=0)
    sx = x.sum(axis=0)
    sxx = (x * x).sum(axis=0)
    sy = target_ranks @ observed
    syy = (target_ranks**2) @ observed
    sxy = target_ranks @ x
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (count * sxy - sx * sy) / np.sqrt((count * sxx - sx**2) * (count * syy - sy**2))
    return np.nan_to_num(rho)
