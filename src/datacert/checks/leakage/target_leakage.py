"""target_leakage: a feature (or an identifier) predicts the target too well to be legitimate."""

from __future__ import annotations

from typing import Any

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._leakage_screen import DEFAULTS, leakage_screen
from datacert.checks._reference_model import target_task
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.findings import Severity
from datacert.survival import censoring_facts

MAX_LISTED = 50


@register
class TargetLeakage(Check):
    """Report the leakage screen: outcome-derived follow-up times, features that predict the target
    almost perfectly on their own (numeric, categorical or by their missingness), and identifiers
    ordered or coded by outcome.

    Notes
    -----
    The statistics are those of datacert.checks._leakage_screen (one scale for every column,
    out-of-fold target encoding for categories, one permutation null). Severities: a follow-up
    time, near-perfect power (≥ 0.99) or an exact mapping that chance cannot explain (log-probability
    under random labels below log(alpha / columns)) is an error; a strong column (≥ 0.95) whose
    name says it is recorded at or after the outcome (a date of death, a discharge code, another
    follow-up time) is a warning, and so is a column that stands out as a noisy copy of the label
    would: far stronger than every other column, or (from `copy_power`, 0.90) a measurement that
    within each class varies with no other measurement; any other strong column is a
    legitimate-looking predictor and only an info asking to confirm that it is measured before the
    outcome. Identifiers are tested
    on their order and on their non-digit pattern ("CASE-12" vs "CTRL-40").
    """

    id = "target_leakage"
    sample_cpu_seconds = 0.33
    dimension = "leakage"
    needs = Needs(roles=("target",), min_rows=10)
    params = (
        Param(
            "suspicious_power",
            DEFAULTS["suspicious_power"],
            "single-feature predictive power (AUROC-like) from which a feature is strong",
            low=0.5,
            high=1,
        ),
        Param(
            "near_perfect_power",
            DEFAULTS["near_perfect_power"],
            "predictive power from which a feature is near-perfect (confirmed leak)",
            low=0.5,
            high=1,
        ),
        Param(
            "identifier_power",
            DEFAULTS["identifier_power"],
            "predictive power from which an identifier-like column is reported",
            low=0.5,
            high=1,
        ),
        Param(
            "permutations", DEFAULTS["permutations"], "target permutations for the null distribution", low=0
        ),
        Param(
            "alpha", DEFAULTS["alpha"], "p-value below which an exact mapping is significant", low=0, high=1
        ),
        Param(
            "after_outcome_power",
            DEFAULTS["after_outcome_power"],
            "power from which a column whose name says it is recorded after the outcome is suspect",
            low=0.5,
            high=1,
        ),
        Param(
            "copy_power",
            DEFAULTS["copy_power"],
            "power from which a column that stands out, or is unrelated to every other measurement "
            "within each class, looks like a noisy copy of the label",
            low=0.5,
            high=1,
        ),
        Param(
            "standout_margin",
            DEFAULTS["standout_margin"],
            "lead over every other column's power from which a strong column looks like a copy of the label",
            low=0,
            high=0.5,
        ),
    )
    remedy = Remedy("drop_columns", 33, automatic=True)

    def run(self, data, profile, params):
        if target_task(data) is None:
            return CheckResult.not_applicable("needs a target with classes or numbers")
        screen = leakage_screen(data, params)
        if screen is None:
            return CheckResult.not_applicable("needs at least 10 records and two target values")
        power = screen.power
        top = sorted(power.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        near, derived = screen.near_perfect, list(screen.derived)
        summary: dict[str, Any] = {
            "statistic": screen.statistic,
            "columns_tested": screen.columns_tested,
            "denominator": screen.columns_tested,
            "permutation_null_max": screen.null_max,
            "permutations": screen.permutations,
            "strongest_columns": dict(top),
            "excluded_from_reference_model": screen.excluded,
            "numerator": len(screen.outcome_derived)
            + len(near)
            + len(derived)
            + len(screen.missing_only_with_outcome)
            + len(screen.after_outcome)
            + len(screen.names_label)
            + len(screen.standout)
            + sum(len(pair) for pair in screen.other_outcomes)
            + len(screen.identifier_hits),
        }
        if screen.sampled_rows:
            summary["sampled_rows"] = screen.sampled_rows
            summary["population_rows"] = screen.population_rows
        findings = []
        for column, facts in screen.outcome_derived.items():
            findings.append(self._duration_finding(data, column, facts, screen, summary))
        if near:
            findings.append(
                self.finding(
                    "error",
                    f"{_count(near)} the target almost perfectly on its own, "
                    "which suggests it was derived from the target.",
                    columns=near,
                    evidence={
                        **summary,
                        "numerator": len(near),
                        "threshold": screen.thresholds["near_perfect"],
                        "power": {c: power[c] for c in near[:MAX_LISTED]},
                        "scored_by": {c: screen.how[c] for c in near[:MAX_LISTED]},
                    },
                    remedy="Drop these columns before training unless they are known before the outcome "
                    "(they are likely recorded after, or computed from, the label).",
                )
            )
        if derived:
            findings.append(
                self.finding(
                    "error",
                    f"The target can be read off exactly from {plural(len(derived), 'column')}.",
                    columns=derived,
                    evidence={
                        **summary,
                        "numerator": len(derived),
                        "threshold": params["alpha"],
                        "log10_chance_probability": {
                            c: screen.derived[c] / np.log(10) for c in derived[:MAX_LISTED]
                        },
                    },
                    remedy="Drop these columns: each of their values maps to a single target value, so they "
                    "encode the label.",
                )
            )
        missing = screen.missing_only_with_outcome
        if missing:
            findings.append(
                self.finding(
                    "error",
                    f"{plural(len(missing), 'column')} {'is' if len(missing) == 1 else 'are'} filled in "
                    "only for one outcome: whether a value is present gives the target away.",
                    columns=missing,
                    evidence={
                        **summary,
                        "numerator": len(missing),
                        "threshold": screen.thresholds["near_perfect"],
                    },
                    remedy="Drop these columns: they are recorded at or after the outcome (a date of death, "
                    "a discharge code), so they cannot be known when the model is used.",
                )
            )
        after = screen.after_outcome
        if after:
            findings.append(
                self.finding(
                    "warning",
                    f"{_count(after)} the target strongly and "
                    f"{'its name says it is' if len(after) == 1 else 'their names say they are'} "
                    "recorded at or after the outcome.",
                    columns=after,
                    evidence={
                        **summary,
                        "numerator": len(after),
                        "threshold": screen.thresholds["strong"],
                        "power": {c: power[c] for c in after[:MAX_LISTED]},
                    },
                    remedy="Check when these values are recorded; drop any that are only known after the "
                    "outcome.",
                )
            )
        lead = [c for c in screen.standout if screen.standout_why.get(c, "lead") == "lead"]
        alone = [c for c in screen.standout if c not in lead]
        for columns, message in (
            (
                lead,
                "the target far better than any other column "
                f"(by {params['standout_margin']:.2f} or more), as a noisy copy of the label would.",
            ),
            (
                alone,
                "the target strongly but, within each class, is unrelated to every other "
                "measurement, as a noisy copy of the label would (a real marker varies with related "
                "measurements).",
            ),
        ):
            if not columns:
                continue
            findings.append(
                self.finding(
                    "warning",
                    f"{_count(columns)} {message}",
                    columns=columns,
                    evidence={
                        **summary,
                        "numerator": len(columns),
                        "threshold": params["standout_margin"] if columns is lead else params["copy_power"],
                        "power": {c: power[c] for c in columns[:MAX_LISTED]},
                    },
                    remedy="Find out how these values are produced; drop any that are derived from the "
                    "outcome or recorded after it.",
                )
            )
        if screen.names_label:
            codes = screen.names_label
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(len(codes), 'code column')} nearly "
                    f"{'names' if len(codes) == 1 else 'name'} the "
                    "target: every level is almost only one class.",
                    columns=codes,
                    evidence={
                        **summary,
                        "numerator": len(codes),
                        "threshold": screen.thresholds["strong"],
                        "power": {c: power[c] for c in codes[:MAX_LISTED]},
                        "scored_by": {c: screen.how[c] for c in codes[:MAX_LISTED]},
                    },
                    remedy="Find out how this code is assigned; if it is derived from the diagnosis or the "
                    "outcome, drop it before training.",
                )
            )
        if screen.other_outcomes:
            pairs = screen.other_outcomes
            columns = [c for pair in pairs for c in pair]
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(len(pairs), 'further time-to-event outcome')} ("
                    + "; ".join(f"event {e!r} with follow-up time {d!r}" for e, d in pairs)
                    + f") {'is' if len(pairs) == 1 else 'are'} recorded after baseline, like the target.",
                    columns=columns,
                    evidence={
                        **summary,
                        "numerator": len(columns),
                        "threshold": None,
                        "pairs": [list(pair) for pair in pairs],
                        "power": {c: power[c] for c in columns if c in power},
                    },
                    remedy="Do not use another outcome or its follow-up time as a feature: it is only known "
                    "after the patient has been followed; model it as a separate endpoint.",
                )
            )
        if screen.strong:
            strong = screen.strong
            findings.append(
                self.finding(
                    "info",
                    f"{_count(strong)} the target strongly on its own (a strong marker is expected in a "
                    "diagnostic table); confirm that it is measured before the outcome.",
                    columns=strong,
                    evidence={
                        **summary,
                        "numerator": len(strong),
                        "threshold": screen.thresholds["strong"],
                        "power": {c: power[c] for c in strong[:MAX_LISTED]},
                    },
                    remedy="Confirm with the data owner that these columns are known when the model will be "
                    "used; keep them if they are.",
                )
            )
        id_hits, id_power = screen.identifier_hits, screen.identifier_power
        if id_hits:
            severity = (
                "error"
                if any(id_power.get(c, 1.0) >= params["near_perfect_power"] for c in id_hits)
                else "warning"
            )
            findings.append(
                self.finding(
                    severity,
                    f"{_count(id_hits, 'identifier column')} the target, so records were "
                    "numbered or coded by outcome.",
                    columns=id_hits,
                    evidence={
                        **summary,
                        "numerator": len(id_hits),
                        "threshold": screen.thresholds["identifier"],
                        "identifier_null_max": screen.identifier_null_max,
                        "power": {c: id_power[c] for c in id_hits if c in id_power},
                        "pattern_log10_chance_probability": {
                            c: screen.identifier_patterns[c] / np.log(10)
                            for c in id_hits
                            if c in screen.identifier_patterns
                        },
                    },
                    remedy="Never use identifiers as features, and re-assign them at random before sharing; "
                    "check that splits do not follow the identifier order.",
                )
            )
        return CheckResult.fired(findings, summary)

    def _duration_finding(self, data, column, facts, screen, summary):
        stat = "AUC" if screen.statistic == "auc" else "|Spearman ρ|"
        evidence = {
            **summary,
            "numerator": 1,
            "threshold": None,
            "outcome_derived": 1,
            "role": f"duration ({facts['role']})",
            "power": {column: facts["power"]},
        }
        censoring = censoring_facts(
            data.frame, data.roles.target, column, max(1, len(data.feature_columns()))
        )
        if censoring:
            evidence["censoring"] = censoring
        return self.finding(
            "error",
            f"The follow-up time {column!r} is measured up to the event or the end of follow-up, so it is "
            f"derived from the outcome {data.roles.target!r} ({stat} {facts['power']:.2f} on its own).",
            columns=[column],
            evidence=evidence,
            remedy=f"Model {data.roles.target!r} as a time-to-event outcome with {column!r} as its duration "
            "(Cox, survival forests, or a fixed horizon); never use the follow-up time as a feature.",
        )

    def correction(self, findings, data, plan):
        """Drop confirmed leaks (error or worse: too predictive to be legitimate); suspicions stay."""
        answered = False
        for f in findings:
            if f.severity in (Severity.ERROR, Severity.CRITICAL):
                plan.drop(f.columns, self.id)
                plan.leaking.extend(c for c in f.columns if c not in plan.protected)
                answered = True
        return answered


def _count(columns: list[str], noun: str = "column") -> str:
    """'1 column predicts' / '3 columns each predict'."""
    if len(columns) == 1:
        return f"1 {noun} predicts"
    return f"{plural(len(columns), noun)} each predict"
