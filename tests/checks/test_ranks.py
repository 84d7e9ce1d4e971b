"""_ranks: the column sort shared by the leakage and poisoning scans."""

from __future__ import annotations

import numpy as np

from datacert.checks._ranks import repeating_columns, sort_block


def test_repeating_columns_are_those_with_a_long_enough_run():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    X[[3, 90, 150], 1] = 2.5  # three equal values
    X[[4, 91], 2] = -1.0  # only two
    X[:, 3] = np.nan  # missing values form no run
    X[[5, 6, 7], 4] = [0.0, -0.0, 0.0]  # signed zeros are equal
    X[:, 5] = np.round(X[:, 5])  # a coarse column repeats
    for times in (2, 3, 4):
        block = sort_block(X)
        expected = np.flatnonzero((block.run_start & (block.run_size >= times)).any(axis=0))
        assert np.array_equal(repeating_columns(X, times), expected)
    assert repeating_columns(X, 3).tolist() == [1, 4, 5]
