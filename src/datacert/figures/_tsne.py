"""Exact t-SNE for the report's small maps (at most a few hundred points), vectorised.

Written here rather than taken from scikit-learn because its exact method computes the gradient
with a Python loop over the points at every iteration (about 1.2 s for the 300 points of a wide
table, the costliest figure of its report), and its Barnes-Hut method is slower still at this size;
openTSNE would add a dependency and about a second of import for one picture. The algorithm is
van der Maaten & Hinton (2008) with the usual optimiser (as in scikit-learn): Gaussian input
affinities calibrated to the perplexity by bisection, Student-t output kernel, early
exaggeration 12 for the first 250 iterations with momentum 0.5, then momentum 0.8, per-coordinate
gains, learning rate max(n / 48, 50), PCA initialisation scaled to a standard deviation of 1e-4.
Seeded and free of threads, so the same points give the same map byte for byte.
"""

from __future__ import annotations

import numpy as np

EXAGGERATION = 12.0
EXPLORATION_ITERATIONS = 250
MIN_GAIN = 0.01
EPSILON = np.finfo(np.float64).eps


def _squared_distances(x: np.ndarray) -> np.ndarray:
    norms = np.einsum("ij,ij->i", x, x)
    d = norms[:, None] + norms[None, :] - 2.0 * (x @ x.T)
    np.fill_diagonal(d, 0.0)
    return np.maximum(d, 0.0)


def joint_probabilities(x: np.ndarray, perplexity: float, steps: int = 60) -> np.ndarray:
    """Symmetric input affinities P (n × n, sum 1) whose rows have the given perplexity.

    Each row's Gaussian precision is found by bisection on its logarithm, all rows at once.
    """
    n = x.shape[0]
    d = _squared_distances(x)
    target = np.log(perplexity)
    low = np.full(n, -50.0)
    high = np.full(n, 50.0)
    off = ~np.eye(n, dtype=bool)
    # distances over each row's nearest neighbour: the same affinities, without overflow
    d = d - np.where(off, d, np.inf).min(axis=1, keepdims=True)
    d[~off] = np.inf
    for _ in range(steps):
        log_beta = (low + high) / 2.0
        w = np.exp(-d * np.exp(log_beta)[:, None])
        total = w.sum(axis=1, keepdims=True)
        p = w / np.maximum(total, EPSILON)
        entropy = -(p * np.log(np.maximum(p, EPSILON))).sum(axis=1)
        # entropy falls as the precision grows: too high an entropy asks for a larger precision
        larger = entropy > target
        low = np.where(larger, log_beta, low)
        high = np.where(larger, high, log_beta)
    joint = (p + p.T) / (2.0 * n)
    return np.maximum(joint, EPSILON)


def _pca_start(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    start = centred @ vt[:2].T
    # the sign of each axis fixed (largest loading positive), so the map does not flip between runs
    signs = np.sign(vt[np.arange(2), np.argmax(np.abs(vt[:2]), axis=1)])
    start *= np.where(signs == 0, 1.0, signs)
    return start / max(float(np.std(start[:, 0])), EPSILON) * 1e-4


def tsne(x: np.ndarray, perplexity: float, iterations: int = 300) -> np.ndarray:
    """Two-dimensional t-SNE coordinates (n × 2) of the rows of x.

    The iteration works in place on preallocated n × n buffers: at a few hundred points the
    allocation of fresh arrays cost more than the arithmetic.
    """
    n = x.shape[0]
    P = joint_probabilities(np.asarray(x, dtype=np.float64), perplexity)
    y = _pca_start(np.asarray(x, dtype=np.float64))
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    rate = max(n / EXAGGERATION / 4.0, 50.0)
    kernel = np.empty((n, n))
    weights = np.empty((n, n))
    diagonal = np.arange(n)
    attraction = P * EXAGGERATION
    for step in range(iterations):
        if step == EXPLORATION_ITERATIONS:
            attraction = P
        momentum = 0.5 if step < EXPLORATION_ITERATIONS else 0.8
        # Student-t kernel 1 / (1 + |y_i - y_j|²), its diagonal left out
        np.matmul(y, y.T, out=kernel)
        kernel *= -2.0
        norms = np.einsum("ij,ij->i", y, y)
        kernel += norms[:, None]
        kernel += norms
        np.maximum(kernel, 0.0, out=kernel)
        kernel += 1.0
        np.reciprocal(kernel, out=kernel)
        kernel[diagonal, diagonal] = 0.0
        # gradient 4 Σ_j (p_ij − q_ij)(1 + |y_i − y_j|²)⁻¹ (y_i − y_j), with q = kernel / Σ kernel
        np.multiply(kernel, -1.0 / kernel.sum(), out=weights)
        weights += attraction
        weights *= kernel
        grad = weights.sum(axis=1)[:, None] * y
        grad -= weights @ y
        grad *= 4.0
        same = update * grad < 0.0
        gains = np.where(same, gains + 0.2, gains * 0.8)
        np.clip(gains, MIN_GAIN, None, out=gains)
        update = momentum * update - rate * gains * grad
        y = y + update
    return y
