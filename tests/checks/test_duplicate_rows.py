"""duplicate_rows: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("duplicate_rows")
def planted_duplicate_rows() -> Case:
    frame = pl.DataFrame(base_cohort())
    return planted_case(pl.concat([frame, frame[:5]]))


def test_chance_pairs_from_the_profile_equal_the_counted_ones():
    from datacert.checks.uniqueness.duplicate_rows import chance_pairs
    from datacert.profile import compute_profile

    rng = np.random.default_rng(3)
    n = 400
    frame = pl.DataFrame(
        {
            "distinct": rng.normal(size=n),
            "distinct_missing": pl.Series(rng.normal(size=n)).set(pl.Series(rng.random(n) < 0.2), None),
            "one_nan": np.where(np.arange(n) == 7, np.nan, rng.normal(size=n)),
            "two_nan": np.where(np.arange(n) < 2, np.nan, rng.normal(size=n)),
            "repeats": rng.integers(0, 3, n).astype(float),
            "code": rng.integers(0, 2, n),
        }
    )
    for columns in (["code", "repeats", "distinct"], ["distinct_missing", "one_nan"], ["two_nan", "code"]):
        counted = chance_pairs(frame, columns)
        assert chance_pairs(frame, columns, profile=compute_profile(frame)) == counted
        assert counted > 0


def test_repeated_positions_are_the_hashes_polars_finds_duplicated():
    from datacert.checks._groups import repeated_positions

    rng = np.random.default_rng(4)
    for n in (1, 2, 50, 5_000):
        hashes = rng.integers(0, max(1, n // 3), n).astype(np.uint64)
        expected = np.flatnonzero(pl.Series(hashes, dtype=pl.UInt64).is_duplicated().to_numpy())
        assert np.array_equal(repeated_positions(hashes), expected)
