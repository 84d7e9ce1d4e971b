"""distribution_shift: partitions, sites or batches differ in distribution (batch effect), or the
outcome is confounded with the site."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import polars.selectors as cs
from scipy import stats

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._spectral import standardized_gram, standardized_scale
from datacert.checks._util import plural
from datacert.checks.representativeness._subgroups import contingency, target_classes
from datacert.semantics import SemanticType
from datacert.shift import (
    GRAM_MAX_ROWS,
    classifier_two_sample,
    cramers_v,
    ks_one_vs_rest,
    principal_scores,
    smd_one_vs_rest,
    standardised,
)

BATCH_WORDS = {
    "site",
    "sites",
    "centre",
    "centres",
    "center",
    "centers",
    "batch",
    "batches",
    "lot",
    "lots",
    "hopital",
    "hôpital",
    "hospital",
    "hospitals",
    "plate",
    "plaque",
    "run",
    "runs",
}
MAX_COLUMNS_LISTED = 1000
_WORD_SPLIT = re.compile(r"[^0-9a-zà-ÿ]+")
# every batch word holds one of these: a name without any cannot be split into a batch word
_BATCH_STEMS = re.compile("site|cent|batch|lot|h[oô]pital|hospital|plate|plaque|run")
BY_NAME = "its name reads as a site or batch"


def batch_columns(data) -> list[str]:
    """Columns whose name reads as a site or batch (site, centre, inst, batch, lot, hôpital, plate,
    run): the site-like columns recognised when the dataset was built, else by name alone."""
    recorded = set((data.inferred.get("site") or {}).get("columns") or ())
    found = []
    for column in data.columns:
        lowered = column.lower()
        if column in recorded or (
            _BATCH_STEMS.search(lowered) and {w for w in _WORD_SPLIT.split(lowered) if w} & BATCH_WORDS
        ):
            found.append(column)
    return found


def group_codes(series: pl.Series) -> tuple[np.ndarray, list[str]]:
    """Integer code per record (-1 = missing) and the sorted level names."""
    text = series.cast(pl.String)
    names = sorted(text.drop_nulls().unique().to_list())
    lookup = pl.DataFrame(
        {"__v": names, "__c": np.arange(len(names), dtype=np.int64)},
        schema={"__v": pl.String, "__c": pl.Int64},
    )
    codes = (
        text.to_frame("__v")
        .join(lookup, on="__v", how="left", maintain_order="left")
        .get_column("__c")
        .fill_null(-1)
        .to_numpy()
    )
    return codes.astype(np.int64, copy=False), names


def site_descriptors(data, column: str, max_levels: int = 50) -> set[str]:
    """Coded features that take one value within every group of `column` (the site's region,
    hospital category or country): attributes of the site, which differ between sites by
    definition and say nothing about a batch effect in the measurements."""
    integers = set(data.frame.select(cs.integer()).columns)  # no dtype test per column
    candidates = [
        c
        for c in data.feature_columns()
        if c != column
        and (data.semantic_types.get(c) in (SemanticType.CATEGORY, SemanticType.BOOLEAN) or c in integers)
    ]
    if not candidates:
        return set()
    per_group = (
        data.frame.filter(pl.col(column).is_not_null())
        .group_by(column)
        .agg([pl.col(c).drop_nulls().n_unique().alias(c) for c in candidates])
    )
    overall = data.frame.select([pl.col(c).drop_nulls().n_unique() for c in candidates]).row(0)
    return {
        c
        for c, total in zip(candidates, overall, strict=True)
        if 1 < total <= max_levels and int(per_group.get_column(c).max() or 0) <= 1
    }


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two group codings split the records identically (a site's code and its name)."""
    if a.shape != b.shape or not np.array_equal(a < 0, b < 0):
        return False
    pairs = np.unique(np.stack([a, b]), axis=1)
    return np.unique(pairs[0]).size == pairs.shape[1] == np.unique(pairs[1]).size


@register
class DistributionShift(Check):
    """Find partitions, sites or batches whose records differ in distribution, and sites confounded
    with the outcome.

    Notes
    -----
    The partition is the `--split` column, and each column named like a site or batch (site,
    centre, batch, lot, hôpital, plate, run), up to `max_site_columns` of them: a trial's centre
    and a laboratory's batch are different causes, so stopping at the first one hides the second
    (on the trust benchmark a planted site effect of one standard deviation went unseen behind the
    gamma-interferon trial's `center`); a column splitting the records exactly as an analysed one
    does (a site code and its name) is skipped. Three complementary tests (methods §3.9, §7.5):
    a classifier two-sample test (cross-validated AUC of a seeded L2-logistic model predicting
    the group from the features, on principal components when p is large: batch effects can sit
    outside the top components); per-feature KS (numeric) and chi-squared (categorical) tests
    with Benjamini-Hochberg FDR, a feature drifting only when q < 0.05 and its effect is
    non-trivial (KS D or Cramér's V >= 0.1), with standardised mean differences; and Cramér's V
    between the group and the outcome: when the site almost determines the outcome, no
    correction can separate biology from site, a design flaw. Tall tables are subsampled.
    With a group role (patient), only the first record of each patient enters the tests:
    repeated records of one patient are not independent evidence. Features that take a single
    value within every site (the site's region or hospital category) describe the site rather
    than its records and are left out of the tests. On the trust benchmark both made the
    gamma-interferon trial's 13 centres (203 infection intervals of 128 patients) look like a
    batch effect
    (an error, AUC 1.0 for the one Amsterdam centre) from its hospital category alone.
    Severity: AUC >= 0.8 (99 % interval above 0.5) or >= 25 % of features drifting is an error,
    AUC >= 0.6 or >= 10 % a warning; a weaker but clear signal (two drifting features, one with
    q < 0.001, or AUC >= 0.55) is reported for information, so pure chance stays quiet.
    """

    id = "distribution_shift"
    dimension = "consistency"
    governance = ("bias", "setting", "shift")
    needs = Needs(min_rows=20)
    params = (
        Param("min_group", 10, "records a batch needs to be compared", low=1),
        Param("max_groups", 20, "batches compared at most (the largest ones)", low=1),
        Param("max_site_columns", 3, "columns named like a site or batch analysed at most", low=1),
        Param("max_rows", 50_000, "records sampled for the per-feature tests", low=1),
        Param("c2st_max_rows", 10_000, "records sampled for the classifier two-sample test", low=1),
        Param(
            "pca_components", 50, "principal components kept for the classifier test on wide tables", low=1
        ),
        Param("fdr", 0.05, "false discovery rate of the per-feature tests", low=0, high=1),
        Param("min_effect", 0.1, "effect size a drifted feature needs to count", low=0),
        Param(
            "lone_feature_q",
            0.001,
            "q-value below which a single drifted feature is enough to report",
            low=0,
            high=1,
        ),
        Param(
            "auc_notable",
            0.55,
            "classifier two-sample AUC from which a significant shift is noted",
            low=0.5,
            high=1,
        ),
        Param(
            "auc_warning", 0.6, "classifier two-sample AUC from which the shift is a warning", low=0.5, high=1
        ),
        Param(
            "auc_error", 0.8, "classifier two-sample AUC from which the shift is an error", low=0.5, high=1
        ),
        Param(
            "drift_warning_share",
            0.10,
            "share of drifted features from which the shift is a warning",
            low=0,
            high=1,
        ),
        Param(
            "drift_error_share",
            0.25,
            "share of drifted features from which the shift is an error",
            low=0,
            high=1,
        ),
        Param(
            "confounding_critical",
            0.5,
            "Cramér's V between batch and target from which confounding is critical",
            low=0,
            high=1,
        ),
        Param(
            "confounding_warning",
            0.3,
            "Cramér's V between batch and target from which confounding is a warning",
            low=0,
            high=1,
        ),
        Param("confounding_p", 0.01, "p-value below which batch-target association counts", low=0, high=1),
    )
    kahn = "plausibility.temporal"
    remedy = Remedy("harmonise_batches", 86)
    cost = "model fits"

    def run(self, data, profile, params):
        candidates: list[tuple[str, str]] = []
        if data.roles.split:
            candidates.append((data.roles.split, "the --split role"))
        for column in batch_columns(data):
            if (
                column not in (data.roles.split, data.roles.target, data.roles.id)
                and column not in data.roles.text
            ):
                candidates.append((column, BY_NAME))
        if not candidates:
            return CheckResult.not_applicable("needs a --split column or a column named like a site or batch")
        findings, analysed, skipped, cache = [], {}, {}, {}
        seen: list[tuple[str, np.ndarray]] = []
        for column, why in candidates:
            if (
                why == BY_NAME
                and sum(a["detected_because"] == BY_NAME for a in analysed.values())
                >= (params["max_site_columns"])
            ):
                skipped[column] = f"{params['max_site_columns']} site or batch columns analysed already"
                continue
            codes, names = group_codes(data.frame.get_column(column))
            same = next((c for c, other in seen if same_partition(codes, other)), None)
            if same is not None:
                skipped[column] = f"the same partition as '{same}'"
                continue
            seen.append((column, codes))
            if data.roles.group and data.roles.group != column:
                # one record per patient: repeated records of a patient are not independent
                # evidence and would make any site difference look significant
                first = data.frame.select(pl.col(data.roles.group).is_first_distinct()).to_series().to_numpy()
                codes = np.where(first, codes, -1)
            counts = np.bincount(codes[codes >= 0], minlength=len(names))
            kept = np.flatnonzero(counts >= params["min_group"])
            if kept.size < 2 or len(names) > params["max_groups"]:
                skipped[column] = (
                    f"{len(names)} groups"
                    if len(names) > params["max_groups"]
                    else "fewer than two groups with enough records"
                )
                continue
            remap = np.full(len(names), -1, dtype=np.int64)
            remap[kept] = np.arange(kept.size)
            local = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            levels = [names[i] for i in kept]
            facts = {
                "column": column,
                "detected_because": why,
                "groups": dict(zip(levels, counts[kept].tolist(), strict=True)),
                "groups_left_out": [names[i] for i in range(len(names)) if counts[i] < params["min_group"]],
            }
            found, summary = self._shift(data, column, local, levels, facts, params, cache)
            findings += found
            found, confounding = self._confounding(data, column, local, levels, facts, params)
            findings += found
            analysed[column] = {**summary, **confounding, "detected_because": why}
        if not analysed:
            return CheckResult.not_applicable(
                "no partition or site column has two groups of "
                f"{params['min_group']} records or more ({skipped})"
            )
        return CheckResult.fired(findings, {"partitions": analysed, "skipped": skipped})

    def _features(self, data, column):
        numeric = data.numeric_feature_columns()
        descriptors = site_descriptors(data, column)
        positions = [i for i, c in enumerate(numeric) if c != column and c not in descriptors]
        numeric_set = set(numeric)
        categorical = [
            c
            for c in data.feature_columns()
            if c != column
            and c not in numeric_set
            and c not in descriptors
            and data.semantic_types.get(c) in (SemanticType.CATEGORY, SemanticType.BOOLEAN)
        ]
        return numeric, positions, categorical

    def _shift(self, data, column, codes, levels, facts, params, cache):
        numeric, positions, categorical = self._features(data, column)
        rows = np.flatnonzero(codes >= 0)
        sampled = rows.size > params["max_rows"]
        if sampled:
            rows = np.sort(np.random.default_rng(0).choice(rows, params["max_rows"], replace=False))
        group = codes[rows]
        k = len(levels)
        matrix = data.numeric_matrix(numeric)
        if len(positions) < len(numeric):
            matrix = matrix[:, positions]
        if rows.size < data.n_rows:
            matrix = matrix[rows]
        names = [numeric[i] for i in positions]
        # (feature, p, effect, smd) of every test, numeric ones as arrays: on 20,000 features
        # per-feature Python tuples cost more than the tests
        test_names: list[str] = []
        test_p: list[np.ndarray] = []
        test_effect: list[np.ndarray] = []
        test_smd: list[np.ndarray] = []
        if names:
            d, pv = ks_one_vs_rest(matrix, group, k)
            smd = smd_one_vs_rest(matrix, group, k)
            pick = 0 if k == 2 else None
            if pick is not None:
                best_d, best_p, best_smd = d[1], pv[1], smd[1]
            else:
                best_d = d.max(axis=0)
                best_p = np.minimum(pv.min(axis=0) * k, 1.0)
                best_smd = smd[np.argmax(np.abs(smd), axis=0), np.arange(smd.shape[1])]
            test_names += names
            test_p.append(np.asarray(best_p, dtype=np.float64))
            test_effect.append(np.asarray(best_d, dtype=np.float64))
            test_smd.append(np.asarray(best_smd, dtype=np.float64))
        frame = data.frame.select(categorical)[rows] if categorical else None
        for feature in categorical:
            values, value_names = group_codes(frame.get_column(feature))
            if len(value_names) < 2 or len(value_names) > 50:
                continue
            v, _, p = cramers_v(contingency(group, values, k, len(value_names)))
            test_names.append(feature)
            test_p.append(np.array([p], dtype=np.float64))
            test_effect.append(np.array([v], dtype=np.float64))
            test_smd.append(np.array([np.nan]))
        evidence = {
            **facts,
            "numeric_features": len(names),
            "categorical_features": len(categorical),
            "rows_used": int(rows.size),
        }
        if sampled:
            evidence["sampled_rows"] = int(rows.size)
        drifted = []
        if test_names:
            q = stats.false_discovery_control(np.concatenate(test_p))
            effects = np.concatenate(test_effect)
            smds = np.concatenate(test_smd)
            hits = np.flatnonzero((q < params["fdr"]) & (effects >= params["min_effect"]))
            drifted = sorted(
                ((test_names[i], float(q[i]), float(effects[i]), float(smds[i])) for i in hits),
                key=lambda t: (t[1], t[0]),
            )
            share = len(drifted) / len(test_names)
            abs_smd = np.abs(smds[~np.isnan(smds)])
            evidence.update(
                {
                    "features_tested": len(test_names),
                    "drifted_features": len(drifted),
                    "drifted_share": share,
                    "fdr": params["fdr"],
                    "min_effect": params["min_effect"],
                    "smd_share_above_0_1": float((abs_smd > 0.1).mean()) if abs_smd.size else None,
                    "top_drifted": [
                        {"feature": f, "q": qv, "effect": e, "smd": s if s == s else None}
                        for f, qv, e, s in drifted[:20]
                    ],
                }
            )
        whole = len(positions) == len(numeric) and rows.size == data.n_rows
        c2st = self._c2st(
            matrix,
            group,
            k,
            categorical,
            frame,
            params,
            cache,
            (rows.tobytes(), tuple(positions)),
            _shared_standardised(data, numeric) if whole else None,
        )
        if c2st:
            evidence.update(
                {
                    "c2st_auc": c2st["auc"],
                    "c2st_worst_group": levels[c2st["worst_group"]],
                    "c2st_worst_auc": c2st["worst_auc"],
                    "c2st_worst_ci99": c2st["worst_ci"],
                    "c2st_per_group": {levels[g]: a for g, a, _, _ in c2st["per_group"]},
                    "c2st_design": c2st["design"],
                    "c2st_rows": c2st["rows"],
                    "c2st_folds": c2st["folds"],
                }
            )
        severity = self._severity(evidence, c2st, params)
        summary = {
            k2: evidence[k2]
            for k2 in ("drifted_features", "features_tested", "c2st_auc", "sampled_rows")
            if k2 in evidence
        }
        if severity is None:
            return [], summary
        word = "partitions" if column == data.roles.split else "sites or batches"
        evidence.update(
            {"numerator": len(drifted), "denominator": len(test_names), "threshold": params["auc_warning"]}
        )
        detail = (
            f"({plural(len(drifted), 'feature')} shifted)"
            if drifted
            else "taken together, though no single feature stands out"
        )
        finding = self.finding(
            severity,
            f"Records from different {word} of '{column}' differ in their feature values {detail}, "
            f"a batch or selection effect.",
            columns=[column] + [f for f, _, _, _ in drifted[:MAX_COLUMNS_LISTED]],
            evidence=evidence,
            remedy="Find the cause (protocol, device, population); re-split at random and stratified "
            "if this is "
            "a train/test split; otherwise harmonise the sites (e.g. ComBat fitted on training folds) "
            "and validate per site.",
        )
        return [finding], summary

    @staticmethod
    def _severity(evidence, c2st, params):
        share = evidence.get("drifted_share", 0.0)
        auc = c2st["worst_auc"] if c2st else 0.5
        significant = bool(c2st) and c2st["worst_ci"][0] > 0.5
        if (significant and auc >= params["auc_error"]) or share >= params["drift_error_share"]:
            return "error"
        if (significant and auc >= params["auc_warning"]) or share >= params["drift_warning_share"]:
            return "warning"
        lone_but_strong = any(t["q"] < params["lone_feature_q"] for t in evidence.get("top_drifted", []))
        if (
            evidence.get("drifted_features", 0) >= 2
            or lone_but_strong
            or (significant and auc >= params["auc_notable"])
        ):
            return "info"
        return None

    @staticmethod
    def _c2st(matrix, group, k, categorical, frame, params, cache, key, shared=None):
        rows = np.arange(group.size)
        limit = params["c2st_max_rows"]
        if matrix.shape[1] > params["pca_components"]:
            limit = min(limit, GRAM_MAX_ROWS)
        if rows.size > limit:
            rows = np.sort(np.random.default_rng(1).choice(rows, limit, replace=False))
        subset = matrix if rows.size == matrix.shape[0] else matrix[rows]
        blocks = []
        if matrix.shape[1]:
            key = (key, rows.tobytes())
            if key not in cache:  # the site and the split often share rows and features: one PCA
                cache[key] = _numeric_design(matrix, subset, rows.size, params["pca_components"], shared)
            numeric, design = cache[key]
            blocks.append(numeric)
        else:
            design = "no numeric features"
        for feature in categorical:
            values, value_names = group_codes(frame.get_column(feature)[rows])
            if 2 <= len(value_names) <= 20:
                onehot = np.zeros((rows.size, len(value_names)))
                onehot[np.flatnonzero(values >= 0), values[values >= 0]] = 1.0
                blocks.append(onehot)
        if not blocks:
            return None
        codes = group[rows]
        if np.bincount(codes, minlength=k).min() < 2:
            return None
        result = classifier_two_sample(np.hstack(blocks), codes, k)
        result.update({"design": design, "rows": int(rows.size)})
        return result

    def _confounding(self, data, column, codes, levels, facts, params):
        if not data.roles.target:
            return [], {}
        classes = target_classes(data)
        if classes is not None:
            target_codes, class_names = classes
            v, chi2, p = cramers_v(contingency(codes, target_codes, len(levels), len(class_names)))
            measure = {"cramers_v": v, "chi2": chi2, "p_value": p}
        else:
            y = data.target().cast(pl.Float64).fill_nan(None).to_numpy()
            known = ~np.isnan(y) & (codes >= 0)
            samples = [y[known & (codes == g)] for g in range(len(levels))]
            samples = [s for s in samples if s.size]
            if len(samples) < 2:
                return [], {}
            grand = y[known].mean()
            between = sum(s.size * (s.mean() - grand) ** 2 for s in samples)
            total = float(((y[known] - grand) ** 2).sum())
            v = float(np.sqrt(between / total)) if total > 0 else 0.0
            p = float(stats.kruskal(*samples).pvalue) if total > 0 else 1.0
            measure = {"correlation_ratio": v, "p_value": p}
        summary = {"outcome_association": v}
        if v >= params["confounding_critical"] and p < params["confounding_p"]:
            severity = "critical"
        elif v >= params["confounding_warning"] and p < params["confounding_p"]:
            severity = "warning"
        else:
            return [], summary
        target = data.roles.target
        evidence = {**facts, **measure, "numerator": v, "threshold": params["confounding_critical"]}
        if severity == "critical":
            message = (
                f"The outcome '{target}' is largely determined by '{column}', so a model would learn the "
                f"site or partition instead of the disease, and no correction can separate the two."
            )
        else:
            message = f"The outcome '{target}' is unevenly spread across the groups of '{column}'."
        finding = self.finding(
            severity,
            message,
            columns=[column, target],
            evidence=evidence,
            remedy="Collect cases and controls from every site (or re-split so that every partition "
            "holds both), "
            "then validate per site.",
        )
        return [finding], summary


def _numeric_design(
    matrix: np.ndarray, subset: np.ndarray, n_rows: int, components: int, gram: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """The classifier test's numeric features and how they were made: the principal scores (unit
    spread) of the standardised records when there are more than `components` columns, else the
    standardised columns. `gram`, the Gram product of standardised(matrix) with the same bits, stands
    for the standardised block when the test reads every record."""
    if gram is not None and subset is matrix and matrix.shape[1] > components:
        scores = principal_scores(None, min(components, n_rows - 1), gram)
    else:
        numeric = standardised(subset)
        if numeric.shape[1] <= components:
            return numeric, f"{numeric.shape[1]} standardised features"
        scores = principal_scores(numeric, min(components, n_rows - 1))
    scores /= np.where(scores.std(axis=0) > 0, scores.std(axis=0), 1.0)
    return scores, f"{scores.shape[1]} principal components"


def _shared_standardised(data, numeric: list[str]) -> np.ndarray | None:
    """The Gram product of `standardised(data.numeric_matrix(numeric))` from the one that
    high_dimensionality and the poisoning screen read (datacert.checks._spectral), when the two
    recipes give the same bits: every value finite (so no median imputed was infinite, which
    median_impute would have clipped) and no column with a standard deviation in (0, 1e-12], which
    `standardised` divides by and the shared block leaves unscaled. None otherwise (or for a block
    that is not wide): the check then standardises its own copy, as before.
    """
    facts = standardized_scale(data, numeric)
    if facts is None:
        return None
    scale, finite = facts
    if not finite or bool(((scale > 0) & (scale <= 1e-12)).any()):
        return None
    return standardized_gram(data, numeric)
