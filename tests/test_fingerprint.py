"""The content fingerprint reads the same bytes whether a run of columns is converted as one block or
column by column."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from datacert import fingerprint


@pytest.mark.parametrize("with_nulls", [True, False])
def test_a_wide_float_block_hashes_as_its_columns_one_by_one(monkeypatch, with_nulls):
    rng = np.random.default_rng(8)
    values = rng.normal(size=(37, 90))
    values[rng.random(values.shape) < 0.05] = 0.0
    values[3, :5] = -0.0
    values[4, 5:8] = np.inf
    values[5, 8:10] = -np.inf
    values[6, 10:12] = np.nan  # a genuine NaN, not a null
    frame = pl.DataFrame(values, schema=[f"v{j}" for j in range(90)])
    if with_nulls:
        nulls = rng.random(values.shape) < 0.1
        nulls[:, 20] = True  # a column of nulls only
        nulls[6, 10] = False
        frame = frame.with_columns(
            pl.when(pl.Series(nulls[:, j])).then(None).otherwise(pl.col(f"v{j}")).alias(f"v{j}")
            for j in range(90)
        )
    frame = frame.with_columns(pl.Series("k", rng.integers(0, 9, 37)), pl.Series("s", ["a"] * 37))
    as_block = fingerprint.fingerprint_frame(frame)
    monkeypatch.setattr(fingerprint, "NARROW_BLOCK", 10_000)
    assert fingerprint.fingerprint_frame(frame) == as_block
