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


def _reference_block(X: np.ndarray) -> dict[str, np.ndarray]:
    """One stable argsort per column and the run rule written out: what sort_block must return."""
    from datacert.checks._ranks import run_bounds

    order = np.argsort(X, axis=0, kind="stable")
    values = np.take_along_axis(X, order, axis=0)
    valid = ~np.isnan(values)
    start, first, last = run_bounds(values, valid)
    ranks = np.empty(X.shape)
    np.put_along_axis(ranks, order, np.where(valid, (first + last) / 2.0 + 1.0, np.nan), axis=0)
    size = np.where(valid, last - first + 1, 0)
    return {"order": order, "valid": valid, "run_start": start, "run_size": size, "ranks": ranks}


def test_sort_block_is_a_stable_argsort_bit_for_bit_on_ties_neighbours_and_missing_values():
    rng = np.random.default_rng(4)
    near = rng.normal(size=(400, 6))
    # neighbours one bit apart share their value bits: in order by position, and against it
    near[1::2] = np.nextafter(near[::2], np.inf)
    near[::2, 1] = np.nextafter(near[1::2, 1], np.inf)
    cases = [
        rng.normal(size=(300, 50)),
        np.round(rng.normal(size=(500, 7)), 1),  # many ties
        rng.integers(0, 3, (1_000, 4)).astype(float),
        near,
        rng.normal(size=(40, 5)) * 1e-300,  # subnormal scale
        np.r_[np.full((3, 2), np.inf), np.full((3, 2), -np.inf), rng.normal(size=(6, 2))],
        np.zeros((6, 2)),
        np.full((4, 2), np.nan),
        rng.normal(size=(1, 3)),
    ]
    for X in cases:
        X = X.copy()
        if X.shape[0] > 4:
            X[rng.random(X.shape) < 0.1] = np.nan
            X[:3, 0] = [-0.0, 0.0, -np.nan]  # signed zeros tie; a negative NaN is still last
        block, expected = sort_block(X), _reference_block(X)
        for name, array in expected.items():
            got = getattr(block, name)
            assert got.dtype == array.dtype and np.array_equal(got, array, equal_nan=True), name


def test_binary_ranks_are_the_sorted_ranks():
    from datacert.checks._ranks import binary_ranks

    rng = np.random.default_rng(5)
    X = (rng.random((250, 30)) < rng.random(30)).astype(np.float64)
    X[:, 0], X[:, 1] = 0.0, 1.0  # one value only
    assert np.array_equal(binary_ranks(X), sort_block(X).ranks)
