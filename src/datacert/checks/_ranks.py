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
    """Sort every column of X and derive run boundaries and average ranks.

    The work runs along contiguous lines of the transposed block (a column-wise argsort of a
    row-major block strides through memory), the order comes from `stable_order` and the sorted
    values from a plain sort, and runs are only searched in the columns that have ties: the same
    arrays, bit for bit, as one stable argsort per column at a third of its cost on 300 × 20,000.
    The arrays returned are n × b views of b × n arrays.
    """
    n, b = X.shape
    lines = np.ascontiguousarray(X.T)
    order = stable_order(lines)
    values = np.sort(lines, axis=1)  # the line's values in `order` (one multiset, NaN last)
    valid = ~np.isnan(values)
    start = valid.copy()
    start[:, 1:] &= values[:, 1:] != values[:, :-1]
    size = valid.astype(np.intp)
    position = np.arange(n, dtype=np.intp)
    sorted_ranks = np.where(valid, position + 1.0, np.nan)  # (i + i) / 2 + 1 for a run of one
    tied = np.flatnonzero((valid & ~start).any(axis=1))
    if tied.size:
        _, first_of_run, last_of_run = run_bounds(values[tied].T, valid[tied].T)
        size[tied] = np.where(valid[tied], (last_of_run - first_of_run + 1).T, 0)
        sorted_ranks[tied] = np.where(valid[tied], ((first_of_run + last_of_run) / 2.0 + 1.0).T, np.nan)
    ranks = np.empty((b, n))
    np.put_along_axis(ranks, order, sorted_ranks, axis=1)
    return SortedBlock(order.T, valid.T, start.T, size.T, ranks.T)


_TOP = np.iinfo(np.int64).max


def stable_order(lines: np.ndarray) -> np.ndarray:
    """The stable argsort of every line of a b × n float array (NaN last), from a plain sort.

    NumPy sorts numbers with SIMD but arg-sorts them one comparison at a time (10× slower), so
    each value is mapped to an int64 of the same order, its lowest bits replaced by its position:
    sorting those keys orders the line by value, and equal values by position, except where two
    values differ only in the bits given to the position. Lines where two neighbouring keys share
    their value bits are checked against the values and arg-sorted where the order is wrong.
    """
    n = lines.shape[1]
    bits = max(1, (n - 1).bit_length())
    copy = lines + 0.0  # a copy, -0.0 made 0.0: they compare equal, so they must tie
    missing = np.isnan(copy)
    key: np.ndarray = copy.view(np.int64)
    key ^= (key >> 63) & np.int64(0x7FFFFFFFFFFFFFFF)  # negative floats: magnitude bits reversed
    key[missing] = _TOP  # every NaN after +inf
    key >>= bits
    key <<= bits
    key |= np.arange(n, dtype=np.int64)
    key.sort(axis=1)
    order = (key & ((1 << bits) - 1)).astype(np.intp)
    high = key >> bits
    shared = (high[:, 1:] == high[:, :-1]) & (high[:, 1:] != _TOP >> bits)  # NaN ties are by position
    suspect = np.flatnonzero(shared.any(axis=1))
    if suspect.size:
        held = lines[suspect]
        seen = np.take_along_axis(held, order[suspect], axis=1)
        wrong = ((seen[:, 1:] < seen[:, :-1]) | (np.isnan(seen[:, :-1]) & ~np.isnan(seen[:, 1:]))).any(axis=1)
        redo = np.flatnonzero(wrong)
        if redo.size:
            order[suspect[redo]] = np.argsort(held[redo], axis=1, kind="stable")
    return order


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


def binary_ranks(X: np.ndarray) -> np.ndarray:
    """The average ranks of columns of 0/1 values (no NaN): `sort_block(X).ranks`, without a sort.

    A column with z zeros ranks them (0 + z − 1) / 2 + 1 and its ones (z + n − 1) / 2 + 1, the
    run bounds' formula, so the bits are the same.
    """
    n = X.shape[0]
    zeros = (n - np.count_nonzero(X, axis=0)).astype(np.intp)
    low = (zeros - 1) / 2.0 + 1.0
    high = (zeros + n - 1) / 2.0 + 1.0
    return np.where(X != 0, high, low)


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
