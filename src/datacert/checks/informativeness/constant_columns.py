"""constant_columns: columns with a single value, or nearly (near-zero variance)."""

from __future__ import annotations

from datacert.checks._base import Check, CheckResult, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.findings import Severity

MAX_LISTED = 200


@register
class ConstantColumns(Check):
    """Find columns that carry no information (one value) or almost none (near-zero variance).

    Notes
    -----
    Near-zero variance follows caret's `nearZeroVar` rule: the most frequent value is more than
    `frequency_ratio` times as frequent as the second, and distinct values are under
    `unique_share` of the records. Such columns break scaling and make folds degenerate.
    """

    id = "constant_columns"
    dimension = "informativeness"
    params = (
        Param(
            "frequency_ratio",
            19.0,
            "most common over second most common value count above which a column is near-constant",
            low=0,
        ),
        Param(
            "unique_share",
            0.10,
            "distinct values over records below which a column is near-constant (with frequency_ratio)",
            low=0,
            high=1,
        ),
    )
    kahn = "completeness"
    remedy = Remedy("drop_columns", 30, automatic=True)

    def run(self, data, profile, params):
        stats = profile.columns
        names = stats.get_column("name").to_list()
        n_unique = stats.get_column("n_unique").to_list()
        counts = stats.get_column("count").to_list()
        excluded = data.roles.columns()
        constant = [c for c, u in zip(names, n_unique, strict=True) if (u or 0) <= 1 and c not in excluded]
        near = []
        for c, u, k in zip(names, n_unique, counts, strict=True):
            if c in excluded or (u or 0) <= 1 or not k:
                continue
            top = profile.top_values.get(c, ())
            if len(top) >= 2 and top[1][1] > 0:
                ratio = top[0][1] / top[1][1]
                if ratio > params["frequency_ratio"] and u / k < params["unique_share"]:
                    near.append((c, ratio))
        findings = []
        if constant:
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(len(constant), 'column')} hold a single value (or nothing) in every record.",
                    columns=constant,
                    evidence={
                        "numerator": len(constant),
                        "denominator": data.n_columns,
                        "threshold": 1,
                        "listed": constant[:MAX_LISTED],
                    },
                    remedy="Drop the constant columns.",
                )
            )
        if near:
            findings.append(
                self.finding(
                    "info",
                    f"{plural(len(near), 'column')} are nearly constant (near-zero variance).",
                    columns=[c for c, _ in near],
                    evidence={
                        "numerator": len(near),
                        "denominator": data.n_columns,
                        "threshold": params["frequency_ratio"],
                        "frequency_ratio": {c: r for c, r in near[:MAX_LISTED]},
                    },
                    remedy="Drop them, or keep them only if the rare values matter clinically.",
                )
            )
        return CheckResult.fired(
            findings, {"numerator": len(constant) + len(near), "denominator": data.n_columns}
        )

    def correction(self, findings, data, plan):
        """Drop constant and near-constant columns (information-level findings are kept)."""
        answered = False
        for f in findings:
            if f.severity != Severity.INFO:
                plan.drop(f.columns, self.id)
                answered = True
        return answered
