"""Nearest-neighbour distances between tables, in blocks: never an n × n matrix.

scikit-learn's brute-force search computes distances chunk by chunk within a working-memory
budget; tall query sets are additionally sub-sampled (seeded) because a share estimated on
10,000 queries is precise to about half a percentage point, far below any gate.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

MAX_QUERIES = 10_000
WORKING_MEMORY_MB = 256


def query_sample(n: int, seed: int, limit: int = MAX_QUERIES) -> np.ndarray:
    """Seeded, sorted positions of at most `limit` query rows out of n."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def nearest(reference: np.ndarray, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Distances and positions of the k nearest reference rows of every query row (ascending)."""
    from sklearn import config_context

    k = min(k, reference.shape[0])
    algorithm = "kd_tree" if reference.shape[1] <= 12 else "brute"
    with config_context(working_memory=WORKING_MEMORY_MB):
        index = NearestNeighbors(n_neighbors=k, algorithm=algorithm).fit(reference)
        distances, positions = index.kneighbors(queries, n_neighbors=k)
    return distances.astype(np.float64), positions


def nearest_other(reference: np.ndarray, rows: np.ndarray, k: int = 1) -> np.ndarray:
    """Distances from reference rows `rows` to their k nearest *other* reference rows."""
    # the row itself is at distance 0, so dropping the first column drops it (or an exact twin,
    # in which case the row itself, also at 0, stays and the distance is rightly 0)
    d, _ = nearest(reference, reference[rows], k + 1)
    return d[:, 1 : k + 1]
