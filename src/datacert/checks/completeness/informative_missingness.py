"""informative_missingness: whether a value is missing predicts the target (or, without one, other
columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from datacert.artifacts import is_class_target, learning_task, rows_matrix
from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.findings import Severity

MAR_SAMPLE_ROWS = 100_000
WIDE_COLUMNS = 200


@register
class InformativeMissingness(Check):
    """Find columns whose missingness carries information: about the target, or about other columns.

    Notes
    -----
    With a target (methods §2.3, smdi's third diagnostic, then its second as below): for every
    column with missing values, the missing indicator against the target — chi-square on the
    2×k table (Fisher's exact test for sparse 2×2 tables) for a categorical target, Mann-Whitney
    AUC for a continuous one — Benjamini-Hochberg across columns. A column fires when q < `alpha`
    and the effect is not trivial (target rates differ by `min_rate_difference`, or
    |AUC − 0.5| ≥ `min_auc_shift`). In medicine a test is often not ordered because the patient
    looked well: keep a missingness indicator as a feature and suspect MNAR.
    Without a target, and with one for the columns whose missingness does not carry it: for the
    `max_columns` most-missing columns, the rank AUC of every numeric
    column between records where the column is missing and where it is present (one matrix product
    over screened predictors, confirmed by its own Mann-Whitney test), after a Welch t screen of every
    pair by matrix products with
    Bonferroni control at `mar_alpha` across all pairs; AUC ≥ `min_mar_auc` (or ≤ 1 − it) marks
    missingness predictable from other columns (MAR rather than MCAR), reported as information.
    """

    id = "informative_missingness"
    sample_cpu_seconds = 0.16
    dimension = "completeness"
    governance = ("missingness",)
    needs = Needs(min_rows=20)
    params = (
        Param("alpha", 0.05, "false discovery rate of the missingness-target tests", low=0, high=1),
        Param(
            "min_rate_difference",
            0.05,
            "difference in target rate between missing and observed records that counts",
            low=0,
            high=1,
        ),
        Param(
            "min_auc_shift",
            0.06,
            "AUC away from 0.5 that a missingness indicator needs to count for a numeric target",
            low=0,
            high=1,
        ),
        Param(
            "min_mar_auc",
            0.65,
            "AUC from which other columns predict the missingness (missing at random)",
            low=0.5,
            high=1,
        ),
        Param("mar_alpha", 0.01, "false discovery rate of the missing-at-random tests", low=0, high=1),
        Param("min_group", 5, "missing and observed records each needed to test a column", low=1),
        Param("max_columns", 50, "columns with missing values tested at most", low=1),
        Param("max_findings", 50, "findings reported at most", low=1),
        Param("max_predictors_listed", 5, "columns predicting a missingness listed in the evidence", low=1),
    )
    kahn = "completeness"
    remedy = Remedy("add_missing_indicator", 78, automatic=True, step="missing_indicators")
    cost = "linear"

    def run(self, data, profile, params):
        nulls = profile.stat("null_count")
        n = profile.n_rows
        target = data.roles.target
        features = [c for c in data.feature_columns() if c != target]
        candidates = [
            c for c in features if params["min_group"] <= (nulls[c] or 0) <= n - params["min_group"]
        ]
        if not candidates:
            return CheckResult.quiet(
                {"numerator": 0, "denominator": 0, "mode": "target" if target else "other_columns"}
            )
        if target:
            return self._against_target(data, candidates, nulls, params)
        return self._against_columns(data, candidates, nulls, params)

    # -- with a target -------------------------------------------------------------------------
    def _against_target(self, data, columns: list[str], nulls, params: Mapping[str, Any]) -> CheckResult:
        target = data.roles.target
        frame = data.frame
        keep = frame.select(pl.col(target).is_not_null()).to_series().to_numpy()
        missing = _missing_matrix(data, columns)
        y = frame.get_column(target)
        if not keep.all():  # a copy of the n x k matrix only when some records have no target
            missing, y = missing[keep], y.filter(pl.Series(keep))
        semantic_type = data.semantic_types.get(target)
        if learning_task(y, semantic_type) == "regression":
            effect, p_values, details = _mann_whitney(missing, y.cast(pl.Float64).to_numpy())
            threshold = params["min_auc_shift"]
            measure = "auc_shift"
        else:
            if not is_class_target(y, semantic_type):
                return CheckResult.quiet(
                    {
                        "numerator": 0,
                        "denominator": len(columns),
                        "mode": "target",
                        "skipped": "the target has too many or too few classes",
                    }
                )
            effect, p_values, details = _contingency(missing, y)
            threshold = params["min_rate_difference"]
            measure = "rate_difference"
        q_values = _bh(p_values)
        hits = np.flatnonzero((q_values < params["alpha"]) & (effect >= threshold))
        hits = hits[np.lexsort((-effect[hits], q_values[hits]))]
        findings = []
        positions = np.flatnonzero(keep)
        for j in hits[: params["max_findings"]]:
            column = columns[j]
            rows = np.flatnonzero(_missing_matrix(data, [column])[:, 0])
            evidence = {
                "columns": [column, target],
                "effect": float(effect[j]),
                "effect_measure": measure,
                "p_value": float(p_values[j]),
                "q_value": float(q_values[j]),
                "alpha": params["alpha"],
                "threshold": threshold,
                "missing": int(missing[:, j].sum()),
                "observed": int(len(positions) - missing[:, j].sum()),
                **details[j],
            }
            findings.append(
                self.finding(
                    Severity.WARNING,
                    f"Whether {column!r} is missing is associated with the target {target!r}: "
                    "its absence is itself information.",
                    columns=[column, target],
                    rows=rows,
                    evidence=evidence,
                    remedy=f"Keep a missingness indicator for {column!r} as a feature (or use a model "
                    "that handles "
                    "missing values natively), impute inside cross-validation, and consider that the values "
                    "may be missing not at random.",
                )
            )
        # missingness that other columns predict matters with a target too (imputation must use
        # them); columns whose missingness carries the target are already reported above
        reported = {columns[j] for j in hits[: params["max_findings"]]}
        rest = [c for c in columns if c not in reported]
        # the missing-at-random screen builds its own matrices: on a tall table, holding this
        # n x k one beside them would add its size to the check's peak
        del missing, y
        mar, mar_evidence = self._predictable_missingness(data, rest, nulls, params) if rest else ([], {})
        findings += mar[: max(0, params["max_findings"] - len(findings))]
        return CheckResult.fired(
            findings,
            {
                "numerator": int(hits.size) + len(mar),
                "missing_at_random": {k: v for k, v in mar_evidence.items() if k != "mode"},
                "denominator": len(columns),
                "mode": "target",
                "effect_measure": measure,
                "per_column": {
                    columns[j]: {
                        "effect": float(effect[j]),
                        "p_value": float(p_values[j]),
                        "q_value": float(q_values[j]),
                    }
                    for j in range(len(columns))
                }
                if len(columns) <= 200
                else {},
            },
        )

    # -- without a target ----------------------------------------------------------------------
    def _against_columns(self, data, columns, nulls, params) -> CheckResult:
        findings, evidence = self._predictable_missingness(data, columns, nulls, params)
        if not findings and evidence.get("predictors_tested", 0) == 0:
            return CheckResult.quiet(evidence)
        return CheckResult.fired(findings, evidence)

    def _predictable_missingness(self, data, columns, nulls, params) -> tuple[list, dict[str, Any]]:
        """Information findings for columns whose missingness other columns predict (MAR)."""
        numeric = data.numeric_feature_columns()
        position = {c: i for i, c in enumerate(data.columns)}
        tested = sorted(columns, key=lambda c: (-nulls[c], position[c]))[: params["max_columns"]]
        if not numeric:
            return [], {"numerator": 0, "denominator": len(tested), "mode": "other_columns"}
        sampled = None
        if data.n_rows > MAR_SAMPLE_ROWS:  # evenly spaced records; only they are copied
            idx = (np.arange(MAR_SAMPLE_ROWS) * (data.n_rows / MAR_SAMPLE_ROWS)).astype(np.int64)
            x, m, sampled = (
                rows_matrix(data, numeric, idx),
                _missing_matrix(data, tested, idx),
                MAR_SAMPLE_ROWS,
            )
        else:
            x, m = data.numeric_matrix(numeric), _missing_matrix(data, tested)
        observed = ~np.isnan(x)
        # K × p: records missing column j with predictor k observed. Counts of 0/1 products are
        # exact in single precision below 2**24 records (the screen reads at most MAR_SAMPLE_ROWS),
        # so the two masks are multiplied at half the memory of float64 copies
        counting = np.float32 if observed.shape[0] < 2**24 else np.float64
        n1 = (m.astype(counting).T @ observed.astype(counting)).astype(np.float64)
        n0 = observed.sum(axis=0) - n1
        mf = m.astype(np.float64)
        # missing cells as 0 for the Welch sums; the sampled block is this check's own copy, the
        # whole-table one is the dataset's cache and must not be written to
        x0 = x if sampled else x.copy(order="K")
        x0[~observed] = 0.0
        valid = (n1 >= params["min_group"]) & (n0 >= params["min_group"])
        index = {c: k for k, c in enumerate(numeric)}
        for j, c in enumerate(tested):  # a column does not predict its own missingness
            if c in index:
                valid[j, index[c]] = False
        # screen every pair with Welch's t (three matrix products), then rank AUCs on what passes
        # family-wise (Bonferroni) control over all pairs: a finding says "this column's missingness
        # is predictable", and thousands of pairs must not produce one by chance
        tests = max(int(valid.sum()), 1)
        alpha = params["mar_alpha"]
        p = np.where(valid, _welch_p(mf, x0, n1, n0, alpha / tests), 1.0)
        del x0  # now the squares: the screened predictors' values are read again below
        q = np.minimum(p * tests, 1.0)
        screened = np.flatnonzero(((q < alpha) & valid).any(axis=0))
        auc = np.full(p.shape, np.nan)
        rank_q = np.ones(p.shape)
        if screened.size:  # Mann-Whitney on the screened pairs: the AUC and a rank-based confirmation
            seen = observed[:, screened]
            chosen = [numeric[k] for k in screened]
            values = rows_matrix(data, chosen, idx) if sampled else data.numeric_matrix(numeric)[:, screened]
            ranks = stats.rankdata(np.where(seen, values, np.inf), axis=0)
            del values
            ranks *= seen
            del seen
            r1 = mf.T @ ranks
            a1, a0 = n1[:, screened], n0[:, screened]
            with np.errstate(invalid="ignore", divide="ignore"):
                u = r1 - a1 * (a1 + 1) / 2
                auc[:, screened] = u / (a1 * a0)
                z = (u - a1 * a0 / 2) / np.sqrt(a1 * a0 * (a1 + a0 + 1) / 12)
            rank_q[:, screened] = np.minimum(2 * stats.norm.sf(np.abs(np.nan_to_num(z))) * tests, 1.0)
        strength = np.where(valid, np.abs(np.nan_to_num(auc, nan=0.5) - 0.5), 0.0)
        flagged = (q < alpha) & (rank_q < alpha) & (strength >= params["min_mar_auc"] - 0.5)
        findings = []
        order = sorted(np.flatnonzero(flagged.any(axis=1)).tolist(), key=lambda j: (-strength[j].max(), j))
        for j in order[: params["max_findings"]]:
            best = np.flatnonzero(flagged[j])
            best = best[np.argsort(-strength[j, best], kind="stable")][: params["max_predictors_listed"]]
            predictors = [numeric[k] for k in best]
            column = tested[j]
            findings.append(
                self.finding(
                    Severity.INFO,
                    f"Whether {column!r} is missing can be predicted from other columns, so it is not "
                    "missing "
                    "completely at random.",
                    columns=[column, *predictors],
                    rows=np.flatnonzero(_missing_matrix(data, [column])[:, 0] if sampled else m[:, j]),
                    evidence={
                        "columns": [column, *predictors],
                        "effect_measure": "auc",
                        "effect": float(strength[j].max() + 0.5),
                        "predictors": {
                            numeric[k]: {
                                "auc": float(auc[j, k]),
                                "p_value": float(p[j, k]),
                                "p_adjusted": float(rank_q[j, k]),
                            }
                            for k in best
                        },
                        "predictors_flagged": int(flagged[j].sum()),
                        "threshold": params["min_mar_auc"],
                        "alpha": alpha,
                        "correction": "bonferroni",
                        "tests": tests,
                    },
                    remedy=f"Impute {column!r} with a method that uses the other columns (MICE, kNN) inside "
                    "cross-validation, and keep a missingness indicator.",
                )
            )
        evidence = {
            "numerator": len(order),
            "denominator": len(tested),
            "mode": "other_columns",
            "predictors_tested": len(numeric),
            "pairs_tested": int(valid.sum()),
        }
        if sampled:
            evidence["sampled_rows"] = sampled
        return findings, evidence

    def correction(self, findings, data, plan):
        """Name the columns whose missingness is associated with the target (each finding names the
        column, then what it predicts); the model search adds missingness indicators for them."""
        target = data.roles.target
        plan.informative = sorted(
            {
                f.columns[0]
                for f in findings
                if target
                and target in f.columns[1:]
                and f.columns[0] in data.columns
                and f.columns[0] not in plan.dropped
                and f.columns[0] not in plan.protected
            },
            key=data.columns.index,
        )
        return True


def _missing_matrix(data, columns: list[str], rows: np.ndarray | None = None) -> np.ndarray:
    """n × k boolean matrix of missing cells (NaN counts as missing in float columns), or only of
    the records at positions `rows`.

    Few columns: one engine pass of null tests (no float copy of the table). Many columns: from
    the cached numeric matrix, because planning thousands of expressions costs more than the data.
    """
    schema = data.schema
    n = data.n_rows if rows is None else rows.size
    at = None if rows is None else pl.Series(rows, dtype=pl.Int64)

    def picked(expr: pl.Expr) -> pl.Expr:
        return expr if at is None else expr.gather(at)

    if len(columns) <= WIDE_COLUMNS:
        exprs = [
            picked(
                (pl.col(c).is_null() | pl.col(c).is_nan()) if schema[c].is_float() else pl.col(c).is_null()
            )
            for c in columns
        ]
        return data.frame.select(exprs).to_numpy().astype(bool, copy=False).reshape(n, len(columns))
    numeric = set(data.numeric_feature_columns())
    block = [c for c in columns if c in numeric]
    out = np.zeros((n, len(columns)), dtype=bool)
    if block:
        values = np.isnan(data.numeric_matrix(block) if rows is None else rows_matrix(data, block, rows))
        position = {c: i for i, c in enumerate(block)}
        for k, c in enumerate(columns):
            if c in position:
                out[:, k] = values[:, position[c]]
    rest = [c for c in columns if c not in numeric]
    if rest:
        nulls = data.frame.select([picked(pl.col(c).is_null()) for c in rest]).to_numpy()
        position = {c: i for i, c in enumerate(rest)}
        for k, c in enumerate(columns):
            if c in position:
                out[:, k] = nulls[:, position[c]]
    return out


def _column_sums(weights: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """weights @ missing without a float copy of a tall boolean matrix."""
    if missing.shape[1] <= WIDE_COLUMNS:
        return np.array([weights[missing[:, j]].sum() for j in range(missing.shape[1])], dtype=np.float64)
    return weights @ missing.astype(np.float64)


def _welch_p(mf: np.ndarray, x0: np.ndarray, n1: np.ndarray, n0: np.ndarray, alpha: float) -> np.ndarray:
    """Two-sided Welch t-test p-values of every predictor between missing and present records, K × p.

    x0 holds the predictors with missing cells set to 0 (n1, n0 count the observed cells of each
    group), so that group sums and sums of squares are matrix products; it is overwritten with its
    squares (one block fewer held on a tall table). Pairs whose |t| is below the normal
    critical value at `alpha` have p > alpha whatever the degrees of freedom: they get p = 1 without
    evaluating the t distribution (this changes no Benjamini-Hochberg decision at level alpha).
    """
    s1 = mf.T @ x0
    s0 = x0.sum(axis=0) - s1
    squares = np.multiply(x0, x0, out=x0)  # in place: the values are not needed past their sums
    q1 = mf.T @ squares
    q0 = squares.sum(axis=0) - q1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean1, mean0 = s1 / n1, s0 / n0
        var1 = np.maximum(q1 - n1 * mean1**2, 0.0) / (n1 - 1)
        var0 = np.maximum(q0 - n0 * mean0**2, 0.0) / (n0 - 1)
        se2 = var1 / n1 + var0 / n0
        t = (mean1 - mean0) / np.sqrt(se2)
    t = np.abs(np.nan_to_num(t, nan=0.0, posinf=0.0, neginf=0.0))
    p = np.ones_like(t)
    big = t >= stats.norm.isf(alpha / 2)
    # degrees of freedom only where the t distribution is evaluated (the same values, element-wise)
    a1, a0, v1, v0, e2 = n1[big], n0[big], var1[big], var0[big], se2[big]
    with np.errstate(invalid="ignore", divide="ignore"):
        df = e2**2 / ((v1 / a1) ** 2 / (a1 - 1) + (v0 / a0) ** 2 / (a0 - 1))
    p[big] = 2 * stats.t.sf(t[big], np.nan_to_num(df, nan=1.0))
    return p


def _contingency(missing: np.ndarray, y: pl.Series) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Chi-square (Fisher for sparse 2×2) of each missing indicator against a categorical target."""
    codes, classes = _encode(y)
    k = len(classes)
    if missing.shape[1] <= WIDE_COLUMNS:  # per column: no copy of a tall matrix's rows per class
        a = np.stack([np.bincount(codes[missing[:, j]], minlength=k) for j in range(missing.shape[1])])
    else:
        a = np.stack([missing[codes == c].sum(axis=0) for c in range(k)], axis=1)
    a = a.astype(np.float64)  # p × k: missing records per class
    class_total = np.bincount(codes, minlength=k).astype(np.float64)
    b = class_total - a  # observed records per class
    n_miss = a.sum(axis=1, keepdims=True)
    n_obs = b.sum(axis=1, keepdims=True)
    n = codes.size
    with np.errstate(invalid="ignore", divide="ignore"):
        ea = n_miss * class_total / n
        eb = n_obs * class_total / n
        chi2 = np.nansum((a - ea) ** 2 / ea, axis=1) + np.nansum((b - eb) ** 2 / eb, axis=1)
        rate_missing = a / n_miss
        rate_observed = b / n_obs
    p = stats.chi2.sf(chi2, max(k - 1, 1))
    if k == 2:
        sparse = np.flatnonzero(np.minimum(ea, eb).min(axis=1) < 5)
        for j in sparse.tolist():
            table = np.array([[a[j, 0], a[j, 1]], [b[j, 0], b[j, 1]]])
            p[j] = stats.fisher_exact(table).pvalue
    difference = np.abs(rate_missing - rate_observed)
    effect = np.nan_to_num(difference.max(axis=1))
    details = []
    for j in range(missing.shape[1]):
        c = int(np.argmax(difference[j])) if k > 2 else 1
        details.append(
            {
                "class": _plain(classes[c]),
                "target_rate_missing": float(rate_missing[j, c]),
                "target_rate_observed": float(rate_observed[j, c]),
                "chi2": float(chi2[j]),
                "cramers_v": float(np.sqrt(chi2[j] / (n * max(min(k, 2) - 1, 1)))),
            }
        )
    return effect, p, details


def _mann_whitney(missing: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Rank AUC of a continuous target between records with and without each missing value."""
    ranks = stats.rankdata(y)
    n = y.size
    _, tie_counts = np.unique(y, return_counts=True)
    tie_term = float(np.sum(tie_counts**3 - tie_counts)) / (n * (n - 1))
    n1 = missing.sum(axis=0).astype(np.float64)
    n0 = n - n1
    u = _column_sums(ranks, missing) - n1 * (n1 + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = u / (n1 * n0)
        sd = np.sqrt(n1 * n0 / 12 * ((n + 1) - tie_term))
        z = (u - n1 * n0 / 2) / sd
    p = 2 * stats.norm.sf(np.abs(np.nan_to_num(z)))
    effect = np.abs(np.nan_to_num(auc, nan=0.5) - 0.5)
    details = [{"auc": float(auc[j])} for j in range(missing.shape[1])]
    return effect, p, details


def _encode(y: pl.Series) -> tuple[np.ndarray, list[Any]]:
    classes = sorted(y.unique().to_list(), key=lambda v: (str(type(v)), v))
    lookup = {v: i for i, v in enumerate(classes)}
    codes = y.replace_strict(lookup, return_dtype=pl.Int64).to_numpy()
    return codes, classes


def _bh(p: np.ndarray, total: int | None = None) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as p.

    `total` is the number of tests when `p` holds only the smallest of them.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        return p
    m = p.size if total is None else total
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, p.size + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(p.size)
    q[order] = np.minimum(adjusted, 1.0)
    return q


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
