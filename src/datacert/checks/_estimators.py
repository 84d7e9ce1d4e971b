"""The in-fold transformers of the reference models (scikit-learn estimators).

Kept apart from datacert.checks._reference_model so that importing the model checks' helpers (the
task, the class labels, the design) does not import scikit-learn: it is loaded with this module on
the first fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from datacert.statistics import column_medians

if TYPE_CHECKING:
    from datacert.checks._reference_model import Design


class MedianStandardizer(TransformerMixin, BaseEstimator):
    """Median imputation and standardisation in one pass (fast on 20,000 columns).

    Medians are only needed (and only computed) for columns with missing values. Constant
    columns keep a scale of 1 so that they become zeros instead of NaN. With `unit_rows`, the
    result is also divided by sqrt(width), so that a ridge penalty means the same at p = 30 or
    20,000. `fit_transform` standardises the imputed copy it fitted on in place (the same values
    as `fit` then `transform`, one copy of the block instead of two). With `copy=False` a writeable
    float64 input is imputed and standardised in place, as scikit-learn's scalers do: for a caller
    whose input is a gather of its own (a fold's records), which would otherwise be copied once
    more (on 240 x 20,000, the fresh 38 MB block cost as much as the whole standardisation).
    """

    def __init__(self, unit_rows: bool = False, copy: bool = True):
        self.unit_rows = unit_rows
        self.copy = copy

    def _owned(self, X: np.ndarray) -> bool:
        """Whether X may be overwritten: the caller said so, and numpy allows it."""
        return not self.copy and isinstance(X, np.ndarray) and X.dtype == np.float64 and X.flags.writeable

    def fit(self, X: np.ndarray, y: Any = None) -> MedianStandardizer:
        self._fit(X, standardise=False)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None, **fit_params: Any) -> np.ndarray:
        return self._fit(X, standardise=True)

    def _fit(self, X: np.ndarray, standardise: bool) -> np.ndarray:
        in_place = standardise and self._owned(X)
        X = np.asarray(X, dtype=np.float64)
        missing = np.isnan(X)
        has_nan = missing.any(axis=0)
        centre = np.zeros(X.shape[1])
        if has_nan.any():
            centre[has_nan] = np.nan_to_num(column_medians(X[:, has_nan]))
            if in_place:
                np.copyto(X, np.broadcast_to(centre, X.shape), where=missing)
            else:
                X = np.where(missing, centre, X)
        elif standardise and not in_place:
            X = X.copy()
        del missing
        self.median_ = centre
        self.mean_ = X.mean(axis=0)
        scale = np.sqrt(np.maximum(np.einsum("ij,ij->j", X, X) / X.shape[0] - self.mean_**2, 0.0))
        scale = np.where(scale > 1e-12 * (1.0 + np.abs(self.mean_)), scale, 1.0)
        if self.unit_rows:
            scale = scale * np.sqrt(max(1, X.shape[1]))
        self.scale_ = scale
        if standardise:
            X -= self.mean_
            X /= self.scale_
        return X

    def transform(self, X: np.ndarray) -> np.ndarray:
        in_place = self._owned(X)
        X = np.asarray(X, dtype=np.float64)
        missing = np.isnan(X)
        if in_place:
            out = X
            np.copyto(out, np.broadcast_to(self.median_, X.shape), where=missing)
        else:
            out = np.where(missing, self.median_, X) if missing.any() else X.copy()
        del missing
        out -= self.mean_
        out /= self.scale_
        return out


class FScreen(TransformerMixin, BaseEstimator):
    """Keep the `k` columns with the largest one-way ANOVA F statistic against the classes.

    Fitted inside each fold. Group sums come from one matrix product and total sums of squares
    from an einsum, so no per-class copies of a 20,000-column block are made.
    """

    def __init__(self, k: int):
        self.k = k

    def fit(self, X: np.ndarray, y: np.ndarray) -> FScreen:
        X = np.asarray(X, dtype=np.float64)
        labels, codes = np.unique(y, return_inverse=True)
        onehot = np.eye(labels.size)[codes]
        counts = onehot.sum(axis=0)
        sums = onehot.T @ X
        total = X.sum(axis=0)
        n = X.shape[0]
        between = (sums**2 / counts[:, None]).sum(axis=0) - total**2 / n
        within = np.einsum("ij,ij->j", X, X) - (sums**2 / counts[:, None]).sum(axis=0)
        dof_between, dof_within = max(1, labels.size - 1), max(1, n - labels.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = (between / dof_between) / (within / dof_within)
        f = np.nan_to_num(f, nan=0.0, posinf=np.finfo(float).max)
        keep = min(self.k, X.shape[1])
        self.support_ = np.sort(np.argsort(-f, kind="stable")[:keep])
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X)[:, self.support_]


class GramPCA(TransformerMixin, BaseEstimator):
    """Every principal component of a wide block, computed from the n × n Gram matrix.

    Keeping all components is a rotation of the row space, so an L2-penalised model on the
    scores is the ridge model on the raw features, at O(n²p) instead of O(np²). New records are
    projected through their cross-products with the training records (the p × n loadings are
    never formed). The training block is kept as given, not centred: its input comes standardised
    (column means of the training records at rounding level), so the centring is applied to the
    cross-products instead (x·t − x·m − m·t + m·m), with no centred copy of a 20,000-column
    block; a mean that is not negligible is subtracted from a copy as before.
    """

    def fit(self, X: np.ndarray, y: Any = None) -> GramPCA:
        self._fit(X)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None, **fit_params: Any) -> np.ndarray:
        return self._fit(X)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        mean = X.mean(axis=0)
        spread = float(np.einsum("ij,ij->", X, X)) / max(1, X.shape[0])
        if float(mean @ mean) > 1e-24 * max(spread, 1e-300):
            X = X - mean  # a real offset: centre a copy (no cancellation in the cross-products)
        else:
            mean = np.zeros_like(mean)
        self.mean_ = mean
        self.train_ = X
        eigenvalues, vectors = np.linalg.eigh(X @ X.T)
        keep = eigenvalues > max(eigenvalues.max(), 0.0) * 1e-10
        singular = np.sqrt(eigenvalues[keep])
        self.projector_ = vectors[:, keep] / singular
        return vectors[:, keep] * singular

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        cross = X @ self.train_.T
        if self.mean_.any():  # (x - m)·t for the centred training rows t: x·t - m·t
            cross -= (self.train_ @ self.mean_)[None, :]
        return cross @ self.projector_


class MixedEncoder(TransformerMixin, BaseEstimator):
    """The numeric block through MedianStandardizer, the integer-coded categories one-hot encoded.

    The same matrix as a ColumnTransformer of MedianStandardizer and OneHotEncoder(handle_unknown=
    "ignore") (categories sorted, a missing code its own last category, an unseen code all
    zeros), written out because the learning curve fits 25 models of a few thousand records,
    where scikit-learn's per-call validation and dispatch cost twice the fits themselves.
    """

    def __init__(self, n_numeric: int, unit_rows: bool = False):
        self.n_numeric = n_numeric
        self.unit_rows = unit_rows

    def fit(self, X: np.ndarray, y: Any = None) -> MixedEncoder:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None, **fit_params: Any) -> np.ndarray:
        X = np.asarray(X)
        self.categories_ = [np.unique(X[:, j]) for j in range(self.n_numeric, X.shape[1])]
        self.numeric_ = MedianStandardizer(self.unit_rows) if self.n_numeric else None
        numeric = self.numeric_.fit_transform(X[:, : self.n_numeric]) if self.numeric_ is not None else None
        return self._join(numeric, X)

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        numeric = self.numeric_.transform(X[:, : self.n_numeric]) if self.numeric_ is not None else None
        return self._join(numeric, X)

    def _join(self, numeric: np.ndarray | None, X: np.ndarray) -> np.ndarray:
        widths = [c.size for c in self.categories_]
        onehot = np.zeros((X.shape[0], sum(widths)))
        offset = 0
        for j, categories in enumerate(self.categories_):
            values = np.asarray(X[:, self.n_numeric + j], dtype=np.float64)
            index = np.minimum(np.searchsorted(categories, values), categories.size - 1)
            found = categories[index]
            known = (found == values) | (np.isnan(found) & np.isnan(values))
            onehot[np.flatnonzero(known), offset + index[known]] = 1.0
            offset += categories.size
        return onehot if numeric is None else np.hstack([numeric, onehot])


def preprocessor(design: Design, unit_rows: bool = False) -> Any:
    if not design.categorical:
        return MedianStandardizer(unit_rows)
    return MixedEncoder(len(design.numeric), unit_rows)


def own_inputs(model: Any) -> Any:
    """Let the model's MedianStandardizer overwrite what it is given (see its `copy`): for callers
    that hand every fit and prediction a gather of their own records."""
    steps = getattr(model, "steps", None)
    if steps and isinstance(steps[0][1], MedianStandardizer):
        steps[0][1].set_params(copy=False)
    return model


def fresh(parts: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Unfitted copies of pipeline steps, so two pipelines from one factory share no state."""
    return [(name, clone(step)) for name, step in parts]
