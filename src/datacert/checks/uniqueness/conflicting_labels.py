"""conflicting_labels: records with identical features but different targets."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._groups import feature_duplicate_groups
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.survival import is_prognostic_name


@register
class ConflictingLabels(Check):
    """Find groups of records that share every feature value but carry different labels.

    Notes
    -----
    Identical inputs with different labels are label-noise evidence (methods §5.1, Deepchecks'
    "Conflicting Labels"): at least one label of the group is wrong, or the features miss what
    decided it. Records are grouped by a hash of all feature columns (the target, record id,
    group, time, split and text columns are left out) and verified exactly; groups whose target
    holds more than one value are reported, every member included.
    """

    id = "conflicting_labels"
    dimension = "uniqueness"
    governance = ("labelling", "errors")
    needs = Needs(roles=("target",), min_rows=2, artifacts=("feature_duplicates",))
    params = (
        Param(
            "error_share",
            0.05,
            "share of records in conflicting groups from which the finding is an error",
            low=0,
            high=1,
        ),
        Param("max_groups_listed", 100, "conflicting groups listed in the evidence", low=1),
    )
    kahn = "plausibility.uniqueness"
    remedy = Remedy("review_labels", 91)

    def run(self, data, profile, params):
        target = data.roles.target
        features = data.feature_columns()
        if not features:
            return CheckResult.not_applicable("needs at least one feature column besides the target")
        groups = feature_duplicate_groups(data)
        denominator = data.n_rows
        if not groups:
            return CheckResult.quiet(
                {"numerator": 0, "denominator": denominator, "duplicate_feature_groups": 0}
            )
        labels = data.frame.get_column(target)
        members = np.concatenate(groups)
        group_id = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        distinct = (
            pl.DataFrame({"g": group_id, "y": labels.gather(members)})
            .group_by("g")
            .agg(pl.col("y").n_unique())
            .sort("g")
            .get_column("y")
            .to_numpy()
        )
        conflicting = [g for g, k in zip(groups, distinct, strict=True) if k > 1]
        if not conflicting:
            return CheckResult.quiet(
                {"numerator": 0, "denominator": denominator, "duplicate_feature_groups": len(groups)}
            )
        rows = np.concatenate(conflicting)
        share = rows.size / denominator
        severity = "error" if share >= params["error_share"] else "warning"
        # a future event (death, relapse) differs between patients with the same covariates by nature,
        # and a censored record has no final label: for such outcomes this is a fact, not a defect
        prognostic = bool(data.roles.duration) or is_prognostic_name(target)
        if prognostic:
            severity = "info"
        listed = [
            {"rows": g.tolist(), "labels": _label_counts(labels.gather(g))}
            for g in conflicting[: params["max_groups_listed"]]
        ]
        finding = self.finding(
            severity,
            f"{plural(int(rows.size), 'record')} share all their features with a record of another label "
            f"({plural(len(conflicting), 'group')}).",
            columns=[target],
            rows=rows,
            evidence={
                "numerator": int(rows.size),
                "denominator": denominator,
                "share": share,
                "threshold": params["error_share"],
                "groups": len(conflicting),
                "group_list": listed,
                "feature_columns": len(features),
                **({"outcome": "prognostic or time-to-event"} if prognostic else {}),
            },
            remedy="Review the labels of each group against the source; correct the wrong ones, or drop the "
            "group if the truth cannot be recovered."
            if not prognostic
            else "Nothing to correct: patients with the same covariates can have different outcomes; "
            "expect this in a prognostic or time-to-event model.",
        )
        return CheckResult.fired(
            [finding],
            {
                "numerator": int(rows.size),
                "denominator": denominator,
                "duplicate_feature_groups": len(groups),
            },
        )


def _label_counts(values: pl.Series) -> dict[str, int]:
    counts = values.value_counts(sort=True)
    return {
        str(v): int(n)
        for v, n in zip(
            counts.get_column(values.name).to_list(), counts.get_column("count").to_list(), strict=True
        )
    }
