"""Profile: correct statistics, the same on the polars and numpy paths, mergeable across partitions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from datacert.profile import _compute, compute_profile, merge_partials, partial_profile


@pytest.fixture
def mixed() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    n = 5000
    x = rng.normal(10, 2, n)
    x[rng.random(n) < 0.1] = np.nan
    return pl.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 7, n),
            "s": pl.Series(rng.choice(["a", "bb", "ccc", ""], n)),
        }
    ).with_columns(
        pl.col("x").fill_nan(None), pl.when(pl.col("s") == "").then(None).otherwise(pl.col("s")).alias("s")
    )


def test_statistics_match_numpy(mixed):
    profile = compute_profile(mixed)
    x = mixed.get_column("x").drop_nulls().to_numpy()
    col = profile.column("x")
    assert col["null_count"] == mixed.get_column("x").null_count()
    assert col["mean"] == pytest.approx(x.mean())
    assert col["std"] == pytest.approx(x.std(ddof=1))
    assert col["q50"] == pytest.approx(np.median(x))
    assert col["n_unique"] == len(np.unique(x))
    assert profile.column("s")["n_unique"] == 3
    assert profile.column("s")["max_length"] == 3
    assert dict(profile.top_values["k"]).keys() == set(range(7))
    assert profile.row_null_count.sum() == mixed.null_count().sum_horizontal().item()


def test_wide_numpy_path_agrees_with_polars_path(monkeypatch):
    rng = np.random.default_rng(4)
    m = rng.normal(size=(120, 30)).round(1)
    m[rng.random(m.shape) < 0.1] = np.nan
    frame = pl.DataFrame(m, schema=[f"g{i}" for i in range(30)]).with_columns(pl.all().fill_nan(None))
    narrow = compute_profile(frame)
    monkeypatch.setattr(_compute, "WIDE_THRESHOLD", 5)
    wide = compute_profile(frame)
    for stat in ("count", "null_count", "n_unique", "min", "max", "q25", "q50", "q99", "zero_count"):
        assert narrow.columns.get_column(stat).to_list() == pytest.approx(
            wide.columns.get_column(stat).to_list()
        ), stat
    for stat in ("mean", "std", "skewness", "kurtosis"):
        np.testing.assert_allclose(
            narrow.columns.get_column(stat).to_numpy(), wide.columns.get_column(stat).to_numpy(), rtol=1e-6
        )
    assert dict(narrow.top_values["g0"])[narrow.top_values["g0"][0][0]] == wide.top_values["g0"][0][1]
    np.testing.assert_array_equal(narrow.row_null_count, wide.row_null_count)


def test_partial_profiles_merge_into_the_whole(mixed):
    whole = compute_profile(mixed)
    parts = [partial_profile(mixed[:1700]), partial_profile(mixed[1700:3100]), partial_profile(mixed[3100:])]
    merged = merge_partials(parts)
    for stat in ("count", "null_count", "min", "max", "zero_count"):
        assert merged.columns.get_column(stat).to_list() == whole.columns.get_column(stat).to_list(), stat
    # distinct counts: exact below the sketch size, an estimate above it
    assert merged.column("k")["n_unique"] == 7 and merged.column("s")["n_unique"] == 3
    assert merged.column("x")["n_unique"] == pytest.approx(whole.column("x")["n_unique"], rel=0.1)
    for stat in ("mean", "std", "skewness", "kurtosis"):
        np.testing.assert_allclose(
            merged.columns.get_column(stat).to_numpy()[:2],
            whole.columns.get_column(stat).to_numpy()[:2],
            rtol=1e-9,
        )
    assert merged.column("x")["q50"] == pytest.approx(whole.column("x")["q50"], abs=0.05)
    assert merged.n_rows == whole.n_rows
    np.testing.assert_array_equal(merged.row_hash, whole.row_hash)
    assert dict(merged.top_values["s"]) == dict(whole.top_values["s"])


def test_distinct_sketch_estimates_high_cardinality():
    frame = pl.DataFrame({"v": np.arange(20_000) % 15_000})
    merged = merge_partials([partial_profile(frame[:10_000]), partial_profile(frame[10_000:])])
    assert merged.column("v")["n_unique"] == pytest.approx(15_000, rel=0.1)
