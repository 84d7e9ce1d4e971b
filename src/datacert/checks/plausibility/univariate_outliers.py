"""univariate_outliers: values far from their column's robust centre, graded by distance."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Figure, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.plausibility._physiology import choose_unit, match_variable
from datacert.findings import Severity
from datacert.semantics import SemanticType

_Z_QUARTILE = 0.6745  # standard normal 75th percentile: (Q3 - median) / 0.6745 estimates sigma
_Z_90 = 1.6449  # standard normal 95th percentile
MAX_COLUMN_FINDINGS = 50
TIERS = (("error", "error_z"), ("warning", "warning_z"), ("info", "info_z"))


@register
class UnivariateOutliers(Check):
    """Find values far from their column's robust centre (median, quartile-based spread).

    Notes
    -----
    Robust z = (x - median) / s, where s is estimated separately on each side of the median from
    the quartiles (s_up = (Q3 - median) / 0.6745, s_low = (median - Q1) / 0.6745): a skewed lab
    value is not called an outlier merely for lying in its long tail (Iglewicz & Hoaglin's 3.5
    cut-off, methods §6.1; a quartile analogue of the skew-adjusted boxplot of Hubert &
    Vandervieren). Positive, right-skewed columns are judged on the log scale, when both the
    moment skewness and the body's quantile (Kelly) skewness say so: the moment skewness alone is
    driven by the very values under test, and a few gross values made a symmetric column look
    skewed and pass on the log scale as info (trust benchmark, gross_outlier: cgd height and
    veteran karno went from info/warning to error; no new alarm on the 17 untouched tables).
    When the quartiles tie (many equal values), s falls back to the 5-95 % spread. Severity grows
    with distance: info from 3.5, warning from 6, error only from 10 (gross errors: wrong unit, typing slip),
    so the natural tail of real clinical data never reaches error, and a value inside the disease
    range of a recognised clinical variable (knowledge base) is information only, since it is
    documented pathology, not a corroborated error (out_of_range judges those limits; on the
    trust benchmark, creatinine, prothrombin time and diastolic pressure of real cohorts were
    warnings on 4 of 17 untouched tables, all inside their disease ranges); the info cut-off rises with
    the number of records (multiplicity), so that chance alone rarely reaches it.

    A robust z cannot see a slip on a column whose real values span several decades (receptor
    levels 0-5,000, node counts 0-33): there the log-scale spread is so wide that a value ten times
    the column's maximum is only 3-5 spreads out. So, in a non-negative column, values that stand
    at least ten times (gap_factor) above every lower value of the column's top 5 % (a decade gap above the
    95th percentile) are at least a warning, whatever their z and even inside a disease range: a
    decimal point moved, or a unit a power of ten too small, that the column itself corroborates.
    Real tails seldom jump a decade: on the 17 real tables of the trust benchmark the largest ratio
    between consecutive values above the 95th percentile is 2.3; in simulation (2,000 columns of
    150 to 5,000 values per law) chance makes such a gap in no column of a gamma or log-normal law
    of log-spread 1, in 1-2.5 % of the columns of a log-normal of log-spread 2 (a central 95 %
    spanning 3.4 decades) or of a Pareto tail of index 2, and in 10 % for a Pareto tail of index 1
    (such a gap is then a warning to review, never an error by itself). Errors in more than 5 % of
    the records move the 95th percentile itself: a mix of units, for mixed_units.
    Median and quartiles come from the profile; rows are read only for columns whose profiled
    extremes pass 3.5, or whose maximum is ten times their 95th percentile.
    """

    id = "univariate_outliers"
    dimension = "plausibility"
    needs = Needs(min_rows=10, numeric_features=1)
    params = (
        Param("info_z", 3.5, "robust z-score from which a value is noted", low=0),
        Param("warning_z", 6.0, "robust z-score from which a value is a warning", low=0),
        Param("error_z", 10.0, "robust z-score from which a value is an error", low=0),
        Param("min_distinct", 10, "distinct values a column needs to be screened", low=1),
        Param(
            "log_skewness", 1.0, "skewness above which a positive column is screened on a log scale", low=0
        ),
        Param(
            "log_body_skewness",
            0.25,
            "quantile (Kelly) skewness the column's body also needs for the log scale (0.28 for a "
            "gamma law of moment skewness 1): a symmetric column made skewed by a few gross values "
            "stays on its own scale, where they are gross",
            low=-1,
            high=1,
        ),
        Param(
            "gap_factor",
            10.0,
            "ratio to every lower value of the column's top 5 % from which a value is at least a "
            "warning: a decade, the least a decimal-point or unit slip moves a value",
            low=1,
        ),
    )
    kahn = "plausibility.atemporal"
    remedy = Remedy("winsorise", 65, automatic=True)
    figure = Figure("distribution", priority=2)

    def run(self, data, profile, params):
        kinds = (SemanticType.CONTINUOUS, SemanticType.COUNT)
        columns = [c for c in data.numeric_feature_columns() if data.semantic_types.get(c) in kinds]
        if not columns:
            return CheckResult.not_applicable("needs a continuous or count feature column")
        stats = _profile_block(profile, columns)
        enough = stats["n_unique"] >= params["min_distinct"]
        # log scale for right-skewed non-negative columns; zeros are kept by shifting with Q1 (or the median)
        shift = np.where(stats["min"] > 0, 0.0, np.where(stats["q25"] > 0, stats["q25"], stats["q50"]))
        with np.errstate(divide="ignore", invalid="ignore"):
            # Kelly's quantile skewness: the body's asymmetry, blind to the few values under test
            body = (stats["q95"] + stats["q05"] - 2 * stats["q50"]) / (stats["q95"] - stats["q05"])
        log = (
            enough
            & (stats["min"] >= 0)
            & (stats["skewness"] > params["log_skewness"])
            & (np.nan_to_num(body) > params["log_body_skewness"])
            & (stats["min"] + shift > 0)
        )
        t = {
            k: np.where(log, np.log(np.where(log, stats[k] + shift, 1.0)), stats[k])
            for k in ("min", "max", "q05", "q25", "q50", "q75", "q95")
        }
        with np.errstate(divide="ignore", invalid="ignore"):
            s_up = (t["q75"] - t["q50"]) / _Z_QUARTILE
            s_low = (t["q50"] - t["q25"]) / _Z_QUARTILE
            s_wide = (t["q95"] - t["q05"]) / (2 * _Z_90)
            s_up = np.where(s_up > 0, s_up, s_wide)
            s_low = np.where(s_low > 0, s_low, s_wide)
            usable = enough & (s_up > 0) & (s_low > 0) & np.isfinite(t["q50"])
            reach = np.maximum((t["max"] - t["q50"]) / s_up, (t["q50"] - t["min"]) / s_low)
        info_z = _info_threshold(params, data.n_rows)
        # a decade gap above the 95th percentile needs the maximum ten times the 95th percentile
        with np.errstate(invalid="ignore"):
            gapped = (
                usable
                & (stats["min"] >= 0)
                & (stats["q95"] > 0)
                & (stats["max"] >= params["gap_factor"] * stats["q95"])
            )
        flagged = np.flatnonzero(usable & ((reach >= info_z) | gapped))
        evidence = {
            "columns_tested": int(usable.sum()),
            "columns_log_scale": int((log & usable).sum()),
            "thresholds": {"info": info_z, "warning": params["warning_z"], "error": params["error_z"]},
        }
        if flagged.size == 0:
            return CheckResult.quiet({**evidence, "numerator": 0, "denominator": int(usable.sum())})
        names = [columns[j] for j in flagged]
        # rows are scored only where the profiled extremes reach the info cut-off; a column flagged
        # for its gap alone has no value that far, and its gap search reads only its top 5 %
        reached = flagged[reach[flagged] >= info_z]
        scored = iter(
            self._far_values(
                data,
                [columns[j] for j in reached],
                log[reached],
                shift[reached],
                t["q50"][reached],
                s_up[reached],
                s_low[reached],
                info_z,
            )
            if reached.size
            else []
        )
        none = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        far = [next(scored) if reach[j] >= info_z else none for j in flagged]
        gaps: dict[str, np.ndarray] = {}  # per column, the rows a decade beyond its tail
        gap_at = np.flatnonzero(gapped[flagged])
        if gap_at.size:
            for k, (gap_rows, values) in zip(
                gap_at,
                _decade_gaps(
                    data, [names[k] for k in gap_at], stats["q95"][flagged[gap_at]], params["gap_factor"]
                ),
                strict=True,
            ):
                if not gap_rows.size:
                    continue
                j = flagged[k]
                x = np.log(values + shift[j]) if log[j] else values
                gaps[names[k]] = gap_rows
                rows, z = far[k]
                z_of = dict(zip(rows.tolist(), z.tolist(), strict=True))
                z_of |= dict(
                    zip(gap_rows.tolist(), (np.abs(x - t["q50"][j]) / s_up[j]).tolist(), strict=True)
                )
                merged = np.union1d(rows, gap_rows)
                far[k] = (merged, np.array([z_of[r] for r in merged.tolist()], dtype=np.float64))
        findings = []
        per_tier: dict[str, list[tuple[str, np.ndarray, float]]] = {s: [] for s, _ in TIERS}
        cuts = {"error_z": params["error_z"], "warning_z": params["warning_z"], "info_z": info_z}
        for k, (rows, z) in enumerate(far):
            # a value a decade beyond the column's tail is graded at least a warning, whatever its z
            beyond = np.isin(rows, gaps.get(names[k], ()))
            grade = np.where(beyond, np.maximum(z, cuts["warning_z"]), z)
            far_rows = rows[(grade >= cuts["warning_z"]) & ~beyond]
            if far_rows.size and _within_disease_range(data, profile, names[k], far_rows):
                # far in the column's distribution, but inside the range documented in disease for
                # this clinical variable: pathology to note, not an error signal. A decade gap above
                # every other value of the column is not capped: the column itself corroborates a slip.
                grade = np.where(beyond, grade, np.minimum(grade, cuts["info_z"]))
            upper = np.inf
            for severity, key in TIERS:
                in_tier = (grade >= cuts[key]) & (grade < upper)
                upper = cuts[key]
                if in_tier.any():
                    per_tier[severity].append((names[k], rows[in_tier], float(z[in_tier].max())))
        pairs = sum(len(v) for v in per_tier.values())
        cells = 0
        for severity, key in TIERS:
            entries = per_tier[severity]
            cells += sum(len(rows) for _, rows, _ in entries)
            if not entries:
                continue
            if pairs <= MAX_COLUMN_FINDINGS:
                index = {c: j for j, c in enumerate(names)}
                for name, rows, worst in entries:
                    j = flagged[index[name]]
                    findings.append(
                        self._column_finding(
                            name,
                            rows,
                            worst,
                            severity,
                            cuts[key],
                            profile,
                            j,
                            stats,
                            bool(log[j]),
                            shift[j],
                            s_up[j],
                            s_low[j],
                            int(np.isin(rows, gaps.get(name, ())).sum()),
                        )
                    )
            else:
                findings.append(self._tier_finding(entries, severity, cuts[key], data))
        return CheckResult.fired(
            findings,
            {
                **evidence,
                "numerator": cells,
                "denominator": int(stats["count"][usable].sum()),
                "columns_flagged": len({n for v in per_tier.values() for n, _, _ in v}),
            },
        )

    def _far_values(
        self, data, names, log, shift, centre, s_up, s_low, threshold
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each flagged column, the rows whose |robust z| reaches `threshold`, and those |z|.

        Wide tables: the shared numeric matrix, one vectorised pass. Tall tables: one engine pass
        that returns only the far values, never an n x k matrix of scores.
        """
        numeric = data.numeric_feature_columns()
        if len(numeric) > 200:
            position = {c: i for i, c in enumerate(numeric)}
            x = data.numeric_matrix()[:, [position[c] for c in names]]
            with np.errstate(divide="ignore", invalid="ignore"):
                shifted = x + shift[None, :]
                x = np.where(log[None, :], np.log(np.where(shifted > 0, shifted, np.nan)), x)
                d = x - centre[None, :]
                z = np.abs(np.where(d >= 0, d / s_up[None, :], d / s_low[None, :]))
            hit = z >= threshold
            return [(np.flatnonzero(hit[:, k]), z[hit[:, k], k]) for k in range(len(names))]
        exprs = []
        for k, c in enumerate(names):
            x = pl.col(c).cast(pl.Float64)
            x = (x + float(shift[k])).log() if log[k] else x
            d = x - float(centre[k])
            z = pl.when(d >= 0).then(d / float(s_up[k])).otherwise(-d / float(s_low[k]))
            exprs += [
                (z >= threshold).fill_null(False).arg_true().implode().alias(f"p{k}"),
                z.filter(z >= threshold).implode().alias(f"z{k}"),
            ]
        out = data.frame.select(exprs)  # each list read as one array, not as Python numbers
        return [
            (
                out.get_column(f"p{k}")[0].to_numpy().astype(np.int64, copy=False),
                out.get_column(f"z{k}")[0].to_numpy().astype(np.float64, copy=False),
            )
            for k in range(len(names))
        ]

    def _column_finding(
        self, name, rows, worst, severity, threshold, profile, j, stats, log, shift, s_up, s_low, gapped=0
    ):
        distance = {"error": "grossly far", "warning": "far", "info": "unusually far"}[severity]
        verb = "lies" if len(rows) == 1 else "lie"
        return self.finding(
            severity,
            f"{plural(len(rows), 'value')} of {name!r} {verb} {distance} from the column's typical values.",
            columns=[name],
            rows=rows,
            evidence={
                "numerator": len(rows),
                "denominator": int(stats["count"][j]),
                "threshold": threshold,
                "max_robust_z": worst,
                "median": stats["q50"][j],
                "scale": "log" if log else "linear",
                "log_shift": shift if log else None,
                "robust_scale_upper": s_up,
                "robust_scale_lower": s_low,
                # values at least ten times every lower value of the column's top 5 %
                "beyond_decade_gap": gapped,
            },
            remedy=_remedy(severity),
        )

    def _tier_finding(self, entries, severity, threshold, data):
        order = {c: i for i, c in enumerate(data.columns)}
        entries = sorted(entries, key=lambda e: order[e[0]])
        rows = np.unique(np.concatenate([r for _, r, _ in entries]))
        worst = sorted(entries, key=lambda e: (-e[2], order[e[0]]))[:20]
        return self.finding(
            severity,
            f"{plural(len(entries), 'column')} have values this far from their typical values.",
            columns=[c for c, _, _ in entries],
            rows=rows,
            evidence={
                "numerator": int(sum(len(r) for _, r, _ in entries)),
                "denominator": data.n_rows,
                "threshold": threshold,
                "columns": len(entries),
                "worst_columns": {c: {"values": len(r), "max_robust_z": z} for c, r, z in worst},
            },
            remedy=_remedy(severity),
        )

    def correction(self, findings, data, plan):
        """Name the outlying feature columns, the default columns of a Winsorise step in a user
        recipe; nothing changes automatically (winsorising rewrites possible values)."""
        plan.outlier_columns = sorted(
            {
                c
                for f in findings
                for c in f.columns
                if c not in plan.dropped and f.severity != Severity.INFO and c not in plan.protected
            },
            key=data.columns.index,
        )
        return True


def _within_disease_range(data, profile, column: str, rows: np.ndarray) -> bool:
    """Whether every value is inside the disease range of the clinical variable the column names
    (knowledge base): such a value is pathology, not a gross error, however far from the median."""
    variable = match_variable(column)
    if variable is None:
        return False
    stats = profile.column(column)
    unit, _ = choose_unit(variable, column, stats["q50"])
    if unit is None:
        return False
    values = data.frame.get_column(column).cast(pl.Float64).to_numpy()[rows]
    low, high = unit.disease
    return bool(np.all((values >= low) & (values <= high)))


def _decade_gaps(
    data, names: list[str], q95: np.ndarray, factor: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per column, the rows whose value stands at least ten times above every lower value of the
    column's top 5 % (above the lowest such decade gap over the 95th percentile), and their values.

    Only the top 5 % is searched: the 95th percentile is then a real value as long as fewer than
    5 % of the records are wrong, and the gap is measured against the column's own tail. Wide
    tables: one sort of the shared numeric matrix. Tall tables: one engine pass that returns only
    each column's top 5 %, and a second, for the columns with a gap, that returns the rows above it.
    """
    numeric = data.numeric_feature_columns()
    if len(numeric) > 200:
        position = {c: i for i, c in enumerate(numeric)}
        x = data.numeric_matrix()[:, [position[c] for c in names]]
        with np.errstate(invalid="ignore"):
            ladder = np.sort(np.where(x >= q95[None, :], x, np.nan), axis=0)  # missing values last
            below = np.vstack([q95[None, :], ladder[:-1]])
            jump = ladder >= factor * below
            floor = ladder[np.argmax(jump, axis=0), np.arange(len(names))]
            floor = np.where(jump.any(axis=0), floor, np.inf)
            hit = x >= floor[None, :]
        return [(np.flatnonzero(hit[:, k]), x[hit[:, k], k]) for k in range(len(names))]
    # first each column's top 5 % (values only), then the positions where a gap was found; each
    # list is read as one array (as Python floats, 5 % of 1,000,000 x 40 would be 2,000,000 objects)
    tops = data.frame.select(
        pl.col(c)
        .cast(pl.Float64)
        .filter(pl.col(c).cast(pl.Float64) >= float(q95[k]))
        .implode()
        .alias(f"v{k}")
        for k, c in enumerate(names)
    )
    floors = {}
    for k in range(len(names)):
        values = tops.get_column(f"v{k}")[0].to_numpy()
        ladder = np.unique(np.concatenate([[q95[k]], values.astype(np.float64, copy=False)]))
        jumps = np.flatnonzero(ladder[1:] >= factor * ladder[:-1])
        if jumps.size:
            floors[k] = float(ladder[jumps[0] + 1])
    found = [(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))] * len(names)
    if floors:
        beyond = data.frame.select(
            expr
            for k, floor in floors.items()
            for expr in (
                (pl.col(names[k]).cast(pl.Float64) >= floor)
                .fill_null(False)
                .arg_true()
                .implode()
                .alias(f"p{k}"),
                pl.col(names[k])
                .cast(pl.Float64)
                .filter(pl.col(names[k]).cast(pl.Float64) >= floor)
                .implode()
                .alias(f"v{k}"),
            )
        )
        for k in floors:
            found[k] = (
                beyond.get_column(f"p{k}")[0].to_numpy().astype(np.int64, copy=False),
                beyond.get_column(f"v{k}")[0].to_numpy().astype(np.float64, copy=False),
            )
    return found


def _info_threshold(params, n: int) -> float:
    """The info cut-off, raised with the number of records so that chance alone rarely reaches it.

    Under normality one value in about 2,100 passes 3.5; with n values per column the cut-off is
    lifted to the two-sided 5 % family-wise normal quantile for n tests (3.8 at n = 300, 5.5 at
    n = 1,000,000), never above the warning cut-off (methods §6.1, multiplicity).
    """
    family = NormalDist().inv_cdf(1 - 0.025 / max(n, 1))
    return float(min(max(params["info_z"], family), params["warning_z"]))


def _profile_block(profile, columns: list[str]) -> dict[str, np.ndarray]:
    """Profile statistics of the columns as float arrays aligned with `columns`."""
    wanted = ("count", "n_unique", "min", "max", "skewness", "q05", "q25", "q50", "q75", "q95")
    table = profile.columns.select(["name", *wanted])
    index = {n: i for i, n in enumerate(table.get_column("name").to_list())}
    rows = np.fromiter((index[c] for c in columns), dtype=np.int64, count=len(columns))
    out = {}
    for k in wanted:
        values = table.get_column(k).cast(pl.Float64).to_numpy()
        out[k] = np.nan_to_num(values[rows], nan=0.0) if k in ("count", "n_unique") else values[rows]
    out["skewness"] = np.nan_to_num(out["skewness"], nan=0.0)
    return out


def _remedy(severity: str) -> str:
    if severity == "error":
        return (
            "Check these values against the source (unit, decimal point, typing slip); correct them or set "
            "them to missing. Never drop a patient only for being unusual."
        )
    return "Review against the source if possible; keep real extreme values and use robust models or scaling."
