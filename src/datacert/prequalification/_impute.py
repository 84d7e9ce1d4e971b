"""Imputation of a numeric block: scikit-learn imputers, and soft-impute for p >> n.

Every imputer here is fitted on a block (n x q, NaN = missing) and later applied to new rows
from stored statistics only, so that a plan replays exactly on new data.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (makes IterativeImputer importable)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.utils.extmath import randomized_svd

from datacert.prequalification._arrays import decode_array, encode_array

IMPUTE_METHODS = ("mean", "median", "knn", "mice", "soft")
MICE_MAX_COLUMNS = 50


def gavish_donoho_rank(matrix: np.ndarray) -> tuple[int, float, np.ndarray]:
    """Signal rank of a complete, centred matrix by the Gavish-Donoho hard threshold (methods §3.3).

    Notes
    -----
    The singular values come from the eigenvalues of the smaller Gram matrix (n x n or q x q), which
    costs O(min(n, q)^2 max(n, q)) and never builds a q x q matrix when q is the large side.
    """
    n, q = matrix.shape
    if min(n, q) < 2:
        return 1, 0.0, np.zeros(min(n, q))
    gram = matrix @ matrix.T if n <= q else matrix.T @ matrix
    eig = np.clip(np.linalg.eigvalsh(gram)[::-1], 0.0, None)
    sv = np.sqrt(eig)
    beta = min(n, q) / max(n, q)
    omega = 0.56 * beta**3 - 0.95 * beta**2 + 1.82 * beta + 1.43
    tau = omega * float(np.median(sv))
    return max(1, int(np.sum(sv > tau))), tau, sv


class SoftImpute:
    """Low-rank matrix completion by iterative SVD soft-thresholding (Mazumder, Hastie & Tibshirani 2010).

    Hand-written (about forty lines of numpy + sklearn's `randomized_svd`) because no maintained,
    scikit-learn-compatible package provides it: fancyimpute's last release is 2021 and pulls heavy
    dependencies, and the alternatives need torch. Columns are z-scored first.

    Notes
    -----
    Fit: fill the missing cells with 0 (the column mean after z-scoring), then repeat an SVD with
    rank cap k, soft-threshold the singular values by `lam`, and refill the missing cells from the
    low-rank reconstruction until the relative change is below `tol`. The fitted model is the
    column means and scales, the right singular vectors V and the per-component shrink factors
    max(s - lam, 0) / s; `transform` folds new rows into that subspace with the same fixed-point
    iteration, so training rows and new rows are imputed by one rule.
    """

    def __init__(
        self,
        shrinkage: float = 0.5,
        max_rank: int = 100,
        max_iter: int = 30,
        tol: float = 1e-4,
        random_state: int = 0,
    ) -> None:
        self.shrinkage = shrinkage
        self.max_rank = max_rank
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, block: np.ndarray) -> SoftImpute:
        mean = np.nanmean(block, axis=0) if block.size else np.zeros(block.shape[1])
        mean = np.where(np.isfinite(mean), mean, 0.0)
        scale = np.nanstd(block, axis=0) if block.size else np.ones(block.shape[1])
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        z = (block - mean) / scale
        missing = np.isnan(z)
        z[missing] = 0.0
        rank, tau, _ = gavish_donoho_rank(z)
        lam = self.shrinkage * tau
        k = int(min(self.max_rank, max(1, min(z.shape) - 1), rank + 5))
        previous = z.copy()
        s = np.zeros(k)
        vt = np.zeros((k, z.shape[1]))
        for _ in range(self.max_iter):
            u, s, vt = randomized_svd(z, n_components=k, n_iter=3, random_state=self.random_state)
            shrunk = np.maximum(s - lam, 0.0)
            low_rank = (u * shrunk) @ vt
            z[missing] = low_rank[missing]
            change = np.linalg.norm(z - previous) / max(float(np.linalg.norm(previous)), 1e-12)
            previous = z.copy()
            if change < self.tol:
                break
        keep = s > lam
        self.mean_, self.scale_ = mean, scale
        self.components_ = vt[keep]
        self.factors_ = np.where(keep, np.maximum(s - lam, 0.0) / np.where(s > 0, s, 1.0), 0.0)[keep]
        self.lambda_, self.rank_ = float(lam), int(keep.sum())
        return self

    def transform(self, block: np.ndarray) -> np.ndarray:
        z = (block - self.mean_) / self.scale_
        missing = np.isnan(z)
        z[missing] = 0.0
        rows = np.flatnonzero(missing.any(axis=1))
        if rows.size and self.components_.shape[0]:
            part, hole = z[rows], missing[rows]
            for _ in range(self.max_iter):
                recon = ((part @ self.components_.T) * self.factors_) @ self.components_
                change = np.linalg.norm(recon[hole] - part[hole]) / max(float(np.linalg.norm(part)), 1e-12)
                part[hole] = recon[hole]
                if change < self.tol:
                    break
            z[rows] = part
        return z * self.scale_ + self.mean_

    def state(self) -> dict[str, Any]:
        return {
            "mean": encode_array(self.mean_),
            "scale": encode_array(self.scale_),
            "components": encode_array(self.components_),
            "factors": encode_array(self.factors_),
            "lambda": self.lambda_,
            "rank": self.rank_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], **params: Any) -> SoftImpute:
        model = cls(**params)
        model.mean_, model.scale_ = decode_array(state["mean"]), decode_array(state["scale"])
        model.components_, model.factors_ = decode_array(state["components"]), decode_array(state["factors"])
        model.lambda_, model.rank_ = state["lambda"], state["rank"]
        return model


class BlockImputer:
    """One imputation method on a numeric block, with a state that fully determines `transform`.

    mean/median keep the column statistics; kNN (on z-scored columns) and MICE keep the reference
    block they were fitted on (scikit-learn's fit is deterministic given it, so the fitted model is
    rebuilt exactly from the plan); soft-impute keeps its low-rank model. A plan holding a kNN or
    MICE step therefore carries the training rows of the imputed block: keep it as confidential as
    the data.
    """

    def __init__(
        self,
        method: str,
        n_neighbors: int = 5,
        max_iter: int = 10,
        shrinkage: float = 0.5,
        random_state: int = 0,
    ) -> None:
        if method not in IMPUTE_METHODS:
            raise ValueError(f"unknown imputation method {method!r}; use one of {', '.join(IMPUTE_METHODS)}")
        self.method = method
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.shrinkage = shrinkage
        self.random_state = random_state
        self._model: Any = None

    def fit(self, block: np.ndarray) -> BlockImputer:
        block = np.asarray(block, dtype=np.float64)
        if self.method in ("mean", "median"):
            stats = np.nanmean(block, axis=0) if self.method == "mean" else np.nanmedian(block, axis=0)
            self.state_ = {"statistics": encode_array(np.where(np.isfinite(stats), stats, 0.0))}
        elif self.method == "knn":
            mean, scale = _center_scale(block)
            self.state_ = {
                "mean": encode_array(mean),
                "scale": encode_array(scale),
                "reference": encode_array((block - mean) / scale),
            }
        elif self.method == "mice":
            self.state_ = {"reference": encode_array(block)}
        else:
            self._model = SoftImpute(shrinkage=self.shrinkage, random_state=self.random_state).fit(block)
            self.state_ = self._model.state()
        return self

    def restore(self, state: dict[str, Any]) -> BlockImputer:
        self.state_ = state
        self._model = None
        return self

    def _build(self) -> Any:
        if self._model is not None:
            return self._model
        state = self.state_
        if self.method in ("mean", "median"):
            stats = decode_array(state["statistics"])
            # fitting SimpleImputer on the one row of statistics reproduces them exactly
            self._model = SimpleImputer(strategy="mean", keep_empty_features=True).fit(stats.reshape(1, -1))
        elif self.method == "knn":
            self._model = KNNImputer(n_neighbors=self.n_neighbors, keep_empty_features=True).fit(
                decode_array(state["reference"])
            )
        elif self.method == "mice":
            with warnings.catch_warnings():  # "early stopping not reached" is expected with few iterations
                warnings.simplefilter("ignore", ConvergenceWarning)
                self._model = IterativeImputer(
                    max_iter=self.max_iter, random_state=self.random_state, keep_empty_features=True
                ).fit(decode_array(state["reference"]))
        else:
            self._model = SoftImpute.from_state(
                state, shrinkage=self.shrinkage, random_state=self.random_state
            )
        return self._model

    def transform(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float64)
        if block.shape[1] == 0 or not np.isnan(block).any():
            return block.copy()
        model = self._build()
        if self.method == "knn":
            mean, scale = decode_array(self.state_["mean"]), decode_array(self.state_["scale"])
            filled = model.transform((block - mean) / scale) * scale + mean
        else:
            filled = model.transform(block)
        out = block.copy()
        holes = np.isnan(out)
        out[holes] = filled[holes]
        return out


def _center_scale(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        mean = np.nanmean(block, axis=0) if block.shape[0] else np.zeros(block.shape[1])
        scale = np.nanstd(block, axis=0) if block.shape[0] else np.ones(block.shape[1])
    mean = np.where(np.isfinite(mean), mean, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return mean, scale


def estimate_seconds(method: str, n: int, q: int, missing_share: float) -> float:
    """Rough seconds for one fit + transform of a method at this shape (2-core reference machine).

    Notes
    -----
    Constants come from the measured costs in the methods reference (§0.1) and the baselines
    (KNNImputer 11 s at 300 x 20,000; IterativeImputer 0.7 s on breast cancer and quadratic in
    the number of columns; soft-impute about O(n q k) per iteration). They are orders of
    magnitude, used only to skip what cannot finish in the budget.
    """
    cells = float(n) * float(q)
    if method in ("mean", "median"):
        return 2e-8 * cells + 0.005
    if method == "knn":
        return 6e-9 * n * n * q + 0.01
    if method == "mice":
        return 10 * q * (2e-3 + 5e-9 * n * q * q) + 0.05
    if method == "soft":
        k = min(q, n, 40)  # measured: fit + transform 5.2 s at 300 x 20,000 (rank 25, 30 iterations)
        return 30 * 1.1e-9 * cells * k + 2e-10 * min(n, q) ** 2 * max(n, q) + 0.05
    return 1e-7 * cells
