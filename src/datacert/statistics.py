"""Small statistics several packages need, answered once (checks, figures, scoring)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def wilson_interval(
    successes: np.ndarray | float, totals: np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (vectorised); (0, 1) where the total is 0.

    Notes
    -----
    Unlike the normal approximation it stays inside [0, 1] and behaves for small counts and
    proportions near 0 or 1, which is what small subgroups give.
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(totals, dtype=np.float64)
    z = stats.norm.ppf(0.5 + level / 2.0)
    safe = np.where(n > 0, n, 1.0)
    p = k / safe
    denom = 1.0 + z * z / safe
    centre = (p + z * z / (2.0 * safe)) / denom
    half = z * np.sqrt(p * (1.0 - p) / safe + z * z / (4.0 * safe * safe)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high
