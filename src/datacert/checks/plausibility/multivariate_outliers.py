"""multivariate_outliers: records far from the others jointly, robustly, even when p > n."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2, norm
from sklearn.ensemble import IsolationForest

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._spectral import (
    median_impute,
    robust_scale,
    signal_rank,
    singular_values,
    spectrum_rows,
    top_components,
)
from datacert.checks._util import plural
from datacert.semantics import SemanticType

SEED = 0
MAX_LISTED = 200


@register
class MultivariateOutliers(Check):
    """Find records that are outlying in several features jointly (PCA outlier map + Isolation Forest).

    Notes
    -----
    Mahalanobis distance needs an invertible covariance, which does not exist when p ≥ n; the
    PCA outlier map does (Hubert, Rousseeuw & Vanden Branden 2005; methods §6.6). Features are
    median-imputed, log-transformed when skewed and non-negative, and scaled by median/MAD. PCA
    keeps the Gavish–Donoho signal rank; the score distance (within the PCA subspace, cut-off
    √χ²(k, q)) and the orthogonal distance (off the subspace, Wilson–Hilferty cut-off) are
    computed with q = 0.999 rather than the textbook 0.975, which flags 2.5 % of any clean
    table by construction; the subspace is refitted once without the flagged records (a light
    ROBPCA), and an Isolation Forest runs on the scores plus the orthogonal distance (anomaly score above 0.6,
    stricter than scikit-learn's 0.5, which flags ~10 % of clean Gaussian data). Only records
    flagged by both methods are reported. Rare phenotypes are real: review, never auto-delete.
    """

    id = "multivariate_outliers"
    dimension = "plausibility"
    needs = Needs(min_rows=20, numeric_features=2)
    params = (
        Param(
            "quantile",
            0.999,
            "chi-square quantile of the robust distance above which a record is an outlier",
            low=0,
            high=1,
        ),
        Param("forest_score", 0.6, "isolation forest score above which a record is isolated", low=0, high=1),
        Param("max_components", 10, "principal components used on wide tables", low=1),
        Param(
            "error_share", 0.10, "share of outlying records from which the finding is an error", low=0, high=1
        ),
        Param("extreme_factor", 5.0, "distance over the cut-off from which an outlier is extreme", low=0),
    )
    kahn = "plausibility.atemporal"
    remedy = Remedy("review_rows", 90)

    def run(self, data, profile, params):
        skip = {SemanticType.IDENTIFIER, SemanticType.EMPTY}
        columns = [c for c in data.numeric_feature_columns() if data.semantic_types.get(c) not in skip]
        if len(columns) < 2:
            return CheckResult.not_applicable("needs at least 2 numeric feature columns")
        Z = prepare(data.numeric_matrix(columns))
        keep = np.flatnonzero(np.abs(Z).max(axis=0) > 0)
        if keep.size < 2:
            return CheckResult.not_applicable("needs at least 2 numeric feature columns that vary")
        if keep.size < Z.shape[1]:
            Z = Z[:, keep]
        n, p = Z.shape
        sample = spectrum_rows(n, p)
        values = singular_values(Z if sample is None else Z[sample], centre=True)
        rank, _ = signal_rank(values, n if sample is None else sample.size, p)
        k = int(np.clip(rank, 1, min(params["max_components"], p - 1, max(1, n // 5))))

        first = outlier_map(Z, np.ones(n, dtype=bool), k, params["quantile"])
        regular = ~first.flagged
        if regular.sum() <= k + 2:
            regular = np.ones(n, dtype=bool)
        final = outlier_map(Z, regular, k, params["quantile"])
        forest_input = np.column_stack([final.scores / np.sqrt(final.variances), final.od / final.od_cut])
        forest = IsolationForest(n_estimators=100, random_state=SEED).fit(forest_input)
        # only records the PCA map flags can be agreed on, so only they need an anomaly score
        candidates = np.flatnonzero(final.flagged)
        isolated = np.zeros(n, dtype=bool)
        if candidates.size:
            isolated[candidates] = -forest.score_samples(forest_input[candidates]) > params["forest_score"]
        agreed = np.flatnonzero(final.flagged & isolated)
        share = agreed.size / n
        evidence = {
            "numerator": int(agreed.size),
            "denominator": n,
            "share": share,
            "components": k,
            "signal_rank": rank,
            "features": p,
            "pca_map_flagged": int(final.flagged.sum()),
            "isolation_forest_agreed": int(isolated.sum()),
            "forest_score_threshold": params["forest_score"],
            "score_distance_cutoff": final.sd_cut,
            "orthogonal_distance_cutoff": final.od_cut,
        }
        if sample is not None:
            evidence["spectrum_sampled_rows"] = int(sample.size)
        if agreed.size == 0:
            return CheckResult.quiet(evidence)
        relative = np.maximum(final.sd[agreed] / final.sd_cut, final.od[agreed] / final.od_cut)
        extreme = agreed[relative >= params["extreme_factor"]]
        severity = "error" if share > params["error_share"] or extreme.size else "warning"
        order = agreed[np.argsort(-relative, kind="stable")]
        kinds = _kinds(final, agreed)
        finding = self.finding(
            severity,
            f"{plural(agreed.size, 'record')} ({share:.1%}) are far from the rest of the data "
            "across several measurements jointly.",
            rows=agreed,
            evidence={
                **evidence,
                "threshold": params["error_share"] if severity == "error" else 0,
                "extreme_rows": extreme[:MAX_LISTED].tolist(),
                "extreme_factor": params["extreme_factor"],
                "most_outlying_rows": order[:MAX_LISTED].tolist(),
                "outlier_kinds": kinds,
            },
            remedy="Review these records at the source (entry or unit errors, failed assays); keep genuine "
            "rare cases, and never delete them automatically.",
        )
        return CheckResult.fired([finding], evidence)


class _Map:
    """Score and orthogonal distances of every record for one PCA fit, with their cut-offs."""

    def __init__(self, scores, variances, sd, od, sd_cut, od_cut):
        self.scores, self.variances, self.sd, self.od = scores, variances, sd, od
        self.sd_cut, self.od_cut = sd_cut, od_cut
        self.flagged = (sd > sd_cut) | (od > od_cut)


def prepare(matrix: np.ndarray) -> np.ndarray:
    """Median-impute, log-transform skewed non-negative columns, then scale by median/MAD."""
    X = median_impute(matrix)
    nonneg = (X >= 0).all(axis=0)
    if nonneg.any():
        block = X[:, nonneg]
        mean = block.mean(axis=0)
        sd = block.std(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            skew = np.nan_to_num(((block - mean) ** 3).mean(axis=0) / sd**3)
        skewed = np.flatnonzero(nonneg)[skew > 1.0]
        if skewed.size:
            sub = X[:, skewed]
            positive = np.where(sub > 0, sub, np.nan)
            scale = np.nan_to_num(np.nanmedian(positive, axis=0), nan=1.0)
            X[:, skewed] = np.log1p(sub / np.where(scale > 0, scale, 1.0))
    return robust_scale(X)


def outlier_map(Z: np.ndarray, regular: np.ndarray, k: int, quantile: float) -> _Map:
    """PCA fitted on the `regular` records; distances and cut-offs for all records.

    Distances are computed from Z and the centre without forming a centred copy of Z.
    """
    subset = Z[regular]
    centre = subset.mean(axis=0)
    subset -= centre
    _, _, loadings = top_components(subset, k)
    del subset
    scores = Z @ loadings.T - centre @ loadings.T
    mad = np.median(np.abs(scores - np.median(scores, axis=0)), axis=0) * 1.4826
    variances = np.where(mad > 1e-12, mad, scores.std(axis=0) + 1e-12) ** 2
    sd = np.sqrt((scores**2 / variances).sum(axis=1))
    squared = np.einsum("ij,ij->i", Z, Z) - 2.0 * (Z @ centre) + centre @ centre
    od = np.sqrt(np.clip(squared - (scores**2).sum(axis=1), 0.0, None))
    sd_cut = float(np.sqrt(chi2.ppf(quantile, scores.shape[1])))
    root = od ** (2.0 / 3.0)
    centre_od = np.median(root)
    spread = 1.4826 * np.median(np.abs(root - centre_od))
    od_cut = (
        float((centre_od + spread * norm.ppf(quantile)) ** 1.5) if spread > 0 else float(od.max() + 1e-12)
    )
    return _Map(scores, variances, sd, od, sd_cut, max(od_cut, 1e-12))


def _kinds(result: _Map, rows: np.ndarray) -> dict[str, int]:
    """Counts of bad leverage (both distances high), good leverage (score only), orthogonal outliers."""
    high_sd = result.sd[rows] > result.sd_cut
    high_od = result.od[rows] > result.od_cut
    return {
        "bad_leverage": int((high_sd & high_od).sum()),
        "good_leverage": int((high_sd & ~high_od).sum()),
        "orthogonal": int((~high_sd & high_od).sum()),
    }
