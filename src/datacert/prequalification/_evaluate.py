"""Scoring a recipe: imputation accuracy by mask-and-score, and learnability with in-fold fitting.

Notes
-----
Mask-and-score (methods §2.5): hide a seeded 12 % of the observed cells completely at random,
impute, and score only the hidden cells: NRMSE on columns z-scored with the observed mean and
standard deviation (1.0 is as good as the mean), PFC (share wrongly filled) for categories.
Learnability: the cross-validated AUROC (classification) or R² (regression) of a reference model
(L2 logistic regression or ridge) with the WHOLE recipe inside a scikit-learn Pipeline, so that
every imputer, scaler and PCA is refitted on each training fold (Ambroise & McLachlan 2002: fitting
outside the folds inflates the score). The folds are the product's one fold plan
(datacert.artifacts.fold_plan, as in `check`): a patient's records stay in one fold.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from datacert._threads import one_thread
from datacert.artifacts import FoldPlan, fold_plan, task_kind
from datacert.artifacts import Task as LearningTask
from datacert.checks import load_all_checks, run_checks
from datacert.dataset import build_dataset
from datacert.io import from_object
from datacert.prequalification._steps import MissingIndicators
from datacert.profile import compute_profile
from datacert.roles import Roles

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


def folds(task: Task, groups: np.ndarray | None, n_splits: int = 5, seed: int = 0) -> FoldPlan:
    """The product's fold plan (datacert.artifacts) for this target: the one `check` uses too."""
    kind: LearningTask = "regression" if task.kind == "regression" else "classification"
    return fold_plan(task.y, kind, groups, n_splits, seed)


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
    plan = folds(task, groups, n_splits)
    # one thread (BLAS and OpenMP): results independent of the machine, and on a busy 2-core
    # machine spinning gradient-boosting threads cost 10x
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        scores = cross_val_score(
            pipeline, frame, task.y, cv=list(plan.splits), scoring=task.scoring, error_score="raise"
        )
    return {
        "metric": task.metric,
        "score": float(np.mean(scores)),
        "sd": float(np.std(scores)),
        "folds": [float(s) for s in scores],
        "n_splits": plan.n_splits,
        "cv": plan.splitter,
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
    frame: pl.DataFrame, columns: Sequence[str], target: str, check_params: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Columns whose missingness is associated with the target, tested by the check itself.

    Notes
    -----
    The corrected table can have missing values the raw table did not (a sentinel turned into a
    missing value), so the association is tested again on it, with the test of the check whose
    remedy is the missing-indicator step (the same statistic, thresholds and policy as `check`).
    """
    chosen = [c for c in columns if c != target]
    testers = [
        cls
        for cls in load_all_checks().values()
        if cls.remedy is not None and cls.remedy.step == MissingIndicators.action
    ]
    if not chosen or not testers:
        return {"columns": [], "tested": 0}
    table = from_object(frame.select([*chosen, target]))
    data = build_dataset(table, Roles(target=target), infer_roles=False)
    profile = compute_profile(data.frame, dict(data.semantic_types))
    found: list[str] = []
    result: dict[str, Any] = {"columns": found, "tested": 0}
    for outcome in run_checks(data, profile, check_params, only=[cls.id for cls in testers]):
        hits = [f.columns[0] for f in outcome.findings if target in f.columns[1:]]
        found.extend(c for c in hits if c not in found)
        per_column = outcome.evidence.get("per_column") or {}
        result["tested"] = max(result["tested"], int(outcome.evidence.get("denominator") or 0))
        result.setdefault("q_values", {}).update(
            {c: float(per_column[c]["q_value"]) for c in hits[:50] if c in per_column}
        )
        if outcome.evidence.get("effect_measure"):
            result["effect_measure"] = outcome.evidence["effect_measure"]
    found.sort(key=chosen.index)
    return result
