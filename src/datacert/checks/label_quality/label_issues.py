"""label_issues: records whose label is probably wrong, beyond what the outcome's uncertainty explains."""

from __future__ import annotations

from typing import Any

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._reference_model import ReferenceFit, Unfittable, reference_fit, score_population
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.label_quality._noise_floor import assess_noise
from datacert.survival import event_coding, is_prognostic_name

MAX_LISTED = 100


@register
class LabelIssues(Check):
    """Find records whose label disagrees with an honest model more than the outcome's own
    uncertainty explains.

    Notes
    -----
    Classification: the shared reference model's out-of-fold probabilities are calibrated with and
    without a noise floor (datacert.checks.label_quality._noise_floor); a significant floor
    (likelihood-ratio test, `excess_alpha`) is disagreement beyond the Bayes error, and records
    whose cross-fitted posterior of a flipped label exceeds one half are flagged. Severity follows
    the model: an error only when the model is strong (cross-validated AUROC ≥ `min_auroc` and
    ≥ `strong_auroc` on the records not flagged) and the excess share is above `error_share`;
    a warning for a smaller excess; otherwise an info saying the outcome is noisy by nature.
    Prognostic outcomes (death, relapse...) and time-to-event outcomes (a duration role; censored
    records have no final label) are never a label-quality gate: at most an info. Numeric targets
    use the robust z-score of out-of-fold residuals. Flagged records go to expert review, never to
    automatic deletion.

    Where the model is weak (pima_training AUROC 0.76-0.83, birthweight 0.58-0.70 on the trust
    benchmark) 5-10 % of flipped labels are not identifiable: the calibrated noise floor rises
    with them (observed vs expected disagreement 0.26-0.30 vs 0.26-0.28 flipped, 0.24 vs 0.21
    untouched) and no record can be told from the outcome's own uncertainty. The check then says
    that the labels could not be audited (an info finding, evidence `auditable: false` with the
    reason and the AUROC) instead of calling the outcome "not mislabelled": a label audit needs
    the strong model a warning needs (AUROC ≥ `strong_auroc`), and below it the absence of a
    finding is not evidence of clean labels. On the trust benchmark's five classification tables
    the two cytology tables are auditable (Wisconsin diagnostic and MASS biopsy, AUROC 0.99) and
    the other three are not (birthweight 0.69, pima_training 0.83, pima_test 0.85); 5 % uniform
    flips are then named at warning in 10 of 10 runs, 2 % in 7 of 10. Heavy noise lowers the
    AUROC it is measured against: with 20 % flips the biopsy model falls to 0.77-0.79 and, its
    graded features giving clumped scores in which a noise floor and a flat calibration curve look
    alike, the check says the labels cannot be audited (4 of 5 runs).

    On a tall table the reference model learns from a stratified sample (its size set by the
    precision of the cross-validated AUROC, see datacert.checks._reference_model); the sample
    decides the finding (its share, its severity). When the sample shows a significant noise
    floor and flags records, the records outside the sample are scored once by the retained
    model fitted on the whole sample, and those whose flip posterior under the sample's noise
    curve exceeds one half are named too (evidence `population_scored`, `population_flagged`).
    """

    id = "label_issues"
    sample_cpu_seconds = 0.1
    dimension = "label_quality"
    governance = ("labelling", "errors")
    needs = Needs(roles=("target",), min_rows=20, artifacts=("task", "design", "reference_fit"))
    cost = "model fits"
    params = (
        Param(
            "min_auroc",
            0.75,
            "reference model AUROC needed before its disagreements are trusted",
            low=0.5,
            high=1,
        ),
        Param(
            "strong_auroc",
            0.90,
            "AUROC on the records not flagged from which label errors can gate (a strong model)",
            low=0.5,
            high=1,
        ),
        Param(
            "excess_alpha",
            0.001,
            "p-value of the noise-floor test below which disagreement exceeds the Bayes error",
            low=0,
            high=1,
        ),
        Param("min_r2", 0.30, "reference model R² needed before its residuals are trusted", high=1.0),
        Param("residual_z", 3.5, "robust z-score of a residual from which a numeric label is suspect", low=0),
        Param(
            "noisy_by_nature_share",
            0.05,
            "share of disagreeing labels from which an outcome noisy by nature is reported (info)",
            low=0,
            high=1,
        ),
        Param(
            "warning_share", 0.0, "share of suspect labels from which the finding is a warning", low=0, high=1
        ),
        # calibrated on the trust benchmark (breast_cancer_wisconsin, the corpus' strong-model
        # table, 3-5 seeds): the flagged share follows the planted flip rate (true 0.019 -> 0.000-
        # 0.032; 0.050 -> 0.040-0.060; 0.100 -> 0.102-0.114), so these cut-offs are those of
        # methods §4 (D5) on the true noise rate: any excess a warning, 10 % an error (fix
        # first), 25 % critical; none of the 19 untouched tables reaches a warning
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
            return self._classification(data, fit, params)
        return self._regression(data, fit, params)

    def _classification(self, data, fit: ReferenceFit, params) -> CheckResult:
        noise = assess_noise(fit.y, fit.oof, fit.folds, fit.classes, params["excess_alpha"])
        flagged = noise.flagged()
        reliable = fit.score >= params["min_auroc"]
        strong = reliable and noise.clean_auroc >= params["strong_auroc"]
        n_used = fit.rows.size
        target = data.roles.target
        censored = bool(data.roles.duration)
        prognostic = censored or is_prognostic_name(target)
        evidence: dict[str, Any] = {
            **fit.evidence(),
            "reliable": bool(reliable),
            "reliability_threshold": params["min_auroc"],
            "strong_model": bool(strong),
            "strong_auroc": params["strong_auroc"],
            "auroc_without_flagged": noise.clean_auroc,
            "excess_test": [t.to_dict() for t in noise.tests],
            "excess_alpha": params["excess_alpha"],
            "numerator": int(flagged.size),
            "denominator": n_used,
            "share": flagged.size / n_used,
        }
        if noise.tests:
            worst = max(noise.tests, key=lambda t: t.observed_disagreement)
            evidence["observed_disagreement"] = worst.observed_disagreement
            evidence["expected_disagreement"] = worst.expected_disagreement
        if prognostic:
            evidence["outcome"] = "time-to-event (censored)" if censored else "prognostic"
        evidence["auditable"] = bool(strong and not prognostic)
        if not evidence["auditable"]:
            evidence["not_auditable_reason"] = _not_auditable_reason(
                fit, noise.clean_auroc, params, target, censored if prognostic else None
            )
        outside, outside_posterior = self._outside_sample(data, fit, noise, evidence, flagged.size > 0)
        if flagged.size and censored:
            # a censored record's event may come after follow-up: never a label error
            coding = event_coding(data.frame.get_column(target))
            if coding is not None:
                all_events = coding.events(data.frame.get_column(target))
                events = all_events[fit.rows]
                flagged = flagged[events[flagged] == 1.0]
                kept = all_events[outside] == 1.0
                outside, outside_posterior = outside[kept], outside_posterior[kept]
                evidence["censored_records_not_flagged"] = True
        if flagged.size == 0:
            if not prognostic and not strong:
                return CheckResult.fired([self._not_audited(data, evidence)], evidence)
            observed = evidence.get("observed_disagreement", 0.0)
            if observed >= params["noisy_by_nature_share"] and (prognostic or not noise.significant):
                return CheckResult.fired(
                    [self._noisy_by_nature(data, evidence, prognostic, censored)], evidence
                )
            return CheckResult.quiet(evidence)
        share = flagged.size / n_used
        if prognostic or not strong:
            severity = "info"
        elif share > params["critical_share"]:
            severity = "critical"
        elif share > params["error_share"]:
            severity = "error"
        else:
            severity = "warning"
        named = fit.rows[flagged]
        if outside.size:
            # the sample's flags and those of the records outside it, most suspicious first
            named = np.concatenate([named, outside])
            posterior = np.concatenate([noise.posterior[flagged], outside_posterior])
            listed = [int(named[i]) for i in np.lexsort((named, -posterior))[:MAX_LISTED]]
            named = np.sort(named)
        else:
            ranking = flagged[np.argsort(-noise.posterior[flagged], kind="stable")]
            listed = [int(fit.rows[i]) for i in ranking[:MAX_LISTED]]
        finding_evidence = {
            **evidence,
            "numerator": int(flagged.size),
            "share": share,
            "threshold": _share_threshold(severity, params),
            "most_suspicious_rows": listed,
        }
        if "population_scored" in evidence:
            finding_evidence["population_flagged"] = int(outside.size)
        if severity != "info":
            message = (
                f"{flagged.size:,} of the {n_used:,} records checked ({share:.1%}) have a label that a "
                "strong "
                "cross-validated model contradicts beyond the outcome's own uncertainty."
            )
            remedy = (
                "Have an expert re-review these labels (most suspicious first) and correct them; "
                "do not delete them automatically."
            )
        elif prognostic:
            message = (
                f"{plural(flagged.size, 'record')} disagree with the model more than its calibrated "
                "uncertainty "
                f"expects, but {target!r} is a {'time-to-event' if censored else 'prognostic'} outcome: "
                "this is a review list, not a label-quality verdict."
            )
            remedy = "Treat as a review list only; a future event is uncertain by nature."
        else:
            message = (
                f"{plural(flagged.size, 'record')} look mislabelled, but the labels cannot be audited: "
                f"{evidence['not_auditable_reason']}."
            )
            remedy = "Treat as a review list only; label quality cannot be assessed reliably at this size."
        if outside.size:
            message += (
                f" Scored by the model fitted on the {n_used:,} sampled records, "
                f"{outside.size:,} of the other {evidence['population_scored']:,} are flagged too."
            )
        finding = self.finding(
            severity,
            message,
            columns=[target],
            rows=named,
            evidence=finding_evidence,
            remedy=remedy,
        )
        return CheckResult.fired([finding], evidence)

    @staticmethod
    def _outside_sample(
        data, fit: ReferenceFit, noise, evidence: dict[str, Any], wanted: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Table rows outside a tall table's sample whose label is probably flipped, and their
        posteriors: scored by the retained model fitted on the whole sample, under the noise
        floors the sample found significant (nothing to score without one, or without a flag in
        the sample: the sample, whose size is set by the AUROC's precision, decides the finding)."""
        none = np.zeros(0, dtype=np.int64), np.zeros(0)
        if not (wanted and noise.floors and fit.sampled_rows is not None):
            return none
        population = score_population(data, fit)
        if population is None or population.rows.size == 0:
            return none
        evidence["population_scored"] = int(population.rows.size)
        posterior = noise.flip_posterior(population.y, population.predicted)
        hit = posterior > 0.5
        return population.rows[hit], posterior[hit]

    def _not_audited(self, data, evidence):
        """The statement a user gets where the model is too weak to tell label errors from noise."""
        target = data.roles.target
        observed = evidence.get("observed_disagreement")
        unseen = (
            f"; {observed:.0%} of the labels disagree with the model, and label errors hidden among "
            "them would go unseen"
            if observed is not None
            else ""
        )
        return self.finding(
            "info",
            f"The labels of {target!r} could not be audited: {evidence['not_auditable_reason']}{unseen}.",
            columns=[target],
            evidence={**evidence, "threshold": evidence["strong_auroc"], "reports_defect": False},
            remedy="Audit the labels another way (double reading of a sample, a second annotator); "
            "absence of a finding here is not evidence of clean labels.",
        )

    def _noisy_by_nature(self, data, evidence, prognostic: bool, censored: bool):
        observed, expected = evidence["observed_disagreement"], evidence["expected_disagreement"]
        target = data.roles.target
        kind = (
            "a time-to-event outcome"
            if censored
            else ("a prognostic outcome" if prognostic else "the outcome")
        )
        return self.finding(
            "info",
            f"{observed:.0%} of the labels disagree with the model, about what its calibrated uncertainty "
            f"expects ({expected:.0%}): {target!r} is {kind} that is noisy by nature; no label errors "
            "beyond that noise are detectable.",
            columns=[target],
            evidence={**evidence, "threshold": evidence["excess_alpha"], "reports_defect": False},
            remedy="Nothing to correct; report the model's calibration and expect this error rate.",
        )

    def _regression(self, data, fit: ReferenceFit, params) -> CheckResult:
        flagged, ranking, extra = _regression_issues(fit, params["residual_z"])
        reliable = fit.score >= params["min_r2"]
        n_used = fit.rows.size
        share = flagged.size / n_used
        evidence = {
            **fit.evidence(),
            "reliable": bool(reliable),
            "reliability_threshold": params["min_r2"],
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
        listed = [int(fit.rows[i]) for i in ranking[:MAX_LISTED]]
        finding_evidence = {
            **evidence,
            "threshold": _share_threshold(severity, params),
            "most_suspicious_rows": listed,
        }
        if reliable:
            message = (
                f"{flagged.size:,} of the {n_used:,} records checked ({share:.1%}) have a target value "
                "that a "
                f"cross-validated model confidently contradicts."
            )
            remedy = (
                "Have an expert re-review these values (most suspicious first) and correct them; "
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
            rows=fit.rows[flagged],
            evidence=finding_evidence,
            remedy=remedy,
        )
        return CheckResult.fired([finding], evidence)


def _not_auditable_reason(
    fit: ReferenceFit, clean_auroc: float, params, target: str, censored: bool | None
) -> str:
    """Why label errors cannot be told from the outcome's uncertainty here (said to the user)."""
    if censored is not None:
        kind = "a time-to-event" if censored else "a prognostic"
        return f"{target!r} is {kind} outcome, uncertain by nature, so disagreement is not a label error"
    if fit.score < params["min_auroc"]:
        return (
            f"the reference model's cross-validated AUROC is {fit.score:.2f}, below the "
            f"{params['min_auroc']:.2f} from which its disagreements are trusted"
        )
    shown = "not measurable" if np.isnan(clean_auroc) else f"{clean_auroc:.2f}"
    return (
        f"the reference model's cross-validated AUROC is {fit.score:.2f} ({shown} on the records not "
        f"flagged), below the {params['strong_auroc']:.2f} from which a label error can be told from "
        "the outcome's own uncertainty"
    )


def _share_threshold(severity: str, params) -> float:
    return {"critical": params["critical_share"], "error": params["error_share"]}.get(
        severity, params["warning_share"]
    )


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
