"""missingness_pattern: blocks of columns missing together in the same records (a sub-cohort)."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.findings import Severity

MAX_COLUMNS = 2000  # columns with missing values compared pairwise (k x k similarities)
CO_MISSING_CELLS = 1 << 22  # cells per dense product: a float32 block of the mask of 16 MB at most


def co_missing_counts(mask: np.ndarray) -> np.ndarray:
    """k x k counts of records missing both columns (float64, exact).

    Dense products of float32 row blocks: on 300 x 2,000 one BLAS product costs a tenth of the
    sparse one, and each block's counts (fewer than 2**24) are exact in float32 before they are
    summed in float64, so the counts are exact at any height.
    """
    k = mask.shape[1]
    both = np.zeros((k, k))
    rows = max(1, CO_MISSING_CELLS // max(k, 1))
    for lo in range(0, mask.shape[0], rows):
        block = mask[lo : lo + rows].astype(np.float32)
        both += block.T @ block
    return both


@register
class MissingnessPattern(Check):
    """Find blocks of columns that are missing together in the same records.

    Notes
    -----
    Columns are linked when their missingness masks overlap strongly (Jaccard index of the
    missing rows >= `min_jaccard`); each connected group of at least `min_columns` columns is a
    candidate block, and its records are those missing at least `row_share` of the block's
    columns. One finding per block, instead of one missing-value finding per column: a block is
    usually a design fact (a sub-cohort that was never measured, a form not filled, a second
    study), and the question it raises is whether to analyse those records separately, not how
    to impute them. Pairwise overlaps come from one sparse product of the missingness matrix.
    """

    id = "missingness_pattern"
    dimension = "completeness"
    needs = Needs(min_rows=20)
    params = (
        Param(
            "min_jaccard",
            0.7,
            "overlap of two columns' missing rows (Jaccard) that links them",
            low=0,
            high=1,
        ),
        Param("min_columns", 3, "columns a block needs", low=2),
        Param(
            "row_share", 0.8, "share of the block's columns a record must miss to belong to it", low=0, high=1
        ),
        Param("min_rows", 5, "records a block needs", low=1),
        Param("min_share", 0.01, "share of all records a block needs", low=0, high=1),
    )
    kahn = "completeness"
    remedy = Remedy("review_subcohort", 79)
    cost = "linear"

    def run(self, data, profile, params):
        nulls = profile.stat("null_count")
        n = data.n_rows
        columns = [c for c in data.columns if 0 < nulls[c] < n and c != data.roles.id]
        evidence = {"columns_with_missing": len(columns), "blocks": 0}
        if len(columns) < params["min_columns"]:
            return CheckResult.quiet({**evidence, "numerator": 0, "denominator": n})
        if len(columns) > MAX_COLUMNS:  # the most-missing columns hold the blocks worth reporting
            position = {c: i for i, c in enumerate(data.columns)}
            columns = sorted(columns, key=lambda c: (-nulls[c], position[c]))[:MAX_COLUMNS]
            columns.sort(key=position.__getitem__)
        mask = data.frame.select(pl.col(columns).is_null()).to_numpy().astype(bool, copy=False)
        both = co_missing_counts(mask)
        counts = mask.sum(axis=0).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            jaccard = both / (counts[:, None] + counts[None, :] - both)
        linked = csr_matrix(np.nan_to_num(jaccard) >= params["min_jaccard"])
        n_groups, label = connected_components(linked, directed=False)
        findings = []
        min_rows = max(params["min_rows"], int(np.ceil(params["min_share"] * n)))
        sizes = np.bincount(label, minlength=n_groups)
        for g in np.flatnonzero(sizes >= params["min_columns"]).tolist():
            members = np.flatnonzero(label == g)
            share = mask[:, members].mean(axis=1)
            rows = np.flatnonzero(share >= params["row_share"])
            if rows.size < min_rows:
                continue
            findings.append(self._finding([columns[j] for j in members], rows, mask[:, members], n))
        findings.sort(key=lambda f: (-f.row_count, data.columns.index(f.columns[0])))
        evidence.update({"blocks": len(findings), "numerator": sum(f.row_count for f in findings)})
        return CheckResult.fired(findings, {**evidence, "denominator": n})

    def _finding(self, block, rows, mask, n):
        inside = np.zeros(n, dtype=bool)
        inside[rows] = True
        outside_missing = {c: int(mask[~inside, j].sum()) for j, c in enumerate(block)}
        complete_block = int(mask[rows].all(axis=1).sum())
        listed = ", ".join(repr(c) for c in block[:8]) + (" ..." if len(block) > 8 else "")
        return self.finding(
            Severity.WARNING,
            f"{plural(len(rows), 'record')} ({len(rows) / n:.1%}) miss the same block of "
            f"{len(block)} columns together ({listed}): one pattern, not {len(block)} separate gaps.",
            columns=block,
            rows=rows,
            evidence={
                "numerator": int(rows.size),
                "denominator": n,
                "share": rows.size / n,
                "block_columns": list(block),
                "records_missing_every_block_column": complete_block,
                "missing_outside_block": outside_missing,
            },
            remedy=(
                "Ask whether these records are a sub-cohort (not enrolled in the full protocol, another "
                "study, a form never filled). If so, analyse them separately or restrict the model to the "
                "records that have the block; do not impute a whole block of never-measured columns."
            ),
        )
