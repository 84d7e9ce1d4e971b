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


def test_profile_bounds_stop_chance_pairs_without_sorting_and_agree_with_the_exact_loop(monkeypatch):
    from datacert.checks.uniqueness import duplicate_rows
    from datacert.profile import compute_profile

    rng = np.random.default_rng(5)
    n = 20_000

    def nearly_distinct_values() -> pl.Series:  # continuous, 2 % copies, 5 % missing: no shortcut
        values = rng.normal(size=n)
        copied = rng.random(n) < 0.02
        values[copied] = values[rng.integers(0, n, int(copied.sum()))]
        return pl.Series(values).set(pl.Series(rng.random(n) < 0.05), None)

    nearly_distinct = {f"f{j}": nearly_distinct_values() for j in range(12)}
    nearly_distinct["nan"] = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    frame = pl.DataFrame({"code": rng.integers(0, 3, n), **nearly_distinct})
    exact_calls = []
    counting = duplicate_rows._equal_pairs
    monkeypatch.setattr(duplicate_rows, "_equal_pairs", lambda s: exact_calls.append(s.name) or counting(s))
    profile = compute_profile(frame)
    for columns in (list(frame.columns), ["code", "f0", "f1"], ["code"] * 3 + ["f0", "f1", "nan"]):
        exact_calls.clear()
        exact = duplicate_rows.chance_pairs(frame, columns)  # no profile: every term counted
        counted = len(exact_calls)
        exact_calls.clear()
        assert duplicate_rows.chance_pairs(frame, columns, profile=profile) == exact
        if exact == 0.0 and len(columns) > 6:
            assert not exact_calls and counted > 0  # the bounds decided, no column was sorted
    assert duplicate_rows.chance_pairs(frame, ["code", "f0"], profile=profile) > 0


def test_repeated_positions_are_the_hashes_polars_finds_duplicated():
    from datacert.checks._groups import repeated_positions

    rng = np.random.default_rng(4)
    for n in (1, 2, 50, 5_000):
        hashes = rng.integers(0, max(1, n // 3), n).astype(np.uint64)
        expected = np.flatnonzero(pl.Series(hashes, dtype=pl.UInt64).is_duplicated().to_numpy())
        assert np.array_equal(repeated_positions(hashes), expected)
