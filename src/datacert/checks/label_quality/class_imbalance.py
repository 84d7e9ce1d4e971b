"""class_imbalance: a minority class too small a share of the records, or a class too small to learn."""

from __future__ import annotations

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._reference_model import class_labels, target_task
from datacert.checks._registry import register
from datacert.checks._util import plural


@register
class ClassImbalance(Check):
    """Find badly imbalanced targets, tiny classes and too few events per candidate feature.

    Notes
    -----
    A rare class is learned and evaluated poorly: accuracy rewards ignoring it, and a class with
    fewer than ~10 records cannot even appear in every cross-validation fold. Events per variable
    (minority count / number of features) is reported as context; the old "10 EPV" rule is
    discouraged for penalised models (van Smeden et al. 2019), so it only yields an info finding.
    With a follow-up time (duration role) the target is an event indicator and its censoring
    level ("0", "censored", "alive") is not judged: nine censored patients of 137 in the
    Veterans' lung cancer trial are a nearly complete follow-up, not a class too small to learn
    (the trust benchmark's one error on that table).

    `warning_share` = 0.1 is an imbalance ratio of 9, the boundary of "high imbalance" in the
    imbalanced-learning literature (Fernández et al. 2008). On the trust benchmark, positives
    (events, for an event indicator) removed until the negatives outnumber them 10 to one are
    found at warning in 80 of 80 runs on 16 real tables; at 5 to one (a minority of 17 %) the
    check warns only where a class falls under `min_class_count` (12 % of runs).
    """

    id = "class_imbalance"
    dimension = "label_quality"
    governance = ("sufficiency", "bias", "class_balance")
    needs = Needs(roles=("target",), min_rows=2, artifacts=("task",))
    params = (
        Param(
            "warning_share",
            0.10,
            "minority share of the target below which the imbalance is a warning",
            low=0,
            high=1,
        ),
        Param("error_share", 0.01, "minority share below which the imbalance is an error", low=0, high=1),
        Param("min_class_count", 10, "records a class needs to be learnt and evaluated at all", low=0),
        Param(
            "epv_info", 10.0, "events per numeric feature below which an information finding is given", low=0
        ),
    )
    remedy = Remedy("reweight_classes", 87)

    def run(self, data, profile, params):
        task = target_task(data)
        if task != "classification":
            return CheckResult.not_applicable(
                "needs a categorical target; the target is numeric (regression) or not learnable"
            )
        rows, codes, classes = class_labels(data)
        counts = np.bincount(codes, minlength=len(classes))
        n = int(counts.sum())
        n_features = len(data.feature_columns())
        censored = censoring_class(classes) if data.roles.duration else None
        # with a follow-up time the target is an event indicator: few censored records mean a nearly
        # complete follow-up, not a class too small to learn, so only the events are judged
        judged = [k for k in range(len(classes)) if k != censored]
        minority = min(judged, key=lambda k: (counts[k], k))
        majority = int(np.argmax(counts))
        share = counts[minority] / n
        epv = counts[minority] / n_features if n_features else None
        target = data.roles.target
        summary = {
            "class_counts": dict(zip(classes, counts.tolist(), strict=True)),
            "denominator": n,
            "minority_class": classes[minority],
            "minority_share": share,
            "imbalance_ratio": counts[majority] / counts[minority],
            "features": n_features,
            "events_per_variable": epv,
        }
        if censored is not None:
            summary["censoring_class"] = classes[censored]
        findings = []
        if len(classes) == 1:
            findings.append(
                self.finding(
                    "error",
                    "The target holds a single class, so no classifier can be trained on it.",
                    columns=[target],
                    row_count=n,
                    evidence={**summary, "numerator": n, "threshold": 2},
                    remedy="Check the target column and the extraction: both outcomes must be present.",
                )
            )
            return CheckResult.fired(findings, summary)
        tiny = [k for k in judged if counts[k] < params["min_class_count"]]
        if tiny:
            findings.append(
                self.finding(
                    "error",
                    f"{plural(len(tiny), 'class', 'classes')} of the target have fewer than "
                    f"{params['min_class_count']} records, too few to learn or evaluate.",
                    columns=[target],
                    rows=rows[np.isin(codes, tiny)],
                    evidence={
                        **summary,
                        "numerator": int(counts[tiny].sum()),
                        "threshold": params["min_class_count"],
                        "tiny_classes": {classes[k]: int(counts[k]) for k in tiny},
                    },
                    remedy="Collect more records of the rare classes, or merge them with a related class.",
                )
            )
        if share < params["warning_share"]:
            severity = "error" if share < params["error_share"] else "warning"
            findings.append(
                self.finding(
                    severity,
                    f"The rarest target class makes up only {share:.1%} of the records.",
                    columns=[target],
                    rows=rows[codes == minority],
                    evidence={
                        **summary,
                        "numerator": int(counts[minority]),
                        "threshold": params["error_share"]
                        if severity == "error"
                        else params["warning_share"],
                    },
                    remedy="Use stratified splits, class weights and metrics that respect the rare class "
                    "(AUPRC, balanced accuracy); collect more minority records if possible.",
                )
            )
        if epv is not None and epv < params["epv_info"] and not tiny:
            findings.append(
                self.finding(
                    "info",
                    f"There are {epv:.1f} records of the rarest class per candidate feature.",
                    columns=[target],
                    evidence={**summary, "numerator": int(counts[minority]), "threshold": params["epv_info"]},
                    remedy="Use penalised models and in-fold feature selection; validate externally.",
                )
            )
        return CheckResult.fired(findings, summary)


CENSORING_LABELS = frozenset({"0", "0.0", "false", "censored", "censure", "alive", "vivant", "no", "non"})


def censoring_class(classes: list) -> int | None:
    """Position of the class that means "no event" (censored) in an event indicator, if one does."""
    for k, label in enumerate(classes):
        if str(label).strip().lower() in CENSORING_LABELS:
            return k
    return None
