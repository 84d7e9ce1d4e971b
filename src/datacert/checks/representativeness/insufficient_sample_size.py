"""insufficient_sample_size: the learning curve says more records are needed for a stable model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from datacert._threads import one_thread
from datacert._warnings import ignoring
from datacert.artifacts import auc_rows, row_sample
from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._reference_model import (
    Unfittable,
    design_of,
    fit_predict,
    fold_plan,
    gather_rows,
    model_factory,
    reference_fit,
    row_buffer,
    score_predictions,
)
from datacert.checks._registry import register

SEED = 0
FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
C_GRID = np.geomspace(0.05, 3.0, 60)
WIDE_FEATURES = 2_000  # above this many features, fewer folds keep the curve affordable
POINT_SE = 0.01  # standard error of one learning-curve point (pooled held-out AUROC at chance)


def power_law(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """Inverse power law learning curve: score(n) = a − b·n^(−c)."""
    return a - b * np.power(n, -c)


@register
class InsufficientSampleSize(Check):
    """Estimate, from a learning curve, how many records the reference model needs to plateau.

    Notes
    -----
    The retained reference model is trained on 20 % … 100 % of each training fold (stratified,
    seeded; every step refitted, except the standardisation of ridge on principal components,
    fitted once per training fold: see _fold_curve) and scored on the held-out fold (Figueroa et
    al. 2012, methods §3.6). An inverse power law score(n) = a − b·n^(−c) is fitted with weights
    1/variance; the records needed to come within ε of the plateau a are n* = (b/ε)^(1/c). Its
    95 % interval comes from refitting on bootstrap resamples of the cross-validation curves.
    Extrapolating beyond 2–3 × n is unreliable, which is why the interval is reported, and beyond
    10 × n the message gives only a lower bound; when the fitted plateau sits on its bound (a
    perfect score) no count is claimed at all. A plateau
    near chance (upper 95 % bound of the full-size held-out score below 0.6 AUROC / 0.05 R²) means
    there is no learnable signal at this size: a critical, reject-level finding. A warning needs both n*
    > margin × n, a gain from doubling n of at least `min_gain`, and a rise of the held-out score
    from the smallest to the full training size that the folds show to be real (paired one-sided
    t-test, p < `rise_p`): a curve flat within its noise asks for nothing. On the trust
    benchmark's untouched real tables the old rule (gain ≥ 0.005, no test of the rise) asked for
    more records on 6 of 17, mostly from curves flat within their noise (colon 0.68 → 0.70 over
    the five steps, gain 0.007).
    Cost is bounded by the records the curve uses, chosen from the standard error of one point.
    A point is the held-out score pooled over the folds, so its precision is set by the records
    scored (every curve record is held out once), not by the number of folds: for classes, the
    curve draws `auc_rows(0.01, minority share)` records from the shared stratified sample (the
    Hanley-McNeil standard error of an AUROC at chance, 0.01: the smallest gain from doubling
    that asks for more data), 3,334 records for balanced classes and 5,209 at a 20 % minority,
    never more than `max_rows` (5,000; numeric targets use `max_rows`). Fewer folds or points
    would cut the cost further but leave the paired rise test with 2 degrees of freedom and the
    three-parameter law with no residual, so the records, not the folds, are bounded. Where the
    curve's records and folds are the reference fit's (a table within both budgets), the point at
    the full training size is the reference fit itself and its out-of-fold predictions are reused:
    20 fits instead of 25, the same figures.
    """

    id = "insufficient_sample_size"
    sample_cpu_seconds = 0.65
    dimension = "representativeness"
    governance = ("sufficiency",)
    needs = Needs(roles=("target",), min_rows=30, artifacts=("task", "design", "reference_fit", "row_sample"))
    cost = "model fits"
    params = (
        Param("epsilon", 0.01, "performance gap to the plateau that counts as reached", low=0),
        Param(
            "margin", 1.25, "records needed over records available above which more data is asked for", low=0
        ),
        Param("chance_auroc", 0.6, "AUROC at or below which a classifier learnt nothing", low=0.5, high=1),
        Param("chance_r2", 0.05, "R² at or below which a regressor learnt nothing", high=1.0),
        Param("folds", 5, "cross-validation folds per learning-curve point", low=2),
        Param("max_rows", 5_000, "records sampled for the learning curve", low=1),
        Param("bootstrap", 50, "bootstrap refits of the learning curve for its interval", low=0),
        Param(
            "min_gain",
            0.01,
            "gain in AUROC or R² from doubling the records needed to ask for more data (0.005 before "
            "calibration on the trust benchmark)",
            low=0,
        ),
        Param(
            "rise_p",
            0.05,
            "one-sided p-value (paired over folds) below which the curve's rise from the smallest to the "
            "full training size is real; a curve flat within its noise asks for nothing",
            low=0,
            high=1,
        ),
        Param(
            "max_extrapolation",
            10.0,
            "extrapolation beyond the records available that is still reported",
            low=0,
        ),
    )
    remedy = Remedy("collect_data", 98)

    def run(self, data, profile, params):
        fit = reference_fit(data)
        if isinstance(fit, Unfittable):
            return CheckResult.not_applicable(fit.reason)
        available = int(
            fit.rows.size
            if fit.sampled_rows is None
            else data.frame.get_column(data.roles.target).is_not_null().sum()
        )
        rng = np.random.default_rng(SEED)
        # the curve's records: the shared stratified sample of the model's rows (all of them when few)
        budget = curve_rows(fit.task, fit.y, params["max_rows"])
        pick = np.searchsorted(fit.rows, row_sample(data, budget, among=fit.rows).rows)
        rows, y = fit.rows[pick], fit.y[pick]
        X = design_of(data).take(rows)
        n_folds = params["folds"] if fit.n_features <= WIDE_FEATURES else min(3, params["folds"])
        folds, _ = fold_plan(data, rows, y, fit.task, n_splits=n_folds)
        factory = model_factory(data, fit)
        n_classes = len(fit.classes) if fit.task == "classification" else 0
        sizes = np.zeros(len(FRACTIONS))
        scores = np.full((len(folds), len(FRACTIONS)), np.nan)
        # where the curve's folds are the reference fit's (the same records, the same plan), the full
        # training size is the reference fit itself: its out-of-fold predictions are reused
        reused = rows.size == fit.rows.size and _same_folds(folds, fit.folds)
        lines = row_buffer(X, folds)  # one block for every fit's training records
        for i, (train, test) in enumerate(folds):
            subsets = [_subsample(train, y, fraction, fit.task, rng) for fraction in FRACTIONS]
            fitted = subsets[:-1] if reused else subsets
            predictions = _fold_curve(factory, X, y, train, test, fitted, fit.task, n_classes, lines)
            if reused:
                predictions.append(fit.oof[test])
            for j, (subset, predicted) in enumerate(zip(subsets, predictions, strict=True)):
                scores[i, j] = score_predictions(fit.task, y[test], predicted)
                sizes[j] += subset.size / len(folds)
        chance = params["chance_auroc"] if fit.task == "classification" else params["chance_r2"]
        evidence = {
            **fit.evidence(),
            "curve_sizes": sizes.tolist(),
            "curve_scores": np.nanmean(scores, axis=0).tolist(),
            "records_available": available,
            "epsilon": params["epsilon"],
            "curve_folds": len(folds),
        }
        if rows.size < fit.rows.size or fit.sampled_rows is not None:
            evidence["sampled_rows"] = int(rows.size)
            evidence["population_rows"] = available
        point = _fit_curve(sizes, scores, polish=True)
        if point is None:
            return CheckResult.quiet({**evidence, "curve_fit": "failed"})
        a, b, c = point
        boot = []
        for _ in range(params["bootstrap"]):
            draw = scores[rng.integers(0, scores.shape[0], scores.shape[0])]
            refit = _fit_curve(sizes, draw)
            if refit is not None:
                boot.append((refit[0], _needed(refit, params["epsilon"]), _doubling_gain(refit, available)))
        gain = _doubling_gain(point, available)
        boot_arr = np.array(boot) if boot else np.array([[a, _needed(point, params["epsilon"]), gain]])
        needed = _needed(point, params["epsilon"])
        plateau_ci = np.percentile(boot_arr[:, 0], [2.5, 97.5])
        needed_ci = np.percentile(boot_arr[:, 1], [2.5, 97.5])
        rise = scores[:, -1] - scores[:, 0]
        rise_p = _rise_p_value(rise)
        evidence.update(
            {
                "plateau": a,
                "plateau_interval": plateau_ci.tolist(),
                "records_needed": needed,
                "records_needed_interval": needed_ci.tolist(),
                "gain_from_doubling": gain,
                "curve_rise": float(np.nanmean(rise)),
                "curve_rise_p": rise_p,
                "curve_parameters": {"a": a, "b": b, "c": c},
                "bootstrap_fits": len(boot),
                "numerator": needed,
                "denominator": available,
            }
        )
        findings = []
        full = scores[:, -1]
        full_upper = float(np.nanmean(full) + 1.96 * np.nanstd(full, ddof=1) / np.sqrt(full.size))
        evidence["full_size_score_upper"] = full_upper
        if full_upper < chance and fit.score < chance:
            findings.append(
                self.finding(
                    "critical",
                    "The learning curve levels off near chance: the target cannot be predicted from "
                    "these features at this size.",
                    columns=[data.roles.target],
                    evidence={**evidence, "threshold": chance},
                    remedy="Check the target definition and the features; collecting more of the "
                    "same records "
                    "is unlikely to help.",
                )
            )
        elif fit.score < chance:
            findings.append(
                self.finding(
                    "info",
                    "The reference model barely beats chance, so the number of records needed cannot be "
                    "estimated.",
                    columns=[data.roles.target],
                    evidence={**evidence, "threshold": chance},
                    remedy="Review the target and the features before sizing the study.",
                )
            )
        elif (
            needed > params["margin"] * available and gain >= params["min_gain"] and rise_p < params["rise_p"]
        ):
            limit = params["max_extrapolation"] * available
            if a >= 0.999:
                # the fitted plateau sits on the bound (a perfect score): its level, and so n*, is unknown
                evidence["plateau_identified"] = False
                message = (
                    f"The learning curve is still rising at {available:,} records and its plateau cannot be "
                    "estimated, so more records are likely to improve the model."
                )
            elif needed > limit:
                evidence["records_needed_beyond_extrapolation_limit"] = True
                message = (
                    f"The learning curve is still rising steeply: far more than the {available:,} records "
                    f"available (over {limit:,.0f}) look necessary for a stable model."
                )
            else:
                message = (
                    f"The learning curve suggests about {needed:,.0f} records are needed to reach a stable "
                    f"model, and the table has {available:,}."
                )
            findings.append(
                self.finding(
                    "warning",
                    message,
                    columns=[data.roles.target],
                    evidence={**evidence, "threshold": params["margin"] * available},
                    remedy="Collect more records if possible; until then prefer simple, regularised "
                    "models and "
                    "report performance with its uncertainty.",
                )
            )
        return CheckResult.fired(findings, evidence)


def curve_rows(task: str, y: np.ndarray, max_rows: int) -> int:
    """Records the learning curve needs: one point's AUROC standard error POINT_SE at chance."""
    if task != "classification" or y.size == 0:
        return max_rows
    minority = float(np.bincount(y).min(initial=y.size) / y.size)
    return min(max_rows, auc_rows(POINT_SE, minority))


def _same_folds(folds: list[tuple[np.ndarray, np.ndarray]], fold_of: np.ndarray) -> bool:
    """Whether these test folds are, in order, those of the reference fit (its fold per record)."""
    if sum(test.size for _, test in folds) != fold_of.size:
        return False
    return all(
        np.array_equal(np.flatnonzero(fold_of == i), np.sort(test)) for i, (_, test) in enumerate(folds)
    )


def _fold_curve(
    factory: Callable[[], Any],
    X: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    subsets: list[np.ndarray],
    task: str,
    n_classes: int,
    lines: np.ndarray | None = None,
) -> list[np.ndarray]:
    """The test fold's predictions by the model trained on each subset of the training fold
    (`lines`: a block for the training records, see `row_buffer`).

    Every model is refitted, preparation step included, on each subset, except ridge on principal
    components (GramPCA, p > n): there the preparation (median imputation, standardisation) is
    fitted once on the whole training fold, which no held-out record enters, and each subset's
    Gram is the centred sub-block of the fold's, so one O(n²p) product per fold serves all five
    points, where the preparation and the Gram of 20,000 columns cost 60 ms per point. The whole
    fold's point is bit for bit the pipeline's own fit; a ridge penalty on all components moves
    little with scales estimated on more records (the wide benchmark's points by 0.0003-0.0007
    AUROC, without a direction). An L1 model does: its selection follows the scales, and sharing
    them lifted the first points of breast_cancer_genes by 0.02-0.03 AUROC and hid the rise
    its learning curve shows, so other models keep their own preparation.
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from datacert.checks._estimators import GramPCA, own_inputs

    model = factory()
    if not isinstance(model, Pipeline) or len(model.steps) < 3 or not isinstance(model.steps[1][1], GramPCA):
        return [fit_predict(factory, X, y, subset, test, task, n_classes, lines=lines) for subset in subsets]
    position = np.full(X.shape[0], -1, dtype=np.int64)
    position[train] = np.arange(train.size)
    rest = model.steps[2:]
    out = []
    with ignoring(), one_thread():  # the same result on any machine and any load
        prepare = own_inputs(model).steps[0][1]  # X[train] and X[test] below are gathers of our own
        fold_train = prepare.fit_transform(gather_rows(X, train, lines), y[train])
        fold_test = prepare.transform(X[test])
        gram, cross = fold_train @ fold_train.T, fold_test @ fold_train.T
        for subset in subsets:
            scores, projected = _gram_components(fold_train, gram, cross, position[subset])
            learner = clone(Pipeline(rest) if len(rest) > 1 else rest[0][1])
            learner.fit(scores, y[subset])
            if task == "regression":
                out.append(learner.predict(projected))
                continue
            proba = learner.predict_proba(projected)
            predicted = np.zeros((test.size, n_classes))
            predicted[:, np.asarray(learner.classes_, dtype=np.int64)] = proba
            out.append(predicted)
    return out


def _gram_components(
    block: np.ndarray, gram: np.ndarray, cross: np.ndarray, index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """GramPCA fitted on the lines `index` of `block`, from the block's Gram and test cross-products:
    the training scores and the test records' projections.

    The same steps as GramPCA.fit/transform (its centring rule and its 1e-10 eigenvalue cut), with
    the subset's centred products taken from the shared ones (t·t' − t·m − m·t' + m·m, every term
    a mean of a sub-block) instead of from a centred copy of its 20,000 columns.
    """
    k = index.size
    whole = k == block.shape[0] and np.array_equal(index, np.arange(k))
    sub = gram if whole else gram[np.ix_(index, index)]
    products = cross if whole else cross[:, index]
    if whole:
        mean = block.mean(axis=0)
    else:  # for the centring rule only: a weighted sum of the lines, not a copy of them
        weights = np.zeros(block.shape[0])
        weights[index] = 1.0 / k
        mean = weights @ block
    spread = float(np.trace(sub)) / max(1, k)
    if float(mean @ mean) > 1e-24 * max(spread, 1e-300):  # GramPCA's rule: a real offset is centred
        line = sub.mean(axis=1)  # t·m for every training line
        centre = float(line.mean())  # m·m
        sub = sub - line[:, None] - line[None, :] + centre
        products = products - products.mean(axis=1, keepdims=True) - line[None, :] + centre
    eigenvalues, vectors = np.linalg.eigh(sub)
    keep = eigenvalues > max(eigenvalues.max(), 0.0) * 1e-10
    singular = np.sqrt(eigenvalues[keep])
    return vectors[:, keep] * singular, products @ (vectors[:, keep] / singular)


def _subsample(train: np.ndarray, y: np.ndarray, fraction: float, task: str, rng) -> np.ndarray:
    """A seeded subset of the training fold of the given fraction (stratified for classes)."""
    if fraction >= 1.0:
        return train
    if task != "classification":
        return np.sort(rng.choice(train, max(5, round(fraction * train.size)), replace=False))
    parts = []
    for label in np.unique(y[train]):
        members = train[y[train] == label]
        take = min(members.size, max(2, round(fraction * members.size)))
        parts.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(parts))


def _fit_curve(
    sizes: np.ndarray, scores: np.ndarray, polish: bool = False
) -> tuple[float, float, float] | None:
    """Weighted least-squares fit of the inverse power law to the mean curve, or None.

    For a fixed exponent c the law is linear in (a, b), so c is profiled on a grid (fast and
    deterministic, used for the bootstrap); `polish` refines the best grid point with curve_fit.
    """
    mean = np.nanmean(scores, axis=0)
    if not np.all(np.isfinite(mean)):
        return None
    sd = np.nanstd(scores, axis=0) / np.sqrt(max(1, scores.shape[0]))
    weight = 1.0 / np.maximum(sd, 0.005) ** 2
    a, b, c = _grid_fit(sizes, mean, weight)
    if polish and b > 0:
        from scipy.optimize import curve_fit  # imported on use: SciPy's optimisers cost 0.5 s to import

        try:
            with ignoring():
                fitted, _ = curve_fit(
                    power_law,
                    sizes,
                    mean,
                    p0=(min(a, 1.0 - 1e-9), b, c),
                    sigma=1.0 / np.sqrt(weight),
                    bounds=([-np.inf, 0.0, 0.05], [1.0, np.inf, 3.0]),
                    # converged far below the certificate's 6 significant digits: with the default
                    # tolerances the flat valley of a 3-parameter law on 5 points let last-bit
                    # differences of the scores move the 5th digit of the parameters
                    ftol=1e-13,
                    xtol=1e-13,
                    gtol=1e-13,
                    maxfev=2_000,
                )
            a, b, c = (float(v) for v in fitted)
        except (RuntimeError, ValueError):
            pass
    return a, b, c


def _grid_fit(sizes: np.ndarray, mean: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """The (a, b, c) of the grid that fits best: for each exponent of C_GRID at once, the weighted
    line a + b·(−n^(−c)), with b ≥ 0 and a ≤ 1 imposed; the first c whose weighted squared error
    is lowest (by more than 1e-12) wins. The 51 fits of a bootstrapped curve cost 3,000 small
    loops before this was vectorised."""
    basis = -np.power(sizes[None, :], -C_GRID[:, None])  # one line per exponent
    sw = weight.sum()
    mx = (basis * weight).sum(axis=1) / sw
    my = float(np.sum(weight * mean) / sw)
    centred = basis - mx[:, None]
    sxx = (weight * centred**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(
            sxx > 0, (weight * centred * (mean - my)).sum(axis=1) / np.where(sxx > 0, sxx, 1.0), 0.0
        )
    a = np.where(sxx > 0, my - slope * mx, my)
    b = slope
    flat = b < 0
    a = np.where(flat, float(np.average(mean, weights=weight)), a)
    b = np.where(flat, 0.0, b)
    capped = a > 1.0
    if capped.any():
        refit = (weight * basis * (mean - 1.0)).sum(axis=1) / (weight * basis * basis).sum(axis=1)
        b = np.where(capped, np.maximum(0.0, refit), b)
        a = np.where(capped, 1.0, a)
    sse = (weight * (mean - a[:, None] - b[:, None] * basis) ** 2).sum(axis=1)
    best = 0
    for i in range(1, C_GRID.size):  # the loop's tie rule: a later c must be better by 1e-12
        if sse[i] < sse[best] - 1e-12:
            best = i
    return float(a[best]), float(b[best]), float(C_GRID[best])


def _rise_p_value(rise: np.ndarray) -> float:
    """One-sided p-value that the mean rise over folds is above zero (paired t-test)."""
    rise = rise[np.isfinite(rise)]
    if rise.size < 2:
        return 1.0
    spread = float(np.std(rise, ddof=1))
    if spread == 0:
        return 0.0 if rise.mean() > 0 else 1.0
    from scipy.special import stdtr  # Student's t survival: scipy.stats.t.sf without importing scipy.stats

    return float(stdtr(rise.size - 1, -rise.mean() / (spread / np.sqrt(rise.size))))


def _doubling_gain(params: tuple[float, float, float], available: int) -> float:
    """Score gained by the fitted curve from `available` records to twice as many."""
    a, b, c = params
    return float(
        power_law(np.array([2.0 * available]), a, b, c)[0] - power_law(np.array([available]), a, b, c)[0]
    )


def _needed(params: tuple[float, float, float], epsilon: float) -> float:
    """Training records at which the curve comes within epsilon of its plateau."""
    _, b, c = params
    if b <= 0:
        return 1.0
    return float(min((b / epsilon) ** (1.0 / c), 1e12))
