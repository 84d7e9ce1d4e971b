"""Utility: does a model trained on the synthetic table do as well on real patients (TSTR vs TRTR)?

Both models are the project's reference model for this task (datacert.checks._reference_model),
one fitted on the real training table, one on the synthetic table, both scored on the same real
holdout. The ratio's interval resamples the holdout (the same resample for both models).
Feature-importance agreement compares permutation importances on the holdout (Spearman).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from datacert.synth._encode import MISSING, NEW_LEVEL, Encoded
from datacert.synth._metric import Metric
from datacert.synth._tables import Tables

FAMILY = "utility"
MAX_TRAIN_ROWS = 20_000
MAX_TEST_ROWS = 20_000
IMPORTANCE_ROWS = 2_000
REPLICATES = 200
LEVEL = 0.90
MIN_SUBGROUP = 30


@dataclass(frozen=True)
class _Task:
    kind: str  # classification | regression
    classes: tuple[str, ...]
    model: str
    factory: Any
    features: tuple[str, ...]
    target: str


def _design(enc: Encoded, tables: Tables, name: str) -> np.ndarray:
    """Features without the target: numbers, then category codes (missing NaN, unseen past the vocabulary)."""
    num_keep = [j for j, c in enumerate(tables.numeric) if c != tables.target]
    cat_keep = [j for j, c in enumerate(tables.categorical) if c != tables.target]
    codes = enc.codes[name][:, cat_keep].astype(np.float64)
    widths = np.array([len(enc.levels[j]) for j in cat_keep], dtype=np.float64)
    codes = np.where(codes == MISSING, np.nan, codes)
    codes = np.where(codes == NEW_LEVEL, widths + 1, codes)
    return np.hstack([enc.numeric[name][:, num_keep], codes])


def _labels(tables: Tables, name: str, target: str, kind: str, classes: tuple[str, ...]) -> np.ndarray:
    series = tables.named()[name].frame.get_column(target)
    if kind == "regression":
        return series.cast(pl.Float64, strict=False).to_numpy().astype(float)
    text = series.cast(pl.String).to_numpy()
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup.get(v, -1) if v is not None else -1 for v in text], dtype=np.float64)


def _task(enc: Encoded, tables: Tables) -> _Task | str:
    from datacert.artifacts import Artifacts
    from datacert.checks.reference_model import (
        Design,
        ReferenceFit,
        candidate_models,
        reference_fit,
        target_task,
    )

    if not tables.target:
        return "no --target was given"
    kind = target_task(tables.real)
    if kind is None:
        return "the target is not something a model can learn (classes or numbers)"
    # the reference fit (cross-validated model choice) is reused when `check` already made it;
    # otherwise the rule it mostly ends with: gradient boosting for tall tables, else the linear model
    fit = reference_fit(tables.real) if Artifacts.of(tables.real).has("reference_fit") else None
    classes: tuple[str, ...] = ()
    if kind == "classification":
        values = tables.real.frame.get_column(tables.target).drop_nulls().cast(pl.String).unique().to_list()
        classes = tuple(sorted(values))
    num = tuple(c for c in tables.numeric if c != tables.target)
    cat = tuple(c for c in tables.categorical if c != tables.target)
    design = Design(np.empty((0, len(num) + len(cat))), num, cat)
    n_rows = min(tables.real.n_rows, MAX_TRAIN_ROWS)
    models = candidate_models(kind, design, n_rows, len(classes))
    if isinstance(fit, ReferenceFit) and fit.model in models:
        name = fit.model
    else:
        name = "hist_gradient_boosting" if "hist_gradient_boosting" in models else next(iter(models))
    return _Task(kind, classes, name, models[name], num + cat, tables.target)


def _fit(task: _Task, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    keep = np.flatnonzero(np.isfinite(y) & (y >= 0) if task.kind == "classification" else np.isfinite(y))
    if keep.size > MAX_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(keep, MAX_TRAIN_ROWS, replace=False))
    if task.kind == "classification" and np.unique(y[keep]).size < 2:
        return None
    from sklearn.base import clone

    # clone: some reference-model factories share one estimator instance between their pipelines
    model = clone(task.factory())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[keep], y[keep].astype(np.int64) if task.kind == "classification" else y[keep])
    return model


def _predict(task: _Task, model: Any, X: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task.kind == "regression":
            return model.predict(X)
        proba = model.predict_proba(X)
    out = np.zeros((X.shape[0], len(task.classes)))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return out


def _score(task: _Task, y: np.ndarray, pred: np.ndarray) -> float:
    from datacert.checks.reference_model import score_predictions

    return score_predictions(task.kind, y.astype(np.int64) if task.kind == "classification" else y, pred)


def measure(enc: Encoded, tables: Tables, seed: int) -> list[Metric]:
    ids = ("tstr_ratio", "tstr_skill_ratio", "importance_agreement", "subgroup_utility")
    if tables.holdout is None:
        why = (
            "no --holdout was given: models trained on either table need unseen real patients to be scored on"
        )
        return [Metric.missing(i, FAMILY, why) for i in ids]
    task = _task(enc, tables)
    if isinstance(task, str):
        return [Metric.missing(i, FAMILY, task) for i in ids]
    X = {n: _design(enc, tables, n) for n in ("real", "synthetic", "holdout")}
    y = {
        n: _labels(tables, n, task.target, task.kind, task.classes) for n in ("real", "synthetic", "holdout")
    }
    real_model = _fit(task, X["real"], y["real"], seed)
    synth_model = _fit(task, X["synthetic"], y["synthetic"], seed)
    ok = np.isfinite(y["holdout"]) & ((y["holdout"] >= 0) if task.kind == "classification" else True)
    test = np.flatnonzero(ok)
    if test.size > MAX_TEST_ROWS:
        test = np.sort(np.random.default_rng(seed).choice(test, MAX_TEST_ROWS, replace=False))
    if real_model is None or test.size < 10:
        why = "the real training table or the holdout has too few labelled records of two classes"
        return [Metric.missing(i, FAMILY, why) for i in ids]
    yt, Xt = y["holdout"][test], X["holdout"][test]
    p_real = _predict(task, real_model, Xt)
    trtr = _score(task, yt, p_real)
    if synth_model is None:
        tstr, p_synth = (0.5 if task.kind == "classification" else 0.0), None
    else:
        p_synth = _predict(task, synth_model, Xt)
        tstr = _score(task, yt, p_synth)
    score_name = "auroc" if task.kind == "classification" else "r2"
    ratio = tstr / trtr if trtr > 0 else None
    interval = None
    if ratio is not None and p_synth is not None:
        rng = np.random.default_rng(seed)
        ratios = []
        for _ in range(REPLICATES):
            pick = rng.integers(0, test.size, test.size)
            a, b = _score(task, yt[pick], p_synth[pick]), _score(task, yt[pick], p_real[pick])
            if np.isfinite(a) and np.isfinite(b) and b > 0:
                ratios.append(a / b)
        if ratios:
            lo, hi = np.quantile(ratios, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
            interval = (float(lo), float(hi))
    evidence = {
        "score": score_name,
        "trtr": trtr,
        "tstr": tstr,
        "model": task.model,
        "holdout_rows": int(test.size),
        "interval_level": LEVEL,
        "replicates": REPLICATES,
    }
    if synth_model is None:
        evidence["synthetic_unlearnable"] = "the synthetic table has fewer than two classes of the target"
    out = [
        Metric(
            "tstr_ratio",
            FAMILY,
            ratio,
            evidence=evidence,
            interval=interval,
            not_computable="" if ratio is not None else "the real model does no better than zero R²",
        )
    ]
    out.append(_skill(task, yt, p_real, p_synth, y["real"]))
    out.append(_importance(task, real_model, synth_model, Xt, yt, seed))
    out.append(_subgroups(task, tables, enc, real_model, synth_model, test, X["holdout"], y["holdout"]))
    return out


def _skill(
    task: _Task, y: np.ndarray, p_real: np.ndarray, p_synth: np.ndarray | None, y_train: np.ndarray
) -> Metric:
    """Ratio of Brier (or squared-error) skill over the no-information forecast: TSTR / TRTR.

    AUROC only ranks: a model fitted on pure noise can keep a tiny coefficient of the right sign
    on a strong feature and rank well by luck. A proper score gives such a model no skill.
    """
    if p_synth is None:
        return Metric.missing("tstr_skill_ratio", FAMILY, "no model could be trained on the synthetic table")
    if task.kind == "classification":
        known = y_train[np.isfinite(y_train) & (y_train >= 0)].astype(np.int64)
        prior = np.bincount(known, minlength=len(task.classes)) / max(known.size, 1)
        onehot = np.eye(len(task.classes))[y.astype(np.int64)]

        def loss(p: np.ndarray) -> float:
            return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))

        null = loss(np.broadcast_to(prior, onehot.shape))
    else:
        centre = float(np.nanmean(y_train))

        def loss(p: np.ndarray) -> float:
            return float(np.mean((p - y) ** 2))

        null = loss(np.full(y.size, centre))
    skill_real, skill_synth = 1 - loss(p_real) / null, 1 - loss(p_synth) / null
    if skill_real <= 0:
        return Metric.missing(
            "tstr_skill_ratio", FAMILY, "the real-data model has no skill over the no-information forecast"
        )
    return Metric(
        "tstr_skill_ratio",
        FAMILY,
        skill_synth / skill_real,
        evidence={
            "skill_trtr": skill_real,
            "skill_tstr": skill_synth,
            "score": "Brier skill"
            if task.kind == "classification"
            else "squared-error skill (R² vs the training mean)",
        },
    )


def _importance(
    task: _Task, real_model: Any, synth_model: Any, X: np.ndarray, y: np.ndarray, seed: int
) -> Metric:
    from scipy.stats import spearmanr

    if synth_model is None or X.shape[1] < 3:
        why = (
            "needs at least three features"
            if X.shape[1] < 3
            else "no model could be trained on the synthetic table"
        )
        return Metric.missing("importance_agreement", FAMILY, why)
    rows = np.arange(X.shape[0])
    if rows.size > IMPORTANCE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows.size, IMPORTANCE_ROWS, replace=False))
    Xs, ys = X[rows], y[rows]
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(rows.size) for _ in range(X.shape[1])]

    def importances(model: Any) -> np.ndarray:
        base = _score(task, ys, _predict(task, model, Xs))
        out = np.zeros(X.shape[1])
        for j in range(X.shape[1]):
            shuffled = Xs.copy()
            shuffled[:, j] = Xs[perms[j], j]
            out[j] = base - _score(task, ys, _predict(task, model, shuffled))
        return out

    ir, is_ = importances(real_model), importances(synth_model)
    rho = float(spearmanr(ir, is_).statistic) if np.ptp(ir) > 0 and np.ptp(is_) > 0 else 0.0
    top = np.argsort(-ir)[:5]
    return Metric(
        "importance_agreement",
        FAMILY,
        rho if np.isfinite(rho) else 0.0,
        evidence={
            "statistic": "Spearman rank correlation of permutation importances",
            "top_real_features": [task.features[j] for j in top],
            "rows": int(rows.size),
        },
    )


def _subgroups(
    task: _Task,
    tables: Tables,
    enc: Encoded,
    real_model: Any,
    synth_model: Any,
    test: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
) -> Metric:
    if not tables.sensitive:
        return Metric.missing("subgroup_utility", FAMILY, "no --sensitive column was given")
    if synth_model is None:
        return Metric.missing("subgroup_utility", FAMILY, "no model could be trained on the synthetic table")
    per: dict[str, dict[str, float]] = {}
    for c in tables.sensitive:
        j = tables.categorical.index(c)
        codes = enc.codes["holdout"][test, j]
        for code, level in enumerate(enc.levels[j]):
            rows = test[codes == code]
            if rows.size < MIN_SUBGROUP:
                continue
            yt = y[rows]
            if task.kind == "classification" and np.unique(yt).size < 2:
                continue
            a = _score(task, yt, _predict(task, synth_model, X[rows]))
            b = _score(task, yt, _predict(task, real_model, X[rows]))
            if np.isfinite(a) and np.isfinite(b) and b > 0:
                per[f"{c}={level}"] = {"tstr": a, "trtr": b, "ratio": a / b, "holdout_rows": int(rows.size)}
    if not per:
        return Metric.missing(
            "subgroup_utility", FAMILY, f"no subgroup has {MIN_SUBGROUP} holdout records of two classes"
        )
    worst = min(per, key=lambda k: per[k]["ratio"])
    return Metric(
        "subgroup_utility",
        FAMILY,
        per[worst]["ratio"],
        evidence={"per_subgroup": per, "worst_subgroup": worst},
        columns=tables.sensitive,
    )
