"""train_test_overlap: the same record sits in two partitions of the split."""

from __future__ import annotations

from collections import Counter

import numpy as np

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._groups import duplicate_groups
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.leakage._partitions import partition_codes


@register
class TrainTestOverlap(Check):
    """Find records that appear, identical, in more than one partition (train and test...).

    Notes
    -----
    A record seen in training and again in evaluation is memorised, not predicted: every metric
    on that partition is inflated (Kapoor & Narayanan 2023, leakage L1.4). Records are compared
    on every column but the record id, the split column and the target (a copy with another
    label leaks all the same); rows are grouped by hash and each group is verified exactly.
    """

    id = "train_test_overlap"
    dimension = "leakage"
    governance = ("split_leakage",)
    needs = Needs(roles=("split",), min_rows=2)
    params = (
        Param("max_groups_listed", 100, "records found in two partitions listed in the evidence", low=1),
    )
    remedy = Remedy("resplit", 28)
    cost = "n log n"

    def run(self, data, profile, params):
        split = data.roles.split
        ignored = [c for c in (data.roles.id, split, data.roles.target) if c]
        columns = [c for c in data.columns if c not in ignored]
        if not columns:
            return CheckResult.not_applicable(
                "no column is left to compare once id, split and target are set aside"
            )
        codes, names = partition_codes(data.frame, split)
        if len(names) < 2:
            return CheckResult.not_applicable("the split column names a single partition")
        groups = duplicate_groups(data.frame, columns)
        crossing = []
        pairs: Counter[str] = Counter()
        for group in groups:
            present = np.unique(codes[group])
            present = present[present >= 0]
            if present.size > 1:
                crossing.append(group)
                pairs[" / ".join(names[i] for i in present)] += 1
        evidence = {
            "numerator": 0,
            "denominator": data.n_rows,
            "threshold": 0,
            "partitions": names,
            "compared_columns": len(columns),
            "ignored_columns": ignored,
        }
        if not crossing:
            return CheckResult.quiet(evidence)
        rows = np.concatenate(crossing)
        evidence.update(
            {
                "numerator": int(rows.size),
                "groups": len(crossing),
                "share": rows.size / data.n_rows,
                "partitions_shared": dict(sorted(pairs.items())),
                "group_rows": [g.tolist() for g in crossing[: params["max_groups_listed"]]],
            }
        )
        finding = self.finding(
            "error",
            f"{plural(len(crossing), 'record')} appear identically in more than one partition of "
            f"'{split}' ({plural(int(rows.size), 'row')} involved), so evaluation would score records the "
            f"model has already seen.",
            rows=rows,
            columns=[split],
            evidence=evidence,
            remedy="Keep each record in one partition only: deduplicate before splitting, then re-split.",
        )
        return CheckResult.fired([finding], {"numerator": int(rows.size), "denominator": data.n_rows})
