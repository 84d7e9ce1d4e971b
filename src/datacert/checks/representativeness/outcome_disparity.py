"""outcome_disparity: the target rate (or mean) differs strongly between sensitive subgroups."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks.representativeness._subgroups import (
    contingency,
    subgroups_of,
    target_classes,
)
from datacert.shift import cramers_v
from datacert.statistics import wilson_interval


@register
class OutcomeDisparity(Check):
    """Find sensitive attributes whose subgroups have very different outcome rates (or means).

    Notes
    -----
    Per subgroup the event rate carries a Wilson 95 % interval; the gap (max - min) and ratio
    (max / min) between subgroups of at least `min_subgroup` records are tested with a
    chi-squared test, and p-values are adjusted across attributes (Benjamini-Hochberg). A gap
    may be real epidemiology or label bias (a proxy label that encodes access to care,
    Obermeyer et al. 2019): it calls for expert review, it is not a defect by itself. For a
    numeric target the gap is between subgroup means in pooled standard deviations, tested by
    Kruskal-Wallis.
    """

    id = "outcome_disparity"
    dimension = "representativeness"
    governance = ("bias", "subgroups")
    needs = Needs(roles=("sensitive", "target"), min_rows=2)
    params = (
        Param("min_subgroup", 10, "records a subgroup needs to be compared", low=1),
        Param(
            "warning_gap",
            0.2,
            "absolute difference of target rates from which the disparity is a warning",
            low=0,
            high=1,
        ),
        Param("warning_ratio", 2.0, "ratio of target rates from which the disparity is a warning", low=0),
        Param("warning_q", 0.01, "q-value below which a warning-size disparity counts", low=0, high=1),
        Param(
            "notable_gap",
            0.05,
            "absolute difference of target rates from which the disparity is noted",
            low=0,
            high=1,
        ),
        Param("notable_ratio", 1.25, "ratio of target rates from which the disparity is noted", low=0),
        Param("notable_q", 0.01, "q-value below which a noted disparity counts", low=0, high=1),
        Param(
            "warning_sd_gap",
            0.5,
            "difference of a numeric target's means, in standard deviations, for a warning",
            low=0,
        ),
        Param(
            "notable_sd_gap",
            0.2,
            "difference of a numeric target's means, in standard deviations, to note",
            low=0,
        ),
    )
    remedy = Remedy("review_subgroups", 97)
    cost = "linear"

    def run(self, data, profile, params):
        classes = target_classes(data)
        results = []
        for column in data.roles.sensitive:
            groups = subgroups_of(data, column)
            measured = (
                self._rates(groups, classes, params)
                if classes is not None
                else self._means(data, groups, params)
            )
            if measured is not None:
                results.append((groups, measured))
        if not results:
            return CheckResult.not_applicable(
                "no sensitive attribute has two subgroups large enough to compare"
            )
        q_values = stats.false_discovery_control(np.array([m["p_value"] for _, m in results]))
        findings = []
        overview = {}
        for (groups, measured), q in zip(results, q_values, strict=True):
            measured["q_value"] = float(q)
            overview[groups.column] = {
                k: measured[k]
                for k in ("gap", "ratio", "sd_gap", "p_value", "q_value", "lowest", "highest")
                if k in measured
            }
            severity = self._severity(measured, params)
            if severity is None:
                continue
            extremes = [measured.pop("_low"), measured.pop("_high")]
            rows = np.flatnonzero(np.isin(groups.codes, extremes))
            facts = {
                "attribute": groups.column,
                **({"binning": groups.binning} if groups.binning else {}),
                **measured,
            }
            what = "outcome rate" if classes is not None else "average outcome"
            findings.append(
                self.finding(
                    severity,
                    f"The {what} differs markedly between subgroups of '{groups.column}'; check "
                    "whether this is "
                    f"real or a bias in how the label was recorded.",
                    columns=[groups.column, data.roles.target],
                    rows=rows,
                    evidence=facts,
                    remedy="Have a clinician review the gap; if the label is biased, fix its "
                    "definition; otherwise "
                    "stratify training and report performance per subgroup.",
                )
            )
        summary = {"attributes": [g.column for g, _ in results], "gaps": overview}
        return CheckResult.fired(findings, summary)

    @staticmethod
    def _severity(measured: dict, params) -> str | None:
        q = measured["q_value"]
        if "sd_gap" in measured:
            gap = measured["sd_gap"]
            if q < params["warning_q"] and gap >= params["warning_sd_gap"]:
                return "warning"
            if q < params["notable_q"] and gap >= params["notable_sd_gap"]:
                return "info"
            return None
        gap, ratio = measured["gap"], measured["ratio"]
        ratio = np.inf if ratio is None else ratio
        if q < params["warning_q"] and (gap >= params["warning_gap"] or ratio >= params["warning_ratio"]):
            return "warning"
        if q < params["notable_q"] and (gap >= params["notable_gap"] or ratio >= params["notable_ratio"]):
            return "info"
        return None

    @staticmethod
    def _rates(groups, classes, params) -> dict | None:
        codes, names = classes
        table = contingency(groups.codes, codes, len(groups.labels), len(names))
        totals = table.sum(axis=1)
        usable = np.flatnonzero(totals >= params["min_subgroup"])
        if usable.size < 2:
            return None
        sub = table[usable]
        rates = sub / sub.sum(axis=1, keepdims=True)
        # the class whose rate varies most; with two classes, the later-sorted one (1, yes, true)
        candidates = [len(names) - 1] if len(names) == 2 else range(len(names))
        event = max(candidates, key=lambda k: (np.ptp(rates[:, k]), k))
        r = rates[:, event]
        low_i, high_i = int(np.argmin(r)), int(np.argmax(r))
        v, chi2, p = cramers_v(sub)
        lo, hi = wilson_interval(sub[:, event], sub.sum(axis=1))
        per_group = {
            groups.labels[g]: {
                "count": int(sub[j].sum()),
                "events": int(sub[j, event]),
                "rate": float(r[j]),
                "rate_ci95": [float(lo[j]), float(hi[j])],
            }
            for j, g in enumerate(usable)
        }
        ratio = float(r[high_i] / r[low_i]) if r[low_i] > 0 else None
        return {
            "event_class": names[event],
            "gap": float(r[high_i] - r[low_i]),
            "ratio": ratio,
            "lowest": groups.labels[usable[low_i]],
            "highest": groups.labels[usable[high_i]],
            "chi2": chi2,
            "p_value": p,
            "cramers_v": v,
            "subgroups": per_group,
            "threshold": params["warning_gap"],
            "_low": int(usable[low_i]),
            "_high": int(usable[high_i]),
        }

    @staticmethod
    def _means(data, groups, params) -> dict | None:
        target = data.target()
        if not data.schema[target.name].is_numeric():
            return None
        y = np.asarray(target.cast(pl.Float64).fill_nan(None).to_numpy(), dtype=np.float64)
        known = ~np.isnan(y) & (groups.codes >= 0)
        counts = np.bincount(groups.codes[known], minlength=len(groups.labels))
        usable = np.flatnonzero(counts >= params["min_subgroup"])
        if usable.size < 2:
            return None
        samples = [y[known & (groups.codes == g)] for g in usable]
        means = np.array([s.mean() for s in samples])
        pooled = np.sqrt(
            np.sum([(s.size - 1) * s.var(ddof=1) for s in samples])
            / max(1, sum(s.size for s in samples) - len(samples))
        )
        low_i, high_i = int(np.argmin(means)), int(np.argmax(means))
        p = float(stats.kruskal(*samples).pvalue) if pooled > 0 else 1.0
        per_group = {
            groups.labels[g]: {"count": int(counts[g]), "mean": float(means[j])} for j, g in enumerate(usable)
        }
        return {
            "sd_gap": float((means[high_i] - means[low_i]) / pooled) if pooled > 0 else 0.0,
            "gap": float(means[high_i] - means[low_i]),
            "pooled_sd": float(pooled),
            "lowest": groups.labels[usable[low_i]],
            "highest": groups.labels[usable[high_i]],
            "p_value": p,
            "subgroups": per_group,
            "threshold": params["warning_sd_gap"],
            "_low": int(usable[low_i]),
            "_high": int(usable[high_i]),
        }
