"""underrepresented_subgroup: sensitive subgroups too small to evaluate on, or below their intended share."""

from __future__ import annotations

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.representativeness._subgroups import (
    Subgroups,
    contingency,
    normalise_level,
    subgroups_of,
    target_classes,
)
from datacert.reference_population import load_reference
from datacert.statistics import wilson_interval


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


@register
class UnderrepresentedSubgroup(Check):
    """Find sensitive subgroups too small to evaluate a model on, or rarer than in the intended population.

    Notes
    -----
    A subgroup needs enough records (30) and enough events of each class (10) for its own
    performance to be estimated; below that a model's behaviour on it is unknown (STANDING
    Together; GMLP principle 3). Shares carry Wilson 95 % intervals. With `--reference`, observed
    shares are compared with the intended population's: a share under half the intended one, or
    whose upper bound stays below it while the ratio is under 0.8 (the four-fifths convention,
    used as an analogy), is flagged; an intended subgroup absent from the data is a
    blocking defect for that intended use (AI Act art. 10(3)-(4)). Numeric attributes are binned
    into age bands (or quartiles) and the evidence says so.
    """

    id = "underrepresented_subgroup"
    dimension = "representativeness"
    governance = ("bias", "subgroups", "setting")
    needs = Needs(roles=("sensitive",), min_rows=1)
    params = (
        Param("min_count", 30, "records a subgroup needs to be learnt and evaluated", low=1),
        Param("min_events", 10, "target events a subgroup needs", low=1),
        Param(
            "reference_ratio",
            0.5,
            "observed over expected share below which a subgroup is under-represented",
            low=0,
        ),
        Param(
            "material_ratio",
            0.8,
            "observed over expected share below which a significant shortfall counts",
            low=0,
        ),
        Param("max_listed", 50, "subgroups listed in the evidence", low=1),
    )
    remedy = Remedy("collect_data", 97)
    cost = "linear"

    def run(self, data, profile, params):
        classes = target_classes(data)
        reference = load_reference(data.reference, data.roles.sensitive) if data.reference else {}
        findings = []
        summary: dict[str, dict] = {}
        sizes: dict[str, dict] = {}
        for column in data.roles.sensitive:
            groups = subgroups_of(data, column)
            table = self._table(groups, classes)
            summary[column] = {
                "subgroups": len(groups.labels),
                "binning": groups.binning,
                "missing": groups.missing,
            }
            evaluable = self._evaluable(table, params)
            sizes[column] = {
                groups.labels[i]: {**self._describe(groups, table, i), "evaluable": bool(evaluable[i])}
                for i in range(min(len(groups.labels), params["max_listed"]))
            }
            findings += self._evaluability(data, groups, table, classes, params)
            if column in reference:
                findings += self._against_reference(data, groups, table, reference[column], params)
        evidence = {
            "attributes": summary,
            "subgroups": sizes,
            "min_count": params["min_count"],
            "min_events": params["min_events"],
            "reference_given": bool(reference),
        }
        return CheckResult.fired(findings, evidence)

    @staticmethod
    def _table(groups: Subgroups, classes) -> dict:
        counts = groups.counts()
        known = int(counts.sum())
        low, high = wilson_interval(counts, known)
        table = {
            "counts": counts,
            "share": counts / known if known else counts * 0.0,
            "low": low,
            "high": high,
            "known": known,
        }
        if classes is not None:
            codes, names = classes
            table["events"] = contingency(groups.codes, codes, len(groups.labels), len(names))
            table["class_names"] = names
        return table

    def _describe(self, groups: Subgroups, table: dict, i: int) -> dict:
        out = {
            "count": int(table["counts"][i]),
            "share": float(table["share"][i]),
            "share_ci95": [float(table["low"][i]), float(table["high"][i])],
        }
        if "events" in table:
            out["events"] = dict(zip(table["class_names"], table["events"][i].tolist(), strict=True))
        return out

    def _attribute_facts(self, groups: Subgroups) -> dict:
        facts = {"attribute": groups.column, "missing": groups.missing}
        if groups.binning:
            facts["binning"] = groups.binning
            facts["cut_points"] = list(groups.cut_points)
        return facts

    @staticmethod
    def _evaluable(table: dict, params) -> np.ndarray:
        """Enough records, and enough of each class, to estimate a model's performance on the subgroup."""
        ok = table["counts"] >= params["min_count"]
        if "events" in table:
            ok &= table["events"].min(axis=1) >= params["min_events"]
        return ok

    def _evaluability(self, data, groups, table, classes, params) -> list:
        counts = table["counts"]
        flagged = np.flatnonzero(~self._evaluable(table, params) & (counts > 0))
        if flagged.size == 0:
            return []
        rows = np.flatnonzero(np.isin(groups.codes, flagged))
        listed = {groups.labels[i]: self._describe(groups, table, i) for i in flagged[: params["max_listed"]]}
        banded = f" ({groups.binning})" if groups.binning else ""
        return [
            self.finding(
                "warning",
                f"{plural(int(flagged.size), 'subgroup')} of '{groups.column}'{banded} "
                f"{_are(flagged.size)} too small to evaluate "
                f"a model on separately.",
                columns=[groups.column],
                rows=rows,
                evidence={
                    **self._attribute_facts(groups),
                    "numerator": int(flagged.size),
                    "denominator": len(groups.labels),
                    "threshold": params["min_count"],
                    "min_events": params["min_events"],
                    "subgroups": listed,
                },
                remedy="Collect more records of these subgroups, or merge them with a clinically "
                "close subgroup, "
                "and report their performance as not evaluable.",
            )
        ]

    def _against_reference(self, data, groups, table, intended: dict[str, float], params) -> list:
        observed_index = {normalise_level(label): i for i, label in enumerate(groups.labels)}
        share, high, known = table["share"], table["high"], table["known"]
        absent, under, rows_under = [], {}, []
        tvd = 0.0
        matched = set()
        for level, expected in sorted(intended.items()):
            i = observed_index.get(normalise_level(level))
            observed = float(share[i]) if i is not None else 0.0
            tvd += abs(observed - expected) / 2.0
            if i is not None:
                matched.add(i)
            if expected <= 0:
                continue
            if i is None or table["counts"][i] == 0:
                absent.append(level)
                continue
            ratio = observed / expected
            if ratio < params["reference_ratio"] or (high[i] < expected and ratio < params["material_ratio"]):
                under[level] = {
                    **self._describe(groups, table, i),
                    "intended_share": expected,
                    "representation_ratio": ratio,
                }
                rows_under.append(i)
        extra = [groups.labels[i] for i in range(len(groups.labels)) if i not in matched]
        tvd += float(sum(share[i] for i in range(len(groups.labels)) if i not in matched)) / 2.0
        expected_vec = np.array([intended.get(lv, 0.0) for lv in intended])
        observed_vec = np.array(
            [
                float(share[observed_index[normalise_level(lv)]])
                if normalise_level(lv) in observed_index
                else 0.0
                for lv in intended
            ]
        )
        positive = expected_vec > 0
        chi2 = float(
            known * np.sum((observed_vec[positive] - expected_vec[positive]) ** 2 / expected_vec[positive])
        )
        facts = {
            **self._attribute_facts(groups),
            "intended": dict(sorted(intended.items())),
            "total_variation_distance": tvd,
            "cohen_w": float(np.sqrt(chi2 / known)) if known else None,
            "levels_not_in_reference": extra,
        }
        findings = []
        if absent:
            findings.append(
                self.finding(
                    "critical",
                    f"{plural(len(absent), 'subgroup')} of '{groups.column}' that the intended "
                    "population includes "
                    f"{'is' if len(absent) == 1 else 'are'} absent from the data, so the model cannot "
                    "be shown to "
                    f"work for {'it' if len(absent) == 1 else 'them'}.",
                    columns=[groups.column],
                    rows=[],
                    evidence={
                        **facts,
                        "numerator": len(absent),
                        "denominator": sum(v > 0 for v in intended.values()),
                        "threshold": 0,
                        "absent_subgroups": absent,
                    },
                    remedy="Collect records of the missing subgroups, or narrow the intended use to "
                    "the population "
                    "the data covers.",
                )
            )
        if under:
            strong = any(v["representation_ratio"] < params["reference_ratio"] for v in under.values())
            findings.append(
                self.finding(
                    "error" if strong else "warning",
                    f"{plural(len(under), 'subgroup')} of '{groups.column}' {_are(len(under))} rarer "
                    "in the data than in the "
                    f"intended population.",
                    columns=[groups.column],
                    rows=np.flatnonzero(np.isin(groups.codes, rows_under)),
                    evidence={
                        **facts,
                        "numerator": len(under),
                        "denominator": len(intended),
                        "threshold": params["reference_ratio"],
                        "underrepresented": under,
                    },
                    remedy="Collect more records of these subgroups, or reweight them to the "
                    "intended proportions, "
                    "and report subgroup performance.",
                )
            )
        return findings
