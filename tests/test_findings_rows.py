"""A finding's row positions: distinct and ascending, whatever order the check gives them in."""

import numpy as np

from datacert.findings import Finding, sorted_unique


def test_sorted_unique_is_numpy_unique_on_sorted_shuffled_and_repeated_positions():
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7, 1_000):
        for values in (
            rng.integers(0, max(1, n // 2), n),
            np.sort(rng.choice(10 * n + 1, n, replace=False)),
            np.arange(n)[::-1],
        ):
            values = values.astype(np.int64)
            assert np.array_equal(sorted_unique(values), np.unique(values))


def test_finding_rows_are_sorted_distinct_and_counted():
    finding = Finding.make("c", "d", "warning", "m", rows=[5, 3, 3, 9, 0])
    assert finding.rows == (0, 3, 5, 9) and finding.row_count == 4
