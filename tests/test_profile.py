"""Profile: correct statistics, the same on the polars and numpy paths, mergeable across partitions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from datacert.profile import _compute, compute_profile, merge_partials, partial_profile, profile_guide


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
    """Counts, extremes and moments merge exactly; quantiles come from the sample it is finished with."""
    whole = compute_profile(mixed)
    sample = compute_profile(mixed[::3])
    parts = [partial_profile(mixed[:1700]), partial_profile(mixed[1700:3100]), partial_profile(mixed[3100:])]
    merged = merge_partials(parts, sample)
    exact = ("name", "dtype", "count", "null_count", "min", "max", "zero_count", "negative_count")
    for stat in (*exact, "min_length", "max_length"):
        assert merged.columns.get_column(stat).to_list() == whole.columns.get_column(stat).to_list(), stat
    for stat in ("mean", "std", "skewness", "kurtosis", "mean_length"):
        np.testing.assert_allclose(
            merged.columns.get_column(stat).to_numpy().astype(float),
            whole.columns.get_column(stat).to_numpy().astype(float),
            rtol=1e-9,
        )
    # distinct counts and top values: exact while counted (k, s); x has 4,500 values: sketched
    assert merged.column("k")["n_unique"] == 7 and merged.column("s")["n_unique"] == 3
    assert merged.column("x")["n_unique"] == pytest.approx(whole.column("x")["n_unique"], rel=0.1)
    assert merged.top_values["s"] == whole.top_values["s"]
    assert merged.top_values["k"] == whole.top_values["k"]
    assert merged.top_values["x"] == sample.top_values["x"]
    assert merged.column("x")["q50"] == sample.column("x")["q50"]
    assert merged.n_rows == whole.n_rows
    assert (merged.facts["sampled_rows"], merged.facts["population_rows"]) == (sample.n_rows, whole.n_rows)
    np.testing.assert_array_equal(merged.row_hash, sample.row_hash)


def test_a_sample_of_the_whole_table_is_its_in_memory_profile(mixed):
    whole = compute_profile(mixed)
    assert merge_partials([partial_profile(mixed[:2000]), partial_profile(mixed[2000:])], whole) is whole


def test_a_guided_pass_sketches_what_the_head_shows_has_many_values():
    rng = np.random.default_rng(5)
    n = 60_000
    frame = pl.DataFrame(
        {
            "level": rng.integers(0, 4, n),
            "reading": rng.normal(0, 1, n),
            # few values in the head, many later: the batch that overflows switches it to the sketch
            "late": np.where(np.arange(n) < 20_000, np.arange(n) % 3, np.arange(n)).astype(np.int64),
        }
    )
    guide = profile_guide(frame[:10_000])
    assert guide.counted == {"level", "late"} and set(guide.bounds) == {"reading"}
    parts = [partial_profile(frame[i : i + 10_000], guide) for i in range(0, n, 10_000)]
    merged = merge_partials(parts, compute_profile(frame[::7]))
    whole = compute_profile(frame)
    assert merged.column("level")["n_unique"] == 4
    assert merged.top_values["level"] == whole.top_values["level"]
    for column in ("reading", "late"):
        assert merged.column(column)["n_unique"] == pytest.approx(whole.column(column)["n_unique"], rel=0.1)


def test_distinct_sketch_estimates_high_cardinality():
    frame = pl.DataFrame({"v": np.arange(20_000) % 15_000})
    parts = [partial_profile(frame[:10_000]), partial_profile(frame[10_000:])]
    merged = merge_partials(parts, compute_profile(frame[:100]))
    assert merged.column("v")["n_unique"] == pytest.approx(15_000, rel=0.1)


def test_float_distinct_counts_as_polars_does():
    """The numpy count of distinct floats agrees with polars' n_unique (nulls out, -0.0 = 0.0, NaNs one)."""
    from datacert.profile._compute import _float_distinct

    rng = np.random.default_rng(3)
    payload = np.array([0x7FF8000000000001], dtype=np.int64).view(np.float64)[0]
    cases = [
        [0.0, -0.0, float("nan"), payload, None, 1.0, 1.0],
        [None, None],
        [float("nan")],
        [],
        list(np.round(rng.normal(size=5_000), 2)),
        [*rng.normal(size=300), *([None] * 7), *([float("nan")] * 3), *([-0.0] * 4), *([0.0] * 2)],
    ]
    for values in cases:
        for dtype in (pl.Float64, pl.Float32):
            series = pl.Series(values, dtype=dtype)
            assert _float_distinct(series) == series.drop_nulls().n_unique(), values[:8]


def test_wide_moments_have_the_bits_of_numpy_s_nan_reductions():
    """The numpy path's buffers are reused in the block's own layout: its sums are numpy's."""
    rng = np.random.default_rng(6)
    m = np.asfortranarray(rng.normal(size=(90, 12)))
    m[rng.random(m.shape) < 0.2] = np.nan
    m[:, 3] = np.nan  # no value at all
    with pytest.warns(RuntimeWarning, match="empty slice"):  # as np.nanmean warns
        stats, _ = _compute._numeric_stats_numpy(m, [f"c{j}" for j in range(12)])
    with np.errstate(invalid="ignore", divide="ignore"), pytest.warns(RuntimeWarning, match="empty slice"):
        mean = np.nanmean(m, axis=0)
    centred = np.where(np.isnan(m), 0.0, m - mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt((centred * centred).sum(axis=0) / (np.sum(~np.isnan(m), axis=0) - 1))
    observed = ~np.isnan(mean)
    assert np.array_equal(stats.get_column("mean").to_numpy()[observed], mean[observed])
    assert np.array_equal(stats.get_column("std").to_numpy()[observed], std[observed])
    assert stats.get_column("mean")[3] is None
