"""Scoring a recipe: imputation accuracy by mask-and-score, and learnability with in-fold fitting.

Notes
-----
Mask-and-score (methods §2.5): hide a seeded 12 % of the observed cells completely at random,
impute, and score only the hidden cells: NRMSE on columns z-scored with the observed mean and
standard deviation (1.0 is as good as the mean), PFC (share wrongly filled) for categories.
Learnability: the cross-validated AUROC (classification) or R² (regression) of a reference model
(L2 logistic regression or ridge) with the WHOLE recipe inside a scikit-learn Pipeline, so that
every imputer, scaler and PCA is refitted on each training fold (Ambroise & McLachlan 2002: fitting
outside the folds inflates the score). GroupKFold keeps a patient's records in one fold.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from datacert._threads import one_thread
from datacert.artifacts import task_kind

MASK_FRACTION = 0.12


@dataclass(frozen=True)
class Task:
    """What the target asks of a model: its kind, the encoded target and the metric."""

    kind: str  # binary | multiclass | regression
    y: np.ndarray
    metric: str

    @property
    def scoring(self) -> str:
        return {"binary": "roc_auc", "multiclass": "roc_auc_ovr_weighted", "regression": "r2"}[self.kind]


def task_of(target: pl.Series, semantic_type: str | None = None) -> Task | None:
    """The learning task a target column defines (datacert.artifacts decides), or None (one value)."""
    kind = task_kind(target, semantic_type)
    if kind is None:
        return None
    if kind == "regression":
        return Task("regression", target.cast(pl.Float64).to_numpy(), "R²")
    return Task(kind, target.cast(pl.String).to_numpy(), "AUROC")


def reference_model(task: Task, kind: str = "linear") -> Any:
    """The reference learner: L2 logistic regression / ridge, or native-NaN gradient boosting."""
    if kind == "hgb":
        return (
            HistGradientBoostingRegressor(random_state=0, max_iter=100)
            if task.kind == "regression"
            else HistGradientBoostingClassifier(random_state=0, max_iter=100)
        )
    if task.kind == "regression":
        return Ridge(alpha=1.0)
    return LogisticRegression(C=1.0, max_iter=500)


def folds(task: Task, groups: np.ndarray | None, n_splits: int = 5, seed: int = 0) -> tuple[Any, int]:
    """The cross-validation splitter: grouped when a group column is given, stratified for classes."""
    n = task.y.shape[0]
    if groups is not None:
        n_groups = len(np.unique(groups))
        return GroupKFold(n_splits=max(2, min(n_splits, n_groups))), max(2, min(n_splits, n_groups))
    if task.kind == "regression":
        return KFold(n_splits=max(2, min(n_splits, n)), shuffle=True, random_state=seed), n_splits
    _, counts = np.unique(task.y, return_counts=True)
    k = max(2, min(n_splits, int(counts.min())))
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed), k


def learnability(
    steps: Sequence[tuple[str, Any]],
    frame: pl.DataFrame,
    task: Task,
    groups: np.ndarray | None,
    model: str = "linear",
    n_splits: int = 5,
) -> dict[str, Any]:
    """Cross-validated score of the reference model with every recipe step fitted inside each fold."""
    pipeline = Pipeline(
        [(name, clone(step)) for name, step in steps] + [("model", reference_model(task, model))]
    )
    cv, k = folds(task, groups, n_splits)
    # one thread (BLAS and OpenMP): results independent of the machine, and on a busy 2-core
    # machine spinning gradient-boosting threads cost 10x
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        scores = cross_val_score(
            pipeline, frame, task.y, groups=groups, cv=cv, scoring=task.scoring, error_score="raise"
        )
    return {
        "metric": task.metric,
        "score": float(np.mean(scores)),
        "sd": float(np.std(scores)),
        "folds": [float(s) for s in scores],
        "n_splits": k,
        "cv": "GroupKFold" if groups is not None else type(cv).__name__,
    }


def hide_cells(block: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A seeded MCAR mask over the observed cells (True = hidden)."""
    rng = np.random.default_rng(seed)
    observed = ~np.isnan(block)
    return observed & (rng.random(block.shape) < fraction)


def nrmse(
    truth: np.ndarray, imputed: np.ndarray, hidden: np.ndarray, center: np.ndarray, scale: np.ndarray
) -> float:
    """NRMSE over the hidden cells, on columns z-scored with (center, scale)."""
    if not hidden.any():
        return float("nan")
    diff = (imputed - truth) / scale
    return float(np.sqrt(np.mean(diff[hidden] ** 2)))


def column_center_scale(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmean(block, axis=0)
        scale = np.nanstd(block, axis=0)
    center = np.where(np.isfinite(center), center, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return center, scale


def mask_and_score(
    block: np.ndarray,
    impute: Callable[[np.ndarray], np.ndarray],
    repeats: int = 3,
    fraction: float = MASK_FRACTION,
    seed: int = 0,
) -> dict[str, Any]:
    """Hide observed cells, impute with `impute(masked) -> filled`, score NRMSE on the hidden cells."""
    center, scale = column_center_scale(block)
    values = []
    for r in range(repeats):
        hidden = hide_cells(block, fraction, seed + r)
        masked = block.copy()
        masked[hidden] = np.nan
        filled = impute(masked)
        values.append(nrmse(block, filled, hidden, center, scale))
    return {
        "nrmse": float(np.mean(values)),
        "sd": float(np.std(values)),
        "repeats": repeats,
        "hidden_fraction": fraction,
    }


def mode_pfc(
    frame: pl.DataFrame, columns: Sequence[str], fraction: float = MASK_FRACTION, seed: int = 0
) -> dict[str, Any] | None:
    """PFC of most-frequent-value imputation on hidden categorical cells."""
    wrong = total = 0
    rng = np.random.default_rng(seed)
    for c in columns:
        values = frame.get_column(c).cast(pl.String).to_numpy()
        observed = np.flatnonzero(values != None)  # noqa: E711 - object array comparison
        hidden = observed[rng.random(observed.size) < fraction]
        if hidden.size == 0:
            continue
        keep = np.setdiff1d(observed, hidden)
        kept = pl.Series(values[keep]).value_counts()
        if kept.height == 0:
            continue
        top = kept.sort(["count", kept.columns[0]], descending=[True, False]).row(0)[0]
        wrong += int(np.sum(values[hidden] != top))
        total += hidden.size
    return {"pfc": wrong / total, "hidden": total} if total else None


def informative_missingness(
    block: np.ndarray, columns: Sequence[str], task: Task, alpha: float = 0.05, min_difference: float = 0.05
) -> dict[str, Any]:
    """Columns whose missingness is associated with the target (BH q < alpha and a non-trivial gap).

    Notes
    -----
    Methods §2.3, point 3: a two-sample z-test of the target between records where the column is
    missing and where it is observed, vectorised over all columns, Benjamini-Hochberg corrected.
    For classes the target is tested one class against the rest (Bonferroni over classes); for
    numbers on the standardised target, with a gap of 0.1 sd as the non-trivial difference.
    """
    missing = np.isnan(block)
    n = missing.shape[0]
    n_miss = missing.sum(axis=0)
    testable = (n_miss >= 5) & (n - n_miss >= 5)
    if not testable.any():
        return {"columns": [], "tested": 0}
    if task.kind == "regression":
        y = task.y.astype(np.float64)
        y = (y - np.nanmean(y)) / (np.nanstd(y) or 1.0)
        targets, gap = [np.nan_to_num(y)], 0.1
    else:
        classes = np.unique(task.y.astype(str))
        chosen = classes[:1] if len(classes) == 2 else classes
        targets, gap = [(task.y.astype(str) == c).astype(np.float64) for c in chosen], min_difference
    best_p = np.ones(missing.shape[1])
    best_gap = np.zeros(missing.shape[1])
    m = missing.astype(np.float64)
    for t in targets:
        mean_miss = (t @ m) / np.maximum(n_miss, 1)
        mean_obs = (t.sum() - t @ m) / np.maximum(n - n_miss, 1)
        sd = np.std(t) or 1.0
        z = (mean_miss - mean_obs) / (
            sd * np.sqrt(1.0 / np.maximum(n_miss, 1) + 1.0 / np.maximum(n - n_miss, 1))
        )
        p = np.minimum(1.0, 2 * stats.norm.sf(np.abs(z)) * len(targets))
        better = p < best_p
        best_p = np.where(better, p, best_p)
        best_gap = np.where(better, np.abs(mean_miss - mean_obs), best_gap)
    p_tested = best_p[testable]
    q = stats.false_discovery_control(p_tested, method="bh")
    q_all = np.ones_like(best_p)
    q_all[testable] = q
    hit = testable & (q_all < alpha) & (best_gap > gap)
    chosen_columns = [columns[j] for j in np.flatnonzero(hit)]
    return {
        "columns": chosen_columns,
        "tested": int(testable.sum()),
        "q_values": {columns[j]: float(q_all[j]) for j in np.flatnonzero(hit)[:50]},
    }
