"""label_issues: records whose label is probably wrong, from out-of-fold model predictions."""

from __future__ import annotations

import warnings

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._reference_model import ReferenceFit, Unfittable, reference_fit
from datacert.checks._registry import register
from datacert.checks._util import plural

MAX_LISTED = 100


@register
class LabelIssues(Check):
    """Find records whose label disagrees confidently with an honest, cross-validated model.

    Notes
    -----
    Classification uses confident learning (Northcutt, Jiang & Chuang 2021, via cleanlab,
    prune-by-noise-rate) on out-of-fold probabilities of the shared reference model; a record is
    flagged when the model is confidently sure of another class, with per-class thresholds.
    Numeric targets use the robust z-score of out-of-fold residuals. Precision depends on the
    model, so the check only gates when the reference model is reliable (cross-validated AUROC
    ≥ 0.75 or R² ≥ 0.3, methods §4.4); otherwise it reports, as info, that label quality could
    not be assessed. Weak models flag hard but correct cases, often rare phenotypes: flagged
    records go to expert review, never to automatic deletion.
    """

    id = "label_issues"
    dimension = "label_quality"
    needs = Needs(roles=("target",), min_rows=20)
    cost = "model fits"
    params = (
        Param(
            "min_auroc",
            0.75,
            "reference model AUROC needed before its disagreements are trusted",
            low=0.5,
            high=1,
        ),
        Param("min_r2", 0.30, "reference model R² needed before its residuals are trusted", high=1.0),
        Param("residual_z", 3.5, "robust z-score of a residual from which a numeric label is suspect", low=0),
        Param(
            "warning_share", 0.0, "share of suspect labels from which the finding is a warning", low=0, high=1
        ),
        Param(
            "error_share", 0.10, "share of suspect labels from which the finding is an error", low=0, high=1
        ),
        Param(
            "critical_share",
            0.25,
            "share of suspect labels from which the finding is critical",
            low=0,
            high=1,
        ),
    )
    kahn = "plausibility.atemporal"
    remedy = Remedy("review_labels", 91)

    def run(self, data, profile, params):
        fit = reference_fit(data)
        if isinstance(fit, Unfittable):
            return CheckResult.not_applicable(fit.reason)
        if fit.task == "classification":
            flagged, ranking, extra = _classification_issues(fit)
            reliable = fit.score >= params["min_auroc"]
            threshold = params["min_auroc"]
        else:
            flagged, ranking, extra = _regression_issues(fit, params["residual_z"])
            reliable = fit.score >= params["min_r2"]
            threshold = params["min_r2"]
        n_used = fit.rows.size
        share = flagged.size / n_used
        evidence = {
            **fit.evidence(),
            "reliable": bool(reliable),
            "reliability_threshold": threshold,
            "numerator": int(flagged.size),
            "denominator": n_used,
            "share": share,
            **extra,
        }
        if flagged.size == 0:
            return CheckResult.quiet(evidence)
        if not reliable:
            severity = "info"
        elif share > params["critical_share"]:
            severity = "critical"
        elif share > params["error_share"]:
            severity = "error"
        else:
            severity = "warning"
        positions = fit.rows[flagged]
        listed = [int(fit.rows[i]) for i in ranking[:MAX_LISTED]]
        finding_evidence = {
            **evidence,
            "threshold": _share_threshold(severity, params),
            "most_suspicious_rows": listed,
        }
        if reliable:
            message = (
                f"{flagged.size:,} of the {n_used:,} records checked ({share:.1%}) have a label that a "
                f"cross-validated model confidently contradicts."
            )
            remedy = (
                "Have an expert re-review these labels (most suspicious first) and correct them; "
                "do not delete them automatically."
            )
        else:
            message = (
                f"{plural(flagged.size, 'record')} look mislabelled, but the reference model is too weak "
                f"for this to be conclusive."
            )
            remedy = "Treat as a review list only; label quality cannot be assessed reliably at this size."
        finding = self.finding(
            severity,
            message,
            columns=[data.roles.target],
            rows=positions,
            evidence=finding_evidence,
            remedy=remedy,
        )
        return CheckResult.fired([finding], evidence)


def _share_threshold(severity: str, params) -> float:
    return {"critical": params["critical_share"], "error": params["error_share"]}.get(
        severity, params["warning_share"]
    )


def _classification_issues(fit: ReferenceFit) -> tuple[np.ndarray, np.ndarray, dict]:
    """Flagged positions (into fit.rows), their order of suspicion, and noise-rate evidence."""
    from cleanlab.count import estimate_joint
    from cleanlab.filter import find_label_issues

    probs = np.clip(fit.oof, 1e-6, 1.0)
    probs = probs / probs.sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = find_label_issues(
            fit.y,
            probs,
            filter_by="prune_by_noise_rate",
            return_indices_ranked_by="self_confidence",
            n_jobs=1,
        )
        joint = estimate_joint(fit.y, probs)
    ranked = np.asarray(ranked, dtype=np.int64)
    return np.sort(ranked), ranked, {"estimated_noise_rate": float(1.0 - np.trace(joint))}


def _regression_issues(fit: ReferenceFit, z_cut: float) -> tuple[np.ndarray, np.ndarray, dict]:
    residual = fit.y - fit.oof
    centre = np.median(residual)
    scale = 1.4826 * np.median(np.abs(residual - centre))
    if scale <= 1e-12:
        scale = 1.2533 * np.mean(np.abs(residual - centre)) or 1.0
    z = (residual - centre) / scale
    flagged = np.flatnonzero(np.abs(z) > z_cut)
    ranking = flagged[np.argsort(-np.abs(z[flagged]), kind="stable")]
    return flagged, ranking, {"residual_z_threshold": z_cut, "max_abs_residual_z": float(np.abs(z).max())}
