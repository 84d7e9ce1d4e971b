"""redundant_features: blocks of near-duplicate or highly correlated numeric features, at any width."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.statistics import column_medians

BLOCK = 2000
TILE = 500
FLOAT32_SLACK = 1e-4
COMPRESS_EDGES = 2_000_000
SCREEN_DIMS = 64
SCREEN_MARGIN = 0.10
VERIFY_CHUNK = 20_000
DENSE_HITS = 20_000


def standardised_columns(matrix: np.ndarray, max_rows: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Unit-norm centred columns (float32, NaN replaced by the column median), the kept column
    indices (non-constant ones) and the number of rows used (evenly spaced rows when tall)."""
    n = matrix.shape[0]
    rows = sample_rows(n, max_rows)
    if rows is not None:
        matrix = matrix[rows]
    work = np.array(matrix, dtype=np.float64, copy=True)
    missing = np.isnan(work)
    if missing.any():
        cols = np.flatnonzero(missing.any(axis=0))
        sub = work[:, cols]
        empty = missing[:, cols].all(axis=0)  # all-missing columns: filled with 0, then dropped as constant
        # the same values as np.nanmedian, without its masked-array path on short tables
        medians = column_medians(np.where(empty, 0.0, sub))
        np.copyto(sub, np.broadcast_to(medians, sub.shape), where=missing[:, cols])
        work[:, cols] = sub
    # in place where possible: on 300 x 20,000 each extra copy of the block cost as much as the scan
    scale = np.maximum(work.max(axis=0), -work.min(axis=0)) if work.size else np.zeros(work.shape[1])
    work -= work.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", work, work))
    kept = np.flatnonzero(norms > 1e-9 * np.maximum(scale, 1.0) * np.sqrt(work.shape[0]))
    if kept.size < work.shape[1]:
        work = work[:, kept]
    work /= norms[kept]
    return work.astype(np.float32), kept, int(work.shape[0])


def sample_rows(n: int, max_rows: int) -> np.ndarray | None:
    """Evenly spaced record indices when the table is taller than `max_rows`, else None."""
    return np.linspace(0, n - 1, max_rows).astype(np.int64) if n > max_rows else None


def _sampled_block(data, columns: list[str], max_rows: int) -> np.ndarray:
    """The float64 block of `columns` on the records `standardised_columns` would keep.

    On a tall table the records are gathered before the float conversion, so the check never holds
    the whole table as floats (1,000,000 x 40 is 305 MiB for the 5,000 records it reads); the values
    are the same bits as the matching rows of `numeric_matrix`.
    """
    rows = sample_rows(data.n_rows, max_rows)
    if rows is None:
        matrix = data.numeric_matrix(data.numeric_feature_columns())
        if len(columns) < matrix.shape[1]:
            index = {c: i for i, c in enumerate(data.numeric_feature_columns())}
            matrix = matrix[:, [index[c] for c in columns]]
        return matrix
    gathered = data.frame.select(pl.col(c).gather(rows).cast(pl.Float64) for c in columns)
    return np.ascontiguousarray(gathered.to_numpy(order="c"), dtype=np.float64)


def correlated_pairs(unit: np.ndarray, threshold: float, screen_dims: int = SCREEN_DIMS, block: int = BLOCK):
    """Pairs (i < j) of columns with |r| >= threshold, each column's largest |r| and its number of
    such pairs, without a p x p matrix.

    Notes
    -----
    Columns are scanned in blocks: the product of two column blocks is a block of the
    correlation matrix, thresholded at once so only the few pairs above it are kept (O(n p^2)
    time, O(p * block) memory). When n is larger than `screen_dims`, the scan runs on a seeded
    Gaussian random projection of the columns to `screen_dims` dimensions, renormalised, which
    keeps angles between near-parallel columns (|r| >= 0.95 stays above the screen's cut of
    threshold - 0.1 except with negligible probability); every candidate is then verified
    exactly on all rows. When the pair list grows large (huge blocks of copies) it is
    compressed to a spanning star per connected component, which keeps the components.
    """
    n, p = unit.shape
    rows_major = np.ascontiguousarray(unit.T)  # one column per row: blocks are contiguous slices
    if n > 2 * screen_dims:
        projection = np.random.default_rng(0).standard_normal((n, screen_dims)).astype(np.float32)
        screen = rows_major @ projection
        screen /= np.maximum(np.linalg.norm(screen, axis=1, keepdims=True), np.float32(1e-30))
        cut = np.float32(threshold - SCREEN_MARGIN)
    else:
        screen = rows_major
        cut = np.float32(threshold - FLOAT32_SLACK)
    heads, tails = [], []
    best = np.zeros(p)
    degree = np.zeros(p, dtype=np.int64)
    stored = 0
    for start in range(0, p, block):
        left = screen[start : start + block]
        for other in range(start, p, block):
            found, a, b = _screened_pairs(left, screen[other : other + block], cut)
            if found == 0:
                continue
            if found > DENSE_HITS:
                a, b = _dense_block(rows_major, start, other, block, threshold, best, degree)
            else:
                a, b = a + start, b + other
                upper = a < b
                a, b, r = _verified(rows_major, a[upper], b[upper], threshold)
                np.maximum.at(best, a, r)
                np.maximum.at(best, b, r)
                np.add.at(degree, a, 1)
                np.add.at(degree, b, 1)
            if a.size == 0:
                continue
            heads.append(a)
            tails.append(b)
            stored += a.size
            if stored > COMPRESS_EDGES:
                heads, tails = _star_edges(np.concatenate(heads), np.concatenate(tails), p)
                stored = heads[0].size
    if not heads:
        return np.empty(0, np.int64), np.empty(0, np.int64), best, degree
    return np.concatenate(heads), np.concatenate(tails), best, degree


def _screened_pairs(
    left: np.ndarray, right: np.ndarray, cut: np.float32
) -> tuple[int, np.ndarray, np.ndarray]:
    """How many screen products of a block pair reach |r| >= cut, and their positions (only
    while they are at most DENSE_HITS: a denser pair is handled exactly as one block).

    The products run in tiles of TILE x TILE, whose correlations stay in cache for the two row
    reductions that find the lines holding a hit (a full |r| >= cut mask and its nonzero() cost
    twice the product itself); 2,000 x 2,000 at once made the scan 1.5x slower on 20,000 columns.
    """
    found = 0
    heads, tails = [], []
    for r0 in range(0, left.shape[0], TILE):
        rows = left[r0 : r0 + TILE]
        for c0 in range(0, right.shape[0], TILE):
            corr = rows @ right[c0 : c0 + TILE].T
            # most tiles hold no hit: two reductions over the whole tile run at SIMD speed, where
            # the per-line ones cost half the product
            if corr.max() < cut and corr.min() > -cut:
                continue
            lines = np.flatnonzero((corr.max(axis=1) >= cut) | (corr.min(axis=1) <= -cut))
            if lines.size == 0:
                continue
            hits = np.abs(corr[lines]) >= cut
            count = int(np.count_nonzero(hits))
            found += count
            if found <= DENSE_HITS:
                a, b = np.nonzero(hits)
                heads.append(lines[a] + r0)
                tails.append(b + c0)
    if found == 0 or found > DENSE_HITS:
        return found, np.empty(0, np.int64), np.empty(0, np.int64)
    return found, np.concatenate(heads), np.concatenate(tails)


def _dense_block(
    rows_major: np.ndarray,
    start: int,
    other: int,
    block: int,
    threshold: float,
    best: np.ndarray,
    degree: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A block pair with many hits (a large block of copies): exact correlations of the whole
    block, statistics updated in place, and only a spanning star per component returned."""
    left = rows_major[start : start + block]
    right = rows_major[other : other + block]
    corr = np.abs(left.astype(np.float64) @ right.astype(np.float64).T)
    hits = corr >= threshold
    if other == start:
        hits = np.triu(hits, k=1)
    masked = np.where(hits, corr, 0.0)
    span_l, span_r = left.shape[0], right.shape[0]
    np.maximum(best[start : start + span_l], masked.max(axis=1), out=best[start : start + span_l])
    np.maximum(best[other : other + span_r], masked.max(axis=0), out=best[other : other + span_r])
    degree[start : start + span_l] += hits.sum(axis=1)
    degree[other : other + span_r] += hits.sum(axis=0)
    graph = sparse.csr_matrix(hits)
    if other == start:
        nodes = np.arange(start, start + span_l)
    else:  # the bipartite pair as one square graph: right-hand columns numbered after the left ones
        size = span_l + span_r
        indptr = np.concatenate([graph.indptr, np.full(span_r, graph.indptr[-1])])
        graph = sparse.csr_matrix((graph.data, graph.indices + span_l, indptr), shape=(size, size))
        nodes = np.concatenate([np.arange(start, start + span_l), np.arange(other, other + span_r)])
    _, labels = connected_components(graph, directed=False)
    roots, members = _stars_from_labels(labels)
    return nodes[roots], nodes[members]


def _verified(rows_major: np.ndarray, a: np.ndarray, b: np.ndarray, threshold: float):
    """The candidate pairs whose exact |r| (summed in double precision) reaches the threshold."""
    keep_a, keep_b, keep_r = [], [], []
    for lo in range(0, a.size, VERIFY_CHUNK):
        ca, cb = a[lo : lo + VERIFY_CHUNK], b[lo : lo + VERIFY_CHUNK]
        r = np.abs(
            np.einsum("ij,ij->i", rows_major[ca].astype(np.float64), rows_major[cb].astype(np.float64))
        )
        keep = r >= threshold
        keep_a.append(ca[keep])
        keep_b.append(cb[keep])
        keep_r.append(r[keep])
    if not keep_a:
        return a, b, np.empty(0)
    return np.concatenate(keep_a), np.concatenate(keep_b), np.concatenate(keep_r)


def _star_edges(a: np.ndarray, b: np.ndarray, p: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    graph = sparse.coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(p, p)).tocsr()
    _, labels = connected_components(graph, directed=False)
    roots, members = _stars_from_labels(labels)
    return [roots], [members]


def _stars_from_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining each member of a component to its first node: a spanning star per component."""
    members = np.flatnonzero(np.bincount(labels)[labels] > 1)
    _, first, inverse = np.unique(labels[members], return_index=True, return_inverse=True)
    roots = members[first][inverse]
    keep = roots != members
    return roots[keep], members[keep]


@register
class RedundantFeatures(Check):
    """Find blocks of numeric features that are copies or near copies of each other (|r| >= 0.95).

    Notes
    -----
    With p >> n, VIF and condition numbers are infinite by construction; the share of features
    in highly correlated blocks is the informative substitute (methods §3.7). Columns are
    median-imputed and standardised, correlations are scanned block by block (never a p x p
    matrix) on a seeded random projection, and every candidate pair is verified exactly; connected
    components of the |r| >= threshold graph are the blocks. Each block's representative is its
    most connected column. Role columns (target, ids, split, sensitive...) are left out.
    """

    id = "redundant_features"
    dimension = "informativeness"
    needs = Needs(numeric_features=2, min_rows=20)
    params = (
        Param("threshold", 0.95, "absolute correlation from which two features are redundant", low=0, high=1),
        Param(
            "warning_share",
            0.10,
            "share of redundant features from which the finding is a warning",
            low=0,
            high=1,
        ),
        Param("max_rows", 5000, "records sampled to compute correlations", low=1),
        Param("max_blocks_listed", 100, "blocks of correlated features listed in the evidence", low=1),
        Param("max_columns_listed", 50, "columns listed per block", low=1),
    )
    remedy = Remedy("review_features", 85)
    cost = "blocked pairwise"

    def run(self, data, profile, params):
        columns = data.numeric_feature_columns()
        sensitive = set(data.roles.sensitive)
        chosen = np.array([i for i, c in enumerate(columns) if c not in sensitive], dtype=np.int64)
        if chosen.size < 2:
            return CheckResult.not_applicable("needs at least 2 numeric feature columns besides role columns")
        matrix = _sampled_block(data, [columns[i] for i in chosen], params["max_rows"])
        unit, kept, used_rows = standardised_columns(matrix, params["max_rows"])
        names = [columns[i] for i in chosen[kept]]
        evidence = {
            "denominator": len(names),
            "threshold": params["threshold"],
            "rows_used": used_rows,
            "constant_columns_skipped": int(chosen.size - kept.size),
        }
        if used_rows < data.n_rows:
            evidence["sampled_rows"] = used_rows
        heads, tails, best, degree = correlated_pairs(unit, float(params["threshold"]))
        if heads.size == 0:
            return CheckResult.quiet({**evidence, "numerator": 0})
        p = len(names)
        graph = sparse.coo_matrix((np.ones(heads.size, dtype=np.int8), (heads, tails)), shape=(p, p)).tocsr()
        _, labels = connected_components(graph, directed=False)
        sizes = np.bincount(labels)
        in_blocks = np.flatnonzero(sizes[labels] > 1)
        block_ids = np.unique(labels[in_blocks])
        blocks = []
        for block_id in block_ids:
            members = np.flatnonzero(labels == block_id)
            representative = members[np.argmax(degree[members])]
            blocks.append((members, representative))
        blocks.sort(key=lambda b: (-b[0].size, int(b[0][0])))
        largest = int(blocks[0][0].size)
        share = in_blocks.size / p
        listed = [
            {
                "representative": names[rep],
                "size": int(members.size),
                "max_abs_r": float(best[members].max()),
                "columns": [names[i] for i in members[: params["max_columns_listed"]]],
            }
            for members, rep in blocks[: params["max_blocks_listed"]]
        ]
        evidence.update(
            {
                "numerator": int(in_blocks.size),
                "share": share,
                "blocks": len(blocks),
                "largest_block": largest,
                "max_abs_r": float(best.max()),
                "removable_columns": int(in_blocks.size - len(blocks)),
                "block_list": listed,
            }
        )
        severity = "warning" if share >= params["warning_share"] else "info"
        finding = self.finding(
            severity,
            f"{plural(int(in_blocks.size), 'numeric feature')} fall into {plural(len(blocks), 'block')} of "
            f"near-duplicate or highly correlated columns that carry largely the same information.",
            columns=[names[i] for i in in_blocks],
            evidence=evidence,
            remedy="Keep one representative per block (or summarise each block), choosing inside the "
            "training folds; penalised models tolerate the rest.",
        )
        return CheckResult.fired([finding], {"numerator": int(in_blocks.size), "denominator": p})
