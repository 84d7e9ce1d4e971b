"""poisoning_suspected: a rare value pattern implies the label (trigger), or labels flip in a cluster."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.isotonic import IsotonicRegression
from sklearn.neighbors import NearestNeighbors

from datacert.artifacts import row_sample, rows_matrix, share_rows
from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._groups import feature_duplicate_groups
from datacert.checks._leakage_screen import excluded_columns
from datacert.checks._ranks import (
    blocks,
    label_changes_within_runs,
    one_blas_thread,
    repeating_columns,
    sort_block,
)
from datacert.checks._reference_model import class_labels, target_task
from datacert.checks._registry import register
from datacert.checks._spectral import (
    gram_singular_values,
    median_impute,
    signal_rank,
    singular_values,
    spectrum_rows,
    standardize,
    standardized_gram,
    standardized_matrix,
    top_components,
)
from datacert.checks._util import plural
from datacert.dataset import Dataset
from datacert.semantics import SemanticType
from datacert.survival import is_prognostic_name

SEED = 0
# the label-flip search builds a kNN graph and ten shuffled-label nulls: tables taller than this
# are searched in the shared stratified sample (islands are local, but a cluster must keep
# `cluster_min` members in the sample to be seen there; the evidence gives the sample and population)
MAX_KNN_ROWS = 10_000
# a trigger's neighbours are looked for among this many records (stratified sample plus the pattern's
# own records): the label base rate the binomial test compares with is then known to ±0.0035
JUDGE_ROWS = share_rows(standard_error=0.0035, share=0.5)
MAX_PATTERNS = 50
# from this many records the numeric trigger scan groups values in polars instead of sorting a float
# copy of every column in numpy (the same patterns; 1,000,000 x 40 sorted in blocks cost ~10 s)
TALL_SCAN_ROWS = 50_000
# group-bys run together: each holds a hash table of up to one entry per record (40 at once on
# 1,000,000 records, the check raised the peak by 0.45 GB)
GROUP_BYS_AT_ONCE = 4
# a column with more distinct values than this share of the records is sorted in numpy rather than
# grouped in polars, and only its values repeated within the support are looked up (the same groups)
MOSTLY_DISTINCT = 0.5
MAX_NEIGHBOUR_FEATURES = 200


@dataclass(frozen=True)
class Trigger:
    """A rare value (or missingness) of one column whose records all carry one label."""

    column: str
    value: object  # the repeated value, or None for "missing"
    label: str
    rows: np.ndarray
    p_value: float
    q_value: float = 1.0
    risk: dict = field(default_factory=dict)  # why the pattern is (not) explained by risk

    def describe(self) -> dict:
        return {
            "column": self.column,
            "value": "<missing>" if self.value is None else self.value,
            "label": self.label,
            "support": int(self.rows.size),
            "p_value": self.p_value,
            "q_value": self.q_value,
            **self.risk,
            "rows": self.rows.tolist()[:100],
        }


@register
class PoisoningSuspected(Check):
    """Find trigger patterns, clusters of flipped labels and identical records with different labels.

    Notes
    -----
    Three screens usable without a trained deep network (methods §8.2):
    (1) trigger scan: every rare exact value, rare category or missingness of a column shared by
    `min_support` … `max_support_share`·n records that all carry one label; its chance probability
    under the label's base rate is π_c^k, corrected over all rare patterns tested by
    Benjamini–Hochberg. (2) Label-flip clusters: k-nearest neighbours on the signal-rank principal
    components; records linked to mutual neighbours of their own label form components, and a small
    component (≥ 3 records) embedded in a region where the surrounding records agree with one
    another on another label (≥ 80 %, and more than any island found when the labels are shuffled,
    which matters for imbalanced or weakly predictable targets) is a cluster of flipped labels
    (isolated disagreements are left to label_issues; mixed class boundaries are not flagged).
    (3) Identical feature rows with different labels.
    A pure rare value is only a trigger when risk does not explain it: a monotone relation of the
    column with the outcome (an isotonic fit on the other records, evaluated at the value, gives
    the purity expected from risk alone: every patient aged 94 died, every grade-5 tumour is
    malignant) and the rest of the record (the labels of the members' nearest neighbours on the
    other features, against a shuffled-label binomial null) must not agree with it. Columns the
    leakage screen marks as outcome-derived or leaking are not scanned: their purity is leakage,
    reported there. Critical needs a strong trigger and corroboration: its records' neighbours
    carry another label (a flipped-label island), or a second trigger column marks the same
    records. The evidence of each pattern says why it is not explained by risk.
    """

    id = "poisoning_suspected"
    sample_cpu_seconds = 0.65
    dimension = "security"
    needs = Needs(roles=("target",), min_rows=20, artifacts=("task", "row_sample", "feature_duplicates"))
    params = (
        Param("min_support", 3, "records a trigger pattern needs", low=1),
        Param(
            "max_support_share", 0.05, "largest share of records a trigger pattern may cover", low=0, high=1
        ),
        Param("alpha", 0.05, "false discovery rate of the trigger tests", low=0, high=1),
        Param("strong_q", 1e-4, "q-value below which a corroborated trigger is critical", low=0, high=1),
        Param("strong_support", 5, "records a critical trigger needs", low=1),
        Param("neighbours", 10, "nearest neighbours used to find label-flip clusters", low=1),
        Param("cluster_min", 3, "records a label-flip cluster needs", low=1),
        Param(
            "cluster_max_share",
            0.05,
            "largest share of records a label-flip cluster may cover",
            low=0,
            high=1,
        ),
        Param(
            "surround_purity",
            0.8,
            "share of a cluster's surroundings with the other label needed",
            low=0,
            high=1,
        ),
        Param("permutations", 10, "label permutations for the null distribution of purity", low=0),
        Param("max_components", 10, "principal components used for the neighbour search", low=1),
        Param(
            "contradiction_alpha",
            0.001,
            "binomial p-value below which a trigger's neighbours contradict its label",
            low=0,
            high=1,
        ),
    )
    remedy = Remedy("quarantine_rows", 92)

    def run(self, data, profile, params):
        with one_blas_thread():  # many small products: a second BLAS thread only waits
            return self._run(data, profile, params)

    def _run(self, data, profile, params):
        if target_task(data) != "classification":
            return CheckResult.not_applicable("needs a categorical target (triggers imply a class)")
        rows, codes, classes = class_labels(data)
        if len(classes) < 2:
            return CheckResult.not_applicable("needs a target with at least two classes")
        pi = np.bincount(codes, minlength=len(classes)) / codes.size
        leaking = excluded_columns(data)
        distinct = profile.stat("n_unique")
        triggers, n_tests = _trigger_scan(data, rows, codes, classes, pi, params, set(leaking), distinct)
        candidates = [t for t in triggers if t.q_value < params["alpha"]]
        judged = _judge_by_risk(data, rows, codes, classes, pi, candidates, params, set(leaking))
        significant = [t for t in judged if not t.risk["explained_by_risk"]]
        explained = [t for t in judged if t.risk["explained_by_risk"]]
        across = _shared_across_columns(significant)
        strong = [
            t
            for t in significant
            if t.q_value < params["strong_q"]
            and t.rows.size >= params["strong_support"]
            and (t.risk["contradicted_by_neighbours"] or t in across)
        ]
        clusters, knn_info = _flip_clusters(data, rows, codes, params)
        conflicts = _conflicting_duplicates(data, rows, codes)
        summary = {
            "patterns_tested": n_tests,
            "denominator": int(rows.size),
            "triggers": len(significant),
            "strong_triggers": len(strong),
            "explained_by_risk": [t.describe() for t in explained[:MAX_PATTERNS]],
            "columns_not_scanned_as_leakage": sorted(leaking),
            "flip_clusters": len(clusters),
            "conflicting_duplicate_groups": len(conflicts),
            **knn_info,
            "numerator": len(significant) + len(clusters) + len(conflicts),
        }
        findings = []
        weak = [t for t in significant if t not in strong]
        for severity, group in (("critical", strong), ("warning", weak)):
            if not group:
                continue
            cols = sorted({t.column for t in group}, key=data.columns.index)
            findings.append(
                self.finding(
                    severity,
                    f"{plural(len(group), 'rare value pattern')} occur only in records of a single class, "
                    + (
                        "far beyond chance and against what the rest of these records says, as a planted "
                        "trigger would."
                        if severity == "critical"
                        else "more often than chance or a risk trend of the column explains."
                    ),
                    columns=cols,
                    rows=np.concatenate([t.rows for t in group]),
                    evidence={
                        **summary,
                        "threshold": params["strong_q"] if severity == "critical" else params["alpha"],
                        "patterns": [t.describe() for t in group[:MAX_PATTERNS]],
                    },
                    remedy="Trace these records to their source and check who entered them; if the "
                    "pattern is not "
                    "a known clinical marker, quarantine the records before training.",
                )
            )
        if clusters:
            members = np.concatenate([c["rows"] for c in clusters])
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(len(clusters), 'tight group')} of records carry a label that their nearest "
                    "neighbours do not share.",
                    columns=[data.roles.target],
                    rows=members,
                    evidence={
                        **summary,
                        "threshold": params["surround_purity"],
                        "clusters": [
                            {**c, "rows": c["rows"].tolist()[:100]} for c in clusters[:MAX_PATTERNS]
                        ],
                    },
                    remedy="Have an expert review the labels of these groups together; a coordinated flip "
                    "suggests tampering or a systematic labelling error.",
                )
            )
        if conflicts:
            members = np.concatenate(conflicts)
            findings.append(
                self.finding(
                    "warning",
                    f"{plural(len(conflicts), 'group')} of records have identical features but "
                    "different labels.",
                    columns=[data.roles.target],
                    rows=members,
                    evidence={
                        **summary,
                        "threshold": 0,
                        "groups": [g.tolist() for g in conflicts[:MAX_PATTERNS]],
                    },
                    remedy="Resolve each group at the source: keep the correct label and drop the copies.",
                )
            )
        return CheckResult.fired(findings, summary)


def _trigger_scan(
    data: Dataset,
    rows: np.ndarray,
    codes: np.ndarray,
    classes: tuple[str, ...],
    pi: np.ndarray,
    params,
    leaking: set[str],
    distinct: dict[str, int | None] | None = None,
) -> tuple[list[Trigger], int]:
    """Rare pure patterns with their p- and Benjamini–Hochberg q-values, and the number tested."""
    n = rows.size
    low = params["min_support"]
    high = max(low, int(params["max_support_share"] * n))
    log_pi = np.log(pi)
    found: list[Trigger] = []
    n_tests = 0
    skip = {SemanticType.IDENTIFIER, SemanticType.EMPTY}
    numeric = [
        c
        for c in data.numeric_feature_columns()
        if data.semantic_types.get(c) not in skip and c not in leaking
    ]
    if numeric and rows.size >= TALL_SCAN_ROWS:
        tall_found, tall_tests = _numeric_triggers_grouped(
            data, rows, codes, classes, log_pi, numeric, low, high, distinct or {}
        )
        found += tall_found
        n_tests += tall_tests
    elif numeric:
        onehot = np.eye(pi.size)[codes]
        matrix = data.numeric_matrix(numeric)
        for part in blocks(len(numeric), n_rows=n):
            X = matrix[:, part] if rows.size == data.n_rows else matrix[rows, part]
            # only columns holding some value `low` times can carry a value pattern (a continuous
            # wide block has almost none): the others are not arg-sorted
            repeating = repeating_columns(X, low)
            block = sort_block(X[:, repeating])
            candidate = block.run_start & (block.run_size >= low) & (block.run_size <= high)
            n_tests += int(candidate.sum())
            changes = np.cumsum(label_changes_within_runs(block, codes), axis=0)
            starts, cols = np.nonzero(candidate)
            sizes = block.run_size[starts, cols]
            ends = starts + sizes - 1
            pure = changes[ends, cols] == changes[starts, cols]
            for i, j, m in zip(starts[pure], cols[pure], sizes[pure], strict=True):
                members = block.order[i : i + m, j]
                label = int(codes[members[0]])
                value = float(X[members[0], repeating[j]])
                found.append(
                    Trigger(
                        numeric[part.start + repeating[j]],
                        value,
                        classes[label],
                        np.sort(rows[members]),
                        float(np.exp(m * log_pi[label])),
                    )
                )
            # missingness as a pattern (a documented trigger style)
            missing = np.isnan(X)
            counts = missing.sum(axis=0)
            testable = (counts >= low) & (counts <= high)
            n_tests += int(testable.sum())
            per_class = onehot.T @ missing
            for j in np.flatnonzero(testable & (per_class.max(axis=0) == counts)):
                label = int(np.argmax(per_class[:, j]))
                members = np.flatnonzero(missing[:, j])
                found.append(
                    Trigger(
                        numeric[part.start + j],
                        None,
                        classes[label],
                        rows[members],
                        float(np.exp(counts[j] * log_pi[label])),
                    )
                )
    schema = data.schema
    text = [
        c
        for c in data.feature_columns()
        if not (schema[c].is_numeric() or schema[c] == pl.Boolean)
        and data.semantic_types.get(c) in (SemanticType.CATEGORY, SemanticType.BOOLEAN)
        and c not in leaking
    ]
    if text:
        # one group-by per column, run together; the records of a pattern are gathered only for the
        # few pure ones (aggregating every group's positions cost seconds on a tall table)
        frame = data.frame.select(text)
        if rows.size != data.n_rows:
            frame = frame[rows]
        lazy = frame.with_columns(pl.Series("__y", codes), pl.Series("__pos", rows)).lazy()

        def text_value(c: str) -> pl.Expr:
            return pl.col(c).cast(pl.String).fill_null("\x00missing").alias("v")

        grouped = pl.collect_all(
            [
                lazy.select(text_value(c), "__y")
                .group_by("v")
                .agg(
                    pl.len().alias("m"),
                    pl.col("__y").min().alias("label"),
                    pl.col("__y").max().alias("top"),  # pure: one label, min == max (cheaper than n_unique)
                )
                .filter((pl.col("m") >= low) & (pl.col("m") <= high))
                for c in text
            ]
        )
        for column, groups in zip(text, grouped, strict=True):
            n_tests += groups.height
            pure = groups.filter(pl.col("label") == pl.col("top")).sort("v")
            if not pure.height:
                continue
            positions_of = dict(
                lazy.select(text_value(column), "__pos")
                .filter(pl.col("v").is_in(pure.get_column("v").implode()))
                .group_by("v")
                .agg(pl.col("__pos").sort())
                .collect()
                .iter_rows()
            )
            for value, m, label, _ in pure.iter_rows():
                found.append(
                    Trigger(
                        column,
                        None if value == "\x00missing" else value,
                        classes[label],
                        np.asarray(positions_of[value], dtype=np.int64),
                        float(np.exp(m * log_pi[label])),
                    )
                )
    return _benjamini_hochberg(found, n_tests), n_tests


def _numeric_triggers_grouped(
    data: Dataset,
    rows: np.ndarray,
    codes: np.ndarray,
    classes: tuple[str, ...],
    log_pi: np.ndarray,
    numeric: list[str],
    low: int,
    high: int,
    distinct: dict[str, int | None],
) -> tuple[list[Trigger], int]:
    """The numeric part of the trigger scan on a tall table, as polars group-bys (one per column,
    run together) instead of sorting a copy of every column: the same patterns, tests and order.

    Values are grouped as the sort-based scan compares them (NaN is missing, -0.0 equals 0.0);
    within a column the value patterns come in ascending value, then the missingness pattern.
    """
    frame = data.frame.select(numeric)
    if rows.size != data.n_rows:
        frame = frame[rows]
    frame = frame.with_columns(pl.Series("__y", codes), pl.Series("__pos", rows))
    lazy = frame.lazy()

    def value(c: str) -> pl.Expr:
        x = pl.col(c).cast(pl.Float64).fill_nan(None)
        return pl.when(x == 0.0).then(0.0).otherwise(x)

    def missing(c: str) -> pl.Expr:
        x = pl.col(c).cast(pl.Float64)
        return x.is_null() | x.is_nan()

    support = (pl.col("m") >= low) & (pl.col("m") <= high)

    def grouped_values(c: str) -> pl.LazyFrame:
        """The value groups of column c within the support, with their smallest and largest label."""
        values = lazy.select(value(c).alias("v"), "__y").drop_nulls("v")
        return (
            values.group_by("v")
            .agg(
                pl.len().alias("m"),
                pl.col("__y").min().alias("label"),
                pl.col("__y").max().alias("top"),  # pure: one label, min == max (cheaper than n_unique)
            )
            .filter(support)
        )

    # mostly distinct columns: their few repeated values found from one numpy sort (a hash table of
    # ~n groups per column cost three times as much CPU on 1,000,000 x 40); the others grouped in polars
    distinct_columns = {c for c in numeric if (distinct.get(c) or 0) > rows.size * MOSTLY_DISTINCT}
    hashed = [c for c in numeric if c not in distinct_columns]
    computed: list[pl.DataFrame] = []
    for begin in range(0, len(hashed), GROUP_BYS_AT_ONCE):  # a column may have up to ~n groups
        computed += pl.collect_all([grouped_values(c) for c in hashed[begin : begin + GROUP_BYS_AT_ONCE]])
    by_column = dict(zip(hashed, computed, strict=True))
    grouped = [
        by_column[c] if c in by_column else _repeated_value_groups(frame.get_column(c), codes, low, high)
        for c in numeric
    ]
    gaps = lazy.select(
        [
            expr
            for i, c in enumerate(numeric)
            for expr in (
                missing(c).sum().alias(f"{i}|m"),
                pl.col("__y").filter(missing(c)).min().alias(f"{i}|label"),
                pl.col("__y").filter(missing(c)).max().alias(f"{i}|top"),
            )
        ]
    ).collect()
    gap = gaps.row(0, named=True)
    found: list[Trigger] = []
    n_tests = 0
    for i, (column, groups) in enumerate(zip(numeric, grouped, strict=True)):
        n_tests += groups.height
        pure = groups.filter(pl.col("label") == pl.col("top")).sort("v")
        if pure.height:
            members = (
                frame.lazy()
                .select(value(column).alias("v"), "__pos")
                .filter(pl.col("v").is_in(pure.get_column("v").implode()))
                .group_by("v")
                .agg(pl.col("__pos").sort())
                .collect()
            )
            positions = dict(members.iter_rows())
            for v, m, label, _ in pure.iter_rows():
                found.append(
                    Trigger(
                        column,
                        float(v),
                        classes[int(label)],
                        np.asarray(positions[v], dtype=np.int64),
                        float(np.exp(m * log_pi[int(label)])),
                    )
                )
        m = int(gap[f"{i}|m"])
        if low <= m <= high:
            n_tests += 1
            if gap[f"{i}|label"] == gap[f"{i}|top"]:
                label = int(gap[f"{i}|label"])
                where = frame.lazy().filter(missing(column)).select("__pos").collect().to_series()
                found.append(
                    Trigger(column, None, classes[label], where.to_numpy(), float(np.exp(m * log_pi[label])))
                )
    return found, n_tests


def _repeated_value_groups(series: pl.Series, codes: np.ndarray, low: int, high: int) -> pl.DataFrame:
    """The groups of `grouped_values` for one column (value v, records m, smallest and largest label),
    from a sort of its values: only the values held by `low` to `high` records are looked up."""
    x = series.cast(pl.Float64).to_numpy()  # null is NaN: missing, as in the grouped scan
    ordered = np.sort(x)  # NaN last; -0.0 and 0.0 compare equal, so they share a run
    ordered = ordered[: int(np.searchsorted(ordered, np.inf, side="right"))]
    starts = (
        np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else np.empty(0, np.intp)
    )
    sizes = np.diff(np.r_[starts, ordered.size])
    within = (sizes >= low) & (sizes <= high)
    values = ordered[starts[within]]
    values[values == 0.0] = 0.0  # -0.0 is the value 0.0
    label = np.empty(values.size, dtype=np.int64)
    top = np.empty(values.size, dtype=np.int64)
    if values.size:
        where = np.minimum(np.searchsorted(values, x), values.size - 1)
        hit = np.flatnonzero(values[where] == x)  # NaN equals nothing
        group, labels = where[hit], codes[hit].astype(np.int64)
        order = np.lexsort((labels, group))
        group, labels = group[order], labels[order]
        first = np.searchsorted(group, np.arange(values.size), side="left")
        last = np.searchsorted(group, np.arange(values.size), side="right") - 1
        label, top = labels[first], labels[last]
    return pl.DataFrame(
        {
            "v": pl.Series(values, dtype=pl.Float64),
            "m": pl.Series(sizes[within], dtype=pl.UInt32),
            "label": label,
            "top": top,
        }
    )


def _neighbour_space(data: Dataset, rows: np.ndarray, leaking: set[str]) -> tuple[np.ndarray, list[str]]:
    """Standardised numeric features of the used records (leaking columns left out)."""
    skip = {SemanticType.IDENTIFIER, SemanticType.EMPTY}
    numeric = [
        c
        for c in data.numeric_feature_columns()
        if data.semantic_types.get(c) not in skip and c not in leaking
    ]
    if not numeric:
        return np.empty((rows.size, 0)), []
    if rows.size == data.n_rows:  # every record (the wide block's facts are kept as it is built)
        Z = standardized_matrix(data, numeric)
    else:
        Z = standardize(median_impute(rows_matrix(data, numeric, rows)))
    if Z.shape[1] > MAX_NEIGHBOUR_FEATURES:
        scores, _, _ = top_components(Z, MAX_NEIGHBOUR_FEATURES // 4)
        return scores, []  # components mix every column: none can be left out
    return Z, numeric


def _judge_by_risk(
    data: Dataset,
    rows: np.ndarray,
    codes: np.ndarray,
    classes: tuple[str, ...],
    pi: np.ndarray,
    candidates: list[Trigger],
    params,
    leaking: set[str],
) -> list[Trigger]:
    """Attach to each candidate whether risk explains it: a monotone trend of its column, and the
    labels of its records' neighbours on the other features."""
    if not candidates:
        return []
    from scipy.stats import binom  # scipy.stats costs ~1 s to import: only when a pattern is judged

    pool = row_sample(data, JUDGE_ROWS, among=rows)
    if pool.sampled:  # neighbours among a stratified sample, the patterns' own records kept
        members = np.concatenate([t.rows for t in candidates[: 4 * MAX_PATTERNS]])
        keep = np.isin(rows, pool.rows) | np.isin(rows, members)
        rows, codes = rows[keep], codes[keep]
    Z, names = _neighbour_space(data, rows, leaking)
    position = np.full(data.n_rows, -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    k = params["neighbours"]
    judged = []
    for trigger in candidates[: 4 * MAX_PATTERNS]:
        members = position[trigger.rows]
        label = classes.index(trigger.label)
        is_member = np.zeros(rows.size, dtype=bool)
        is_member[members] = True
        risk: dict = {}
        monotone = _monotone_expectation(data, rows, codes, label, trigger, is_member)
        if monotone is not None:
            expected_rate, p_mono = monotone
            risk["monotone_expected_rate"] = expected_rate
            risk["monotone_purity_p"] = p_mono
        explained_by_trend = monotone is not None and monotone[1] >= params["alpha"]
        contradicted = False
        others = np.flatnonzero(~is_member)
        if Z.shape[1] and others.size > k:
            space = Z.copy() if trigger.column in names else Z
            if trigger.column in names:
                space[:, names.index(trigger.column)] = 0.0  # judge the record without the trigger column
            _, nb = NearestNeighbors(n_neighbors=k).fit(space[others]).kneighbors(space[members])
            votes = nb.size
            agree = int((codes[others][nb] == label).sum())
            p_contra = float(binom.cdf(agree, votes, pi[label]))
            contradicted = p_contra < params["contradiction_alpha"]
            risk["neighbour_agreement"] = agree / votes
            risk["expected_agreement"] = float(pi[label])
            risk["contradiction_p"] = p_contra
        risk["contradicted_by_neighbours"] = bool(contradicted)
        risk["explained_by_risk"] = bool(not contradicted and (explained_by_trend or monotone is None))
        risk["why"] = _why(trigger, risk, explained_by_trend, contradicted)
        judged.append(replace(trigger, risk=risk))
    return judged


def _monotone_expectation(
    data: Dataset, rows: np.ndarray, codes: np.ndarray, label: int, trigger: Trigger, is_member: np.ndarray
) -> tuple[float, float] | None:
    """Rate of the trigger's class at its value expected from a monotone trend fitted on the other
    records, and the chance of the observed purity under it; None for categories and missingness."""
    if trigger.value is None or not isinstance(trigger.value, float):
        return None
    x = data.frame.get_column(trigger.column).cast(pl.Float64, strict=False).to_numpy()[rows]
    use = ~is_member & np.isfinite(x)
    if use.sum() < 10 or np.unique(x[use]).size < 3:
        return None
    from scipy.stats import spearmanr

    target = (codes[use] == label).astype(np.float64)
    rho = spearmanr(x[use], target).statistic
    fit = IsotonicRegression(increasing=bool(rho >= 0), out_of_bounds="clip").fit(x[use], target)
    rate = float(np.clip(fit.predict([trigger.value])[0], 0.0, 1.0))
    return rate, float(rate ** int(is_member.sum()))


def _why(trigger: Trigger, risk: dict, explained_by_trend: bool, contradicted: bool) -> str:
    parts = []
    if "monotone_expected_rate" in risk:
        rate = risk["monotone_expected_rate"]
        if explained_by_trend:
            parts.append(
                f"a monotone trend of {trigger.column!r} expects {rate:.0%} {trigger.label!r} at this value"
            )
        else:
            parts.append(
                f"a monotone trend of {trigger.column!r} expects only {rate:.0%} {trigger.label!r} at "
                "this value"
            )
    if "neighbour_agreement" in risk:
        agree, expected = risk["neighbour_agreement"], risk["expected_agreement"]
        if contradicted:
            parts.append(
                f"the records' nearest neighbours on the other features carry {trigger.label!r} in only "
                f"{agree:.0%} of cases (base rate {expected:.0%})"
            )
        else:
            parts.append(f"their nearest neighbours agree with {trigger.label!r} in {agree:.0%} of cases")
    return "; ".join(parts)


def _shared_across_columns(triggers: list[Trigger]) -> list[Trigger]:
    """Triggers whose records are also marked by a trigger in another column (a multi-feature pattern)."""
    out = []
    for t in triggers:
        for u in triggers:
            if u.column == t.column:
                continue
            shared = np.intersect1d(t.rows, u.rows).size
            if shared >= 0.5 * min(t.rows.size, u.rows.size):
                out.append(t)
                break
    return out


def _benjamini_hochberg(found: list[Trigger], n_tests: int) -> list[Trigger]:
    """q-values over all patterns tested (impure ones count as tests with p = 1)."""
    if not found:
        return []
    order = sorted(range(len(found)), key=lambda i: (found[i].p_value, found[i].column, i))
    p_sorted = np.array([found[i].p_value for i in order])
    q = p_sorted * max(n_tests, len(found)) / np.arange(1, len(found) + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    return [replace(found[i], q_value=float(min(1.0, qi))) for i, qi in zip(order, q, strict=True)]


def _flip_clusters(data: Dataset, rows: np.ndarray, codes: np.ndarray, params) -> tuple[list[dict], dict]:
    """Small same-label components of the kNN graph surrounded by another label."""
    skip = {SemanticType.IDENTIFIER, SemanticType.EMPTY}
    leaking = excluded_columns(data)
    numeric = [
        c
        for c in data.numeric_feature_columns()
        if data.semantic_types.get(c) not in skip and c not in leaking
    ]
    k = params["neighbours"]
    if len(numeric) < 2 or rows.size <= 2 * k:
        return [], {"knn": "not run: needs 2 numeric features and more records"}
    info: dict = {}
    keep = np.arange(rows.size)
    sample = row_sample(data, MAX_KNN_ROWS, among=rows)
    if sample.sampled:
        keep = np.searchsorted(rows, sample.rows)
        info["knn_sampled_rows"] = int(keep.size)
        info["knn_population_rows"] = sample.population
    positions, labels = rows[keep], codes[keep]
    whole = positions.size == data.n_rows  # every record (ascending)
    if whole:
        Z = standardized_matrix(data, numeric)
    else:
        Z = standardize(median_impute(rows_matrix(data, numeric, positions)))
    n, p = Z.shape
    spectrum_sample = spectrum_rows(n, p)
    # a wide block's Gram product is shared with high_dimensionality and distribution_shift
    gram = standardized_gram(data, numeric) if whole and spectrum_sample is None else None
    if gram is not None:
        values = gram_singular_values(gram, centre=True)
    else:
        values = singular_values(Z if spectrum_sample is None else Z[spectrum_sample], centre=True)
    rank, _ = signal_rank(values, n if spectrum_sample is None else spectrum_sample.size, p)
    n_comp = int(np.clip(rank, 2, min(params["max_components"], p, n - 1)))
    scores, _, _ = top_components(Z, n_comp)
    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(scores).kneighbors(scores)
    neighbours = neighbours[:, 1:]
    largest = max(params["cluster_min"], int(params["cluster_max_share"] * n))
    # the same search under shuffled labels: how pure a chance island's surroundings can look
    rng = np.random.default_rng(SEED)
    null_purity = 0.0
    # for a prognostic or censored outcome, islands are expected from the outcome's uncertainty:
    # the null then redraws labels from the honest model instead of shuffling them
    uncertain = bool(data.roles.duration) or is_prognostic_name(data.roles.target or "")
    model_probabilities = _label_model(data, positions) if uncertain else None
    info["cluster_null"] = (
        "labels drawn from the reference model" if model_probabilities is not None else "shuffled labels"
    )
    for _ in range(params["permutations"]):
        if model_probabilities is not None:
            cumulative = np.cumsum(model_probabilities, axis=1)
            draw = (rng.random(positions.size)[:, None] > cumulative).sum(axis=1)
            null_labels = np.minimum(draw, model_probabilities.shape[1] - 1)
        else:
            null_labels = rng.permutation(labels)
        for island in _islands(neighbours, null_labels, params["cluster_min"], largest):
            null_purity = max(null_purity, island[1])
    threshold = max(params["surround_purity"], null_purity + 1e-9)
    info.update(
        {
            "knn_components": n_comp,
            "knn_neighbours": k,
            "surround_purity_threshold": threshold,
            "null_max_surround_purity": null_purity,
        }
    )
    clusters = []
    for members, purity, disagreement in _islands(neighbours, labels, params["cluster_min"], largest):
        if purity >= threshold:
            clusters.append(
                {
                    "rows": np.sort(positions[members]),
                    "size": int(members.size),
                    "neighbour_disagreement": disagreement,
                    "surrounding_purity": purity,
                }
            )
    return clusters, info


def _label_model(data: Dataset, positions: np.ndarray) -> np.ndarray | None:
    """Out-of-fold class probabilities of the shared reference model for these records, if it
    covers all of them with the same classes."""
    from datacert.checks._reference_model import ReferenceFit, reference_fit

    fit = reference_fit(data)
    if not isinstance(fit, ReferenceFit) or fit.task != "classification":
        return None
    index = np.searchsorted(fit.rows, positions)
    if index.max(initial=0) >= fit.rows.size or not np.array_equal(
        fit.rows[np.minimum(index, fit.rows.size - 1)], positions
    ):
        return None
    _, _, classes = class_labels(data)
    if tuple(fit.classes) != tuple(classes):
        return None
    return np.clip(fit.oof[index], 0.0, 1.0)


def _islands(neighbours: np.ndarray, labels: np.ndarray, smallest: int, largest: int):
    """Small groups of mutual same-label neighbours whose surroundings agree on another label.

    Yields (members, purity of the surroundings, mean neighbour disagreement of the members), by
    component. Every component is measured at once from (component, record) pairs: a loop over
    thousands of small components cost a second on 10,000 records.
    """
    n, k = neighbours.shape
    same = labels[neighbours] == labels[:, None]
    src = np.repeat(np.arange(n), k)[same.ravel()]
    dst = neighbours.ravel()[same.ravel()]
    directed = coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    # mutual neighbours only: one-way links chain a planted group to the main body of its class
    n_comps, component = connected_components(directed.multiply(directed.T), directed=False)
    sizes = np.bincount(component, minlength=n_comps)
    chosen = np.flatnonzero((sizes >= smallest) & (sizes <= largest))
    if chosen.size == 0:
        return
    slot = np.full(n_comps, -1, dtype=np.int64)
    slot[chosen] = np.arange(chosen.size)
    by_component = np.argsort(component, kind="stable")  # members of each component, ascending
    ends = np.cumsum(sizes)
    members_of = by_component[np.isin(component[by_component], chosen)]  # grouped by component
    member_slot = slot[component[members_of]]
    # the surroundings of a component: the distinct records its members point to outside it
    pointed = neighbours[members_of]
    outside = component[pointed] != component[members_of][:, None]
    pair_slot = np.repeat(member_slot, k)[outside.ravel()]
    pair_record = pointed.ravel()[outside.ravel()]
    pairs = np.unique(pair_slot * n + pair_record)  # sorted by component, then record
    around_slot, around = pairs // n, pairs % n
    n_around = np.bincount(around_slot, minlength=chosen.size)
    # how purely the surrounding records agree with one another, ignoring their links into the group
    outer = component[neighbours[around]] != chosen[around_slot][:, None]
    agree = np.bincount(around_slot, weights=(same[around] & outer).sum(axis=1), minlength=chosen.size)
    linked = np.bincount(around_slot, weights=outer.sum(axis=1), minlength=chosen.size)
    n_labels = int(labels.max(initial=0)) + 1
    votes = np.bincount(around_slot * n_labels + labels[around], minlength=chosen.size * n_labels)
    majority = votes.reshape(chosen.size, n_labels).argmax(axis=1)  # ties: the smallest label
    same_links = np.bincount(member_slot, weights=same[members_of].sum(axis=1), minlength=chosen.size)
    for i, comp in enumerate(chosen.tolist()):
        if n_around[i] == 0:
            continue
        members = by_component[ends[comp] - sizes[comp] : ends[comp]]
        if majority[i] != labels[members[0]]:
            purity = float(int(agree[i]) / max(1, int(linked[i])))
            yield members, purity, float(1.0 - int(same_links[i]) / (members.size * k))


def _conflicting_duplicates(data: Dataset, rows: np.ndarray, codes: np.ndarray) -> list[np.ndarray]:
    """Groups of records identical on every feature whose labels differ.

    Only meaningful when some feature is a continuous measurement: with a few coded columns,
    identical records with different outcomes are expected, not suspicious.
    """
    features = data.feature_columns()
    if not any(data.semantic_types.get(c) == SemanticType.CONTINUOUS for c in features):
        return []
    label_of = np.full(data.n_rows, -1)
    label_of[rows] = codes
    out = []
    for group in feature_duplicate_groups(data):
        labels = label_of[group]
        labels = labels[labels >= 0]
        if np.unique(labels).size > 1:
            out.append(group)
    return out
