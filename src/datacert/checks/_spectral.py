"""Spectral helpers for wide tables: singular values in the small space, signal rank, PC scores.

Notes
-----
The nonzero eigenvalues of XᵀX (p × p) equal those of the Gram matrix XXᵀ (n × n), so the
spectrum is computed in whichever space is smaller; a p × p matrix is never built when p > n.
The signal rank is the Gavish–Donoho optimal hard threshold for unknown noise (methods §3.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils.extmath import randomized_svd

from datacert.statistics import column_medians

if TYPE_CHECKING:
    from datacert.dataset import Dataset

SEED = 0
MAX_GRAM = 2_000  # beyond this many rows and columns, rows are sub-sampled for the spectrum


def median_impute(matrix: np.ndarray) -> np.ndarray:
    """A float64 copy with every NaN replaced by its column's median (0 for empty columns)."""
    X = np.array(matrix, dtype=np.float64, copy=True)
    missing = np.isnan(X)
    cols = np.flatnonzero(missing.any(axis=0))
    if cols.size:
        medians = np.nan_to_num(column_medians(X[:, cols]))
        block = X[:, cols]
        rows, which = np.nonzero(np.isnan(block))
        block[rows, which] = medians[which]
        X[:, cols] = block
    return X


def standardize(X: np.ndarray) -> np.ndarray:
    """Centre and scale columns in place (constant columns become zeros); returns X."""
    return _standardize(X)[0]


def _standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`standardize`, and the columns' standard deviations (ddof 0) it divided by where above 1e-12."""
    X -= X.mean(axis=0)
    scale = np.sqrt(np.einsum("ij,ij->j", X, X) / max(1, X.shape[0]))
    X /= np.where(scale > 1e-12, scale, 1.0)
    return X, scale


_KEY = "\x1estandardized\x1f"


def standardized_matrix(data: Dataset, columns: list[str]) -> np.ndarray:
    """`standardize(median_impute(data.numeric_matrix(columns)))` of every record (a new array).

    On a wide block (more columns than records) the facts `standardized_scale` reports are kept
    as it is built, so that a check that needs only the block's Gram product or spectrum (see
    `standardized_gram`) never builds it again; the block itself is not held (48 MB at
    300 x 20,000, for the rest of the run).
    """
    Z, scale = _standardize(median_impute(data.numeric_matrix(columns)))
    if len(columns) > data.n_rows:
        key = "scale" + _KEY + "\x1f".join(columns)
        if key not in data._cache:
            data._cache[key] = (scale, bool(np.isfinite(Z).all()))
    return Z


def standardized_scale(data: Dataset, columns: list[str]) -> tuple[np.ndarray, bool] | None:
    """The standard deviations `standardized_matrix` divides by, and whether every standardised value
    is finite (None for a block that is not wide)."""
    if len(columns) <= data.n_rows:
        return None
    key = "scale" + _KEY + "\x1f".join(columns)
    if key not in data._cache:
        standardized_gram(data, columns) if data.n_rows <= MAX_GRAM else standardized_matrix(data, columns)
    facts: tuple[np.ndarray, bool] = data._cache[key]
    return facts


def standardized_gram(data: Dataset, columns: list[str]) -> np.ndarray | None:
    """Z Zᵀ (n × n, read-only) of the standardised block Z of a wide table, computed once per dataset
    and column set: distribution_shift's principal scores, high_dimensionality's spectrum and the
    poisoning screen's flip-cluster spectrum all start from this product, which each computed from
    20,000 columns (None for a block that is not wide, or of more than MAX_GRAM records, whose
    spectrum is read from a sample of them)."""
    if len(columns) <= data.n_rows or data.n_rows > MAX_GRAM:
        return None

    def compute() -> np.ndarray:
        Z = standardized_matrix(data, columns)
        gram = Z @ Z.T
        del Z
        gram.setflags(write=False)
        return gram

    gram_: np.ndarray = data.memo("gram" + _KEY + "\x1f".join(columns), compute)
    return gram_


def gram_singular_values(gram: np.ndarray, centre: bool = False) -> np.ndarray:
    """`singular_values(X, centre)` of a wide X (more columns than rows) from its Gram product X Xᵀ."""
    if centre:
        row = gram.mean(axis=1)
        gram = gram - row[:, None] - row[None, :] + row.mean()
    eigenvalues = np.linalg.eigvalsh(gram)[::-1]
    return np.sqrt(np.clip(eigenvalues, 0.0, None))


def robust_scale(X: np.ndarray, block: int = 2_000) -> np.ndarray:
    """Centre by the median and scale by the MAD (falling back to mean absolute deviation, then 1).

    Works in place, a block of columns at a time, so wide tables need no second full copy.
    """
    for begin in range(0, X.shape[1], block):
        part = X[:, begin : begin + block]
        part -= np.median(part, axis=0)
        absolute = np.abs(part)
        scale = 1.4826 * np.median(absolute, axis=0)
        fallback = 1.2533 * absolute.mean(axis=0)
        scale = np.where(scale > 1e-12, scale, fallback)
        part /= np.where(scale > 1e-12, scale, 1.0)
    return X


def singular_values(X: np.ndarray, centre: bool = False) -> np.ndarray:
    """All singular values of X (column-centred first if asked), largest first, via the smaller Gram matrix.

    Centring is applied to the Gram matrix itself (double centring), so no centred copy of X is made.
    """
    n, p = X.shape
    if p > n:
        return gram_singular_values(X @ X.T, centre)
    gram = X.T @ X
    if centre:
        mean = X.mean(axis=0)
        gram = gram - n * np.outer(mean, mean)
    eigenvalues = np.linalg.eigvalsh(gram)[::-1]
    return np.sqrt(np.clip(eigenvalues, 0.0, None))


def omega(beta: float) -> float:
    """Gavish–Donoho ω(β) polynomial approximation for unknown noise."""
    return 0.56 * beta**3 - 0.95 * beta**2 + 1.82 * beta + 1.43


def signal_rank(values: np.ndarray, n: int, p: int) -> tuple[int, float]:
    """Number of singular values above the Gavish–Donoho threshold, and that threshold.

    Centring removes one degree of freedom, so only the min(n − 1, p) meaningful values count.
    """
    m = min(n - 1, p)
    kept = np.sort(values)[::-1][: max(m, 1)]
    beta = min(n, p) / max(n, p)
    threshold = omega(beta) * float(np.median(kept))
    return int((kept > threshold).sum()), threshold


def participation_ratio(values: np.ndarray) -> float:
    """(Σλ)² / Σλ² with λ = σ²: how many directions carry the variance (robust to noise)."""
    lam = np.asarray(values, dtype=np.float64) ** 2
    total = lam.sum()
    return float(total**2 / (lam**2).sum()) if total > 0 else 0.0


def components_for(values: np.ndarray, share: float) -> int:
    """Number of leading components that explain `share` of the variance."""
    lam = np.asarray(values, dtype=np.float64) ** 2
    total = lam.sum()
    if total <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(lam) / total, share - 1e-12) + 1)


def spectrum_rows(n: int, p: int) -> np.ndarray | None:
    """Rows to use for the spectrum when both n and p are large (seeded), else None (all rows)."""
    if min(n, p) <= MAX_GRAM:
        return None
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(n, MAX_GRAM, replace=False))


def top_components(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores (n × k), singular values (k) and loadings (k × p) of centred X, by randomized SVD."""
    k = max(1, min(k, min(X.shape) - 1 if min(X.shape) > 1 else 1))
    if min(X.shape) <= 3 * k + 10:
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        U, s, Vt = U[:, :k], s[:k], Vt[:k]
    else:
        U, s, Vt = randomized_svd(X, n_components=k, n_oversamples=10, n_iter=4, random_state=SEED)
    # fix signs for determinism: the largest loading of each component is positive
    signs = np.sign(Vt[np.arange(k), np.argmax(np.abs(Vt), axis=1)])
    signs[signs == 0] = 1.0
    return U * s * signs, s, Vt * signs[:, None]
