"""Two-sample statistics of distribution shift, shared by the distribution_shift check and `compare`.

Vectorised Kolmogorov-Smirnov and standardised mean differences of groups against the rest,
chi-squared with Cramér's V on contingency tables, and the classifier two-sample test: one
statistic for each question, whether the groups are sites inside a table or two tables.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import ThreadpoolController

from datacert.statistics import column_medians

CHUNK_CELLS = 1_000_000
GRAM_MAX_ROWS = 3000
# Found once, when checks are loaded (it reads the process's library map), never during a run.
_THREADS = ThreadpoolController()


def ks_one_vs_rest(matrix: np.ndarray, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Kolmogorov-Smirnov D and asymptotic p-value of each group against the rest, per column.

    Returns two (n_groups, p) arrays (with two groups only row 1 is filled: it is the same test
    as row 0). Vectorised: each column block is transposed (so that every sort and cumulative
    count runs along contiguous memory) and sorted once, and the two empirical CDFs are
    cumulative counts read at the last position of each run of ties (as scipy.stats.ks_2samp
    does), so the order of tied values within a run does not matter; NaN are left out column by
    column. The gap |F_in − F_out| is computed in integers, as |c_in·N − c·n_in| / (n_in·n_out)
    with c the records seen so far and c_in those of the group. The p-value is the limiting
    Kolmogorov distribution with Stephens' small-sample correction, sqrt(en) + 0.12 + 0.11/sqrt(en):
    closed form, so 20,000 columns cost nothing (the exact distribution is evaluated per value).
    """
    n, p = matrix.shape
    d_out = np.zeros((n_groups, p))
    p_out = np.ones((n_groups, p))
    chunk = max(1, CHUNK_CELLS // max(n, 1))
    if n == 0:
        return d_out, p_out
    # the gaps in integers are at most n² (exact): 32-bit halves the memory traffic where it fits
    count = np.dtype(np.int32) if n * n < 2**31 else np.dtype(np.int64)
    for lo in range(0, p, chunk):
        block = np.array(matrix[:, lo : lo + chunk].T, dtype=np.float64, order="C")  # a column per line
        missing = np.isnan(block)
        genuine_inf = bool(np.isposinf(block).any())
        # NaN sorted as +inf: numpy's fast sort path does not take NaN (4x slower). A genuine +inf
        # may then sit among them, but only in the top run of ties, where both CDFs are 1 (no gap)
        block[missing] = np.inf
        order = np.argsort(block, axis=1)
        ordered = np.take_along_axis(block, order, axis=1)
        total = n - missing.sum(axis=1)
        if genuine_inf:  # which of the tied +inf are records is read from the mask
            valid = ~np.take_along_axis(missing, order, axis=1)
            seen = np.cumsum(valid, axis=1, dtype=count)
        else:  # the missing values are exactly the last positions of each sorted line
            positions = np.arange(1, n + 1, dtype=count)
            valid = positions[None, :] <= total[:, None]
            seen = np.minimum(positions[None, :], total[:, None].astype(count))
        del missing
        run_end = valid.copy()
        run_end[:, :-1] &= ordered[:, 1:] != ordered[:, :-1]
        del ordered, block
        sorted_codes = codes[order]
        del order
        total_c = total.astype(count)[:, None]
        for g in range(n_groups) if n_groups > 2 else (1,):
            inside = sorted_codes == g
            inside &= valid
            cum_in = np.cumsum(inside, axis=1, dtype=count)
            n_in = cum_in[:, -1].astype(np.int64)
            n_out = total - n_in
            np.multiply(cum_in, total_c, out=cum_in)
            np.subtract(cum_in, np.multiply(seen, n_in.astype(count)[:, None]), out=cum_in)
            np.abs(cum_in, out=cum_in)
            np.multiply(cum_in, run_end, out=cum_in)  # only the last position of each run of ties counts
            usable = (n_in > 0) & (n_out > 0)
            d = np.where(usable, cum_in.max(axis=1) / np.where(usable, n_in * n_out, 1), 0.0)
            root = np.sqrt(np.where(usable, n_in * n_out / np.maximum(n_in + n_out, 1), 1.0))
            pv = np.where(usable, stats.kstwobign.sf((root + 0.12 + 0.11 / root) * d), 1.0)
            d_out[g, lo : lo + chunk] = d
            p_out[g, lo : lo + chunk] = np.clip(pv, 0.0, 1.0)
    return d_out, p_out


def smd_one_vs_rest(matrix: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Standardised mean difference of each group against the rest, per column: (n_groups, p).

    d = (mean_g - mean_rest) / sqrt((var_g + var_rest) / 2), NaN-aware, from group sums
    computed as one matrix product (Austin 2009).
    """
    observed = ~np.isnan(matrix)
    values = np.where(observed, matrix, 0.0)
    onehot = np.zeros((matrix.shape[0], n_groups))
    onehot[np.arange(matrix.shape[0]), codes] = 1.0
    # counts in float32 (exact below 2**24 records): a float64 copy of the mask cost a full block
    counts = (onehot.astype(np.float32).T @ observed.astype(np.float32)).astype(np.float64)
    del observed
    sums = onehot.T @ values
    np.multiply(values, values, out=values)
    squares = onehot.T @ values
    del values
    total_n, total_s, total_q = counts.sum(axis=0), sums.sum(axis=0), squares.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in = sums / counts
        mean_out = (total_s - sums) / (total_n - counts)
        var_in = squares / counts - mean_in**2
        var_out = (total_q - squares) / (total_n - counts) - mean_out**2
        d = (mean_in - mean_out) / np.sqrt(np.maximum((var_in + var_out) / 2.0, 0.0))
    return np.nan_to_num(d, nan=0.0, posinf=0.0, neginf=0.0)


def standardised(matrix: np.ndarray) -> np.ndarray:
    """Median-imputed, z-scored copy (constant columns become 0)."""
    work = np.array(matrix, dtype=np.float64, copy=True)
    missing = np.isnan(work)
    if missing.any():
        gaps = np.flatnonzero(missing.any(axis=0))
        sub = work[:, gaps]
        # the same values as np.nanmedian, without its masked-array path on short tables
        medians = column_medians(np.where(missing[:, gaps].all(axis=0), 0.0, sub))
        np.copyto(sub, np.broadcast_to(medians, sub.shape), where=missing[:, gaps])
        work[:, gaps] = sub
    work -= work.mean(axis=0)
    sd = np.sqrt(np.einsum("ij,ij->j", work, work) / max(1, work.shape[0]))  # no temporary block
    work /= np.where(sd > 0, sd, 1.0)
    return work


def cramers_v(table: np.ndarray) -> tuple[float, float, float]:
    """Cramér's V, the chi-squared statistic and its p-value for a contingency table.

    Rows and columns with no records are dropped first; a table with a single row or column
    gives V = 0 and p = 1.
    """
    table = np.asarray(table, dtype=np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 0.0, 0.0, 1.0
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    n = table.sum()
    v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    return v, float(chi2), float(p)


def principal_scores(design: np.ndarray | None, k: int, gram: np.ndarray | None = None) -> np.ndarray:
    """Top-k principal component scores of a centred matrix through its n x n Gram matrix.

    When p >> n the nonzero spectrum of X'X equals that of XX' (n x n): an exact PCA at
    O(n^2 p) without any p x p matrix. Label-free, so fitting it on all rows leaves the
    classifier test's null distribution at AUC 0.5. `gram` is design @ design.T when the caller
    holds it already (the design itself is then not read, and may be None).
    """
    if gram is None:
        if design is None:
            raise ValueError("principal_scores needs the design or its Gram product")
        gram = design @ design.T
    # a small symmetric eigenproblem runs fastest, and steadiest on a busy machine, on one thread
    with _THREADS.limit(limits=1 if gram.shape[0] <= 1000 else None):
        values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:k]
    values = np.clip(values[top], 0.0, None)
    scores = vectors[:, top] * np.sqrt(values)
    signs = np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])])
    return scores * np.where(signs == 0, 1.0, signs)


def rank_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the Mann-Whitney rank formula (ties get average ranks)."""
    positives = labels.sum()
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return 0.5
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def hanley_mcneil_interval(auc: float, positives: int, negatives: int, z: float) -> tuple[float, float]:
    """Normal interval of an AUC with the Hanley & McNeil (1982) standard error."""
    q1, q2 = auc / (2.0 - auc), 2.0 * auc * auc / (1.0 + auc)
    var = auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    se = float(np.sqrt(max(var, 0.0) / max(positives * negatives, 1)))
    return max(0.0, auc - z * se), min(1.0, auc + z * se)


def classifier_two_sample(
    design: np.ndarray, codes: np.ndarray, n_groups: int, folds: int = 5, alpha: float = 0.01
) -> dict:
    """Cross-validated AUC of an L2-logistic model predicting each record's group from its features.

    Out-of-fold probabilities from stratified, seeded folds; one-vs-rest AUC per group with a
    Hanley-McNeil 1 - alpha interval (Bonferroni-widened over groups when there are more than two).
    A random partition gives AUC near 0.5 (Lopez-Paz & Oquab 2017).
    """
    smallest = int(np.bincount(codes, minlength=n_groups).min())
    folds = max(2, min(folds, smallest))
    model = LogisticRegression(C=1.0, max_iter=1000)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    with _THREADS.limit(limits=1):  # small dense products: threads cost more than they give
        proba = cross_val_predict(model, design, codes, cv=splitter, method="predict_proba")
    comparisons = 1 if n_groups == 2 else n_groups
    z = float(stats.norm.ppf(1 - alpha / (2 * comparisons)))
    per_group = []
    for g in range(n_groups if n_groups > 2 else 1):
        target = g if n_groups > 2 else 1
        labels = codes == target
        auc = rank_auc(labels, proba[:, target])
        low, high = hanley_mcneil_interval(auc, int(labels.sum()), int((~labels).sum()), z)
        per_group.append((target, auc, low, high))
    macro = float(np.mean([a for _, a, _, _ in per_group]))
    worst = max(per_group, key=lambda t: (t[1], -t[0]))
    return {
        "auc": macro,
        "worst_group": worst[0],
        "worst_auc": worst[1],
        "worst_ci": [worst[2], worst[3]],
        "per_group": per_group,
        "folds": folds,
    }
