"""missingness_pattern: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded


@planted("missingness_pattern")
def planted_missingness_pattern() -> Case:
    rng = seeded(6)
    n = 400
    block = {f"lab{j}": rng.normal(size=n) for j in range(5)}
    frame = pl.DataFrame({"age": rng.integers(18, 90, n), **block, "y": rng.integers(0, 2, n)})
    cohort = pl.int_range(pl.len()) >= 300  # a sub-cohort without the lab panel
    frame = frame.with_columns(pl.when(cohort).then(None).otherwise(pl.col(c)).alias(c) for c in block)
    return planted_case(frame, "lab0", target="y")


def test_co_missing_counts_are_exact_across_row_blocks(monkeypatch):
    import numpy as np

    from datacert.checks.completeness import missingness_pattern as module

    mask = seeded(7).random((1003, 9)) < 0.3
    expected = mask.astype(np.int64).T @ mask.astype(np.int64)
    monkeypatch.setattr(module, "CO_MISSING_CELLS", 9 * 100)  # eleven blocks of 100 records
    assert np.array_equal(module.co_missing_counts(mask), expected)
    monkeypatch.setattr(module, "CO_MISSING_CELLS", 1 << 22)  # one block
    assert np.array_equal(module.co_missing_counts(mask), expected)
