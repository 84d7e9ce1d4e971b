"""Label noise measured against the Bayes error: a calibration curve with a noise floor.

Disagreement between labels and an honest model has two sources: the outcome is uncertain given
the features (the Bayes error, large for prognostic outcomes), and labels were recorded wrongly.
Both look alike record by record; they differ in the shape of the calibration curve. Uncertainty
makes the curve flatten gradually; random label errors put a floor under it: even where the model
is most confident, a fixed share ρ of labels disagrees. We therefore calibrate the out-of-fold
scores s in two ways,

    clean:  P(y = 1 | s) = σ(a·s + b)                         (Platt scaling)
    noisy:  P(y = 1 | s) = ρ₀ + (1 − ρ₀ − ρ₁)·σ(a·s + b)      (Platt scaling with a noise floor,
                                                               Bootkrajang & Kabán 2012)

and test the floor with a likelihood-ratio test (χ² with 2 degrees of freedom). Only when the
floor is significant is there disagreement in excess of the calibrated uncertainty; each record
is then flagged when its posterior probability of carrying a flipped label is above one half,
with the curve fitted on the other folds (cross-fitting, so no record calibrates itself). Written
by hand because no maintained library fits this model; cleanlab's confident learning counts
every confident disagreement, including the Bayes error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# SciPy and scikit-learn are imported in the functions that use them: loading the check modules
# (every command does) should not cost their second of import

RHO_MAX = 0.25  # a noise floor above a quarter of the labels is not what this model is for
MIN_SIDE = 10  # records needed on each side of a class to fit its curve
_BOUNDS_CLEAN = [(0.01, 50.0), (-50.0, 50.0)]
_BOUNDS_NOISY = [*_BOUNDS_CLEAN, (-12.0, 12.0), (-12.0, 12.0)]


@dataclass(frozen=True)
class ClassNoise:
    """The noise-floor test for one class against the rest."""

    label: str
    likelihood_ratio: float
    p_value: float
    rho_false_positive: float  # share of true 'rest' recorded as this class
    rho_false_negative: float  # share of true members recorded as 'rest'
    expected_disagreement: float  # Bayes disagreement of the clean curve
    observed_disagreement: float

    def to_dict(self) -> dict:
        return {
            "class": self.label,
            "likelihood_ratio": self.likelihood_ratio,
            "p_value": self.p_value,
            "noise_floor": {
                "recorded_as_class": self.rho_false_positive,
                "recorded_as_rest": self.rho_false_negative,
            },
            "expected_disagreement": self.expected_disagreement,
            "observed_disagreement": self.observed_disagreement,
        }


@dataclass(frozen=True)
class NoiseAssessment:
    tests: tuple[ClassNoise, ...]
    posterior: np.ndarray  # per record: probability its label was flipped (max over classes tested)
    significant: tuple[str, ...]  # classes whose floor is significant
    clean_auroc: float  # AUROC of the model on the records not flagged
    # the noisy curve fitted on every record, per class whose floor is significant (class code, θ)
    floors: tuple[tuple[int, np.ndarray], ...] = ()

    def flagged(self) -> np.ndarray:
        return np.flatnonzero(self.posterior > 0.5)

    def flip_posterior(self, y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        """P(label flipped) of records the curves were not fitted on (scored by a model that did
        not learn from them either), under the curves of the significant floors."""
        posterior = np.zeros(y.size)
        for c, theta in self.floors:
            p = np.clip(predicted[:, c], 1e-6, 1 - 1e-6)
            member = (y == c).astype(np.float64)
            posterior = np.maximum(posterior, _posterior_flipped(theta, np.log(p / (1 - p)), member))
        return posterior


def _probabilities(theta: np.ndarray, s: np.ndarray, floor: bool) -> np.ndarray:
    from scipy.special import expit

    q = expit(theta[0] * s + theta[1])
    if not floor:
        return q
    r0, r1 = RHO_MAX * expit(theta[2]), RHO_MAX * expit(theta[3])
    return r0 + (1.0 - r0 - r1) * q


def _negative_log_likelihood(theta: np.ndarray, s: np.ndarray, y: np.ndarray, floor: bool) -> float:
    p = np.clip(_probabilities(theta, s, floor), 1e-12, 1 - 1e-12)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _fit(s: np.ndarray, y: np.ndarray, floor: bool) -> tuple[np.ndarray, float]:
    """Maximum-likelihood curve; a few fixed starts because the floor model is not convex."""
    starts = (
        [[1.0, 0.0, -3.0, -3.0], [2.0, 0.0, -1.0, -1.0], [0.5, 0.0, -6.0, -6.0]] if floor else [[1.0, 0.0]]
    )
    from scipy.optimize import minimize

    best: tuple[np.ndarray, float] | None = None
    for x0 in starts:
        result = minimize(
            _negative_log_likelihood,
            np.array(x0),
            args=(s, y, floor),
            method="L-BFGS-B",
            bounds=_BOUNDS_NOISY if floor else _BOUNDS_CLEAN,
        )
        if best is None or result.fun < best[1]:
            best = (result.x, float(result.fun))
    assert best is not None
    return best


def _posterior_flipped(theta: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(label flipped | score, recorded label) under the noisy curve."""
    from scipy.special import expit

    q = expit(theta[0] * s + theta[1])
    r0, r1 = RHO_MAX * expit(theta[2]), RHO_MAX * expit(theta[3])
    p1 = np.clip(r0 + (1.0 - r0 - r1) * q, 1e-12, 1 - 1e-12)
    return np.where(y == 1, r0 * (1.0 - q) / p1, r1 * q / (1.0 - p1))


def assess_noise(
    y: np.ndarray, oof: np.ndarray, folds: np.ndarray, classes: tuple[str, ...], alpha: float
) -> NoiseAssessment:
    """Noise-floor tests per class (one for two classes) and cross-fitted flip posteriors."""
    from scipy.special import chdtrc, expit  # chdtrc: scipy.stats.chi2.sf without importing scipy.stats
    from sklearn.metrics import roc_auc_score

    n, k = oof.shape
    tested = [1] if k == 2 else list(range(k))
    posterior = np.zeros(n)
    tests: list[ClassNoise] = []
    significant: list[str] = []
    floors: list[tuple[int, np.ndarray]] = []
    fold_ids = np.unique(folds)
    for c in tested:
        member = (y == c).astype(np.float64)
        if member.sum() < MIN_SIDE or (n - member.sum()) < MIN_SIDE:
            continue
        p = np.clip(oof[:, c], 1e-6, 1 - 1e-6)
        s = np.log(p / (1 - p))
        clean, clean_nll = _fit(s, member, floor=False)
        noisy, noisy_nll = _fit(s, member, floor=True)
        ratio = max(0.0, 2.0 * (clean_nll - noisy_nll))
        p_value = float(chdtrc(2, ratio))
        q = _probabilities(clean, s, floor=False)
        expected = float(np.mean(np.minimum(q, 1 - q)))
        observed = float(np.mean(member != (q > 0.5)))
        tests.append(
            ClassNoise(
                classes[c],
                ratio,
                p_value,
                float(RHO_MAX * expit(noisy[2])),
                float(RHO_MAX * expit(noisy[3])),
                expected,
                observed,
            )
        )
        if p_value >= alpha:
            continue
        significant.append(classes[c])
        floors.append((c, noisy))
        for fold in fold_ids:
            test = folds == fold
            theta, _ = _fit(s[~test], member[~test], floor=True)
            posterior[test] = np.maximum(posterior[test], _posterior_flipped(theta, s[test], member[test]))
    flagged = posterior > 0.5
    clean_auroc = float("nan")
    keep = ~flagged
    if k == 2 and np.unique(y[keep]).size == 2:
        clean_auroc = float(roc_auc_score(y[keep], oof[keep, 1]))
    elif k > 2 and np.unique(y[keep]).size == k:
        clean_auroc = float(roc_auc_score(y[keep], oof[keep], multi_class="ovr"))
    return NoiseAssessment(tuple(tests), posterior, tuple(significant), clean_auroc, tuple(floors))
