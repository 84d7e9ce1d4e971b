"""Small statistics several packages need, answered once (checks, figures, scoring)."""

from __future__ import annotations

import numpy as np


def wilson_interval(
    successes: np.ndarray | float, totals: np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (vectorised); (0, 1) where the total is 0.

    Notes
    -----
    Unlike the normal approximation it stays inside [0, 1] and behaves for small counts and
    proportions near 0 or 1, which is what small subgroups give.
    """
    # the normal quantile through scipy.special (norm.ppf's own kernel, the same bits): scipy.stats
    # costs 0.55 s CPU to import, scipy.special 0.2 s, paid only by the checks that ask
    from scipy.special import ndtri

    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(totals, dtype=np.float64)
    z = ndtri(0.5 + level / 2.0)
    safe = np.where(n > 0, n, 1.0)
    p = k / safe
    denom = 1.0 + z * z / safe
    centre = (p + z * z / (2.0 * safe)) / denom
    half = z * np.sqrt(p * (1.0 - p) / safe + z * z / (4.0 * safe * safe)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def column_medians(X: np.ndarray) -> np.ndarray:
    """Median of each column of a float matrix, NaN ignored (NaN for an all-missing column).

    The same values as `np.nanmedian(X, axis=0)`: the two middle order statistics averaged as
    (low + high) / 2. numpy answers a short, wide matrix (under 600 rows) through masked arrays,
    which took 0.15 s per 240 x 5,000 block, once per cross-validation fit; one sort is 10x faster.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("column_medians needs a 2-D matrix")
    n, p = X.shape
    if n == 0 or p == 0:
        return np.full(p, np.nan)
    ordered = np.sort(X, axis=0)  # NaN last
    count = n - np.isnan(X).sum(axis=0)
    cols = np.arange(p)
    low = ordered[np.maximum((count - 1) // 2, 0), cols]
    high = ordered[np.maximum(count // 2, 0), cols]
    # (x + x) / 2 == x for odd counts, as in numpy
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(count > 0, (low + high) / 2.0, np.nan)
