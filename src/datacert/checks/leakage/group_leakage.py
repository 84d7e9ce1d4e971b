"""group_leakage: the same group (patient) has records in two partitions of the split."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.leakage._partitions import partition_codes


@register
class GroupLeakage(Check):
    """Find groups (patients) whose records fall in more than one partition.

    Notes
    -----
    Records of one patient are not independent: a model evaluated on a patient it was trained
    on scores too well (record-wise versus subject-wise validation, Saeb et al. 2017; GMLP
    principle 4). Records with no group or no partition are not counted against a group.
    """

    id = "group_leakage"
    dimension = "leakage"
    governance = ("split_leakage",)
    needs = Needs(roles=("split", "group"), min_rows=2)
    params = (
        Param("max_groups_listed", 100, "groups found in two partitions listed in the evidence", low=1),
    )
    remedy = Remedy("resplit_grouped", 29)
    cost = "n log n"

    def run(self, data, profile, params):
        split, group = data.roles.split, data.roles.group
        codes, names = partition_codes(data.frame, split)
        if len(names) < 2:
            return CheckResult.not_applicable("the split column names a single partition")
        keyed = pl.DataFrame(
            {"g": data.frame.get_column(group), "s": codes, "pos": np.arange(data.n_rows, dtype=np.int64)}
        )
        per_group = (
            keyed.filter(pl.col("g").is_not_null())
            .group_by("g", maintain_order=True)
            .agg(pl.col("s").filter(pl.col("s") >= 0).unique().sort().alias("parts"), pl.col("pos"))
        )
        n_groups = per_group.height
        leaking = per_group.filter(pl.col("parts").list.len() > 1)
        evidence = {"numerator": leaking.height, "denominator": n_groups, "threshold": 0, "partitions": names}
        if leaking.height == 0:
            return CheckResult.quiet(evidence)
        positions = sorted(
            (np.sort(np.asarray(p, dtype=np.int64)) for p in leaking.get_column("pos").to_list()),
            key=lambda p: int(p[0]),
        )
        rows = np.concatenate(positions)
        pairs = Counter(
            " / ".join(names[i] for i in parts) for parts in leaking.get_column("parts").to_list()
        )
        evidence.update(
            {
                "share": leaking.height / n_groups,
                "records": int(rows.size),
                "partitions_shared": dict(sorted(pairs.items())),
                "group_rows": [p.tolist() for p in positions[: params["max_groups_listed"]]],
            }
        )
        finding = self.finding(
            "error",
            f"{plural(leaking.height, 'group')} of '{group}' have records in more than one partition of "
            f"'{split}', so the model would be evaluated on patients it was trained on.",
            rows=rows,
            columns=[group, split],
            evidence=evidence,
            remedy="Split by group, not by record (GroupKFold or StratifiedGroupKFold on the group column).",
        )
        return CheckResult.fired([finding], {"numerator": leaking.height, "denominator": n_groups})
