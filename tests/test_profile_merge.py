"""Partial profiles: the statistics a counted column takes from its value counts equal those of its
rows, whatever order polars counts the values in, and odd values (NaN, infinities, overflow of the
counted values) fall back to the rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from datacert.profile import ProfileGuide, partial_profile
from datacert.profile._merge import COUNTED_VALUES


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    """A real table (scikit-learn's diabetes cohort) with text, boolean and missing values added."""
    from sklearn.datasets import load_diabetes

    frame = pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame)
    rng = np.random.default_rng(11)
    n = frame.height
    return frame.with_columns(
        pl.Series("site", rng.choice(["Lyon", "Créteil", "Nîmes", ""], n)),
        pl.Series("smoker", rng.random(n) < 0.3),
        pl.when(pl.int_range(n) % 9 == 0).then(None).otherwise(pl.col("bmi")).alias("bmi"),
        pl.lit(None, dtype=pl.Float64).alias("empty"),
    )


def _by_rows(frame: pl.DataFrame) -> ProfileGuide:
    return ProfileGuide(counted=frozenset(), bounds={})


def _expected(series: pl.Series) -> dict[str, float]:
    x = series.drop_nulls().cast(pl.Float64).to_numpy()
    d = x - x.mean()
    return {
        "mean": x.mean(),
        "m2": (d**2).sum(),
        "m3": (d**3).sum(),
        "m4": (d**4).sum(),
        "min": x.min(),
        "max": x.max(),
        "zero": (x == 0).sum(),
        "negative": (x < 0).sum(),
    }


def test_counted_columns_take_their_statistics_from_value_counts(cohort):
    counted = partial_profile(cohort)  # every column counted (the diabetes measures have < 1,000 values)
    assert all(v is not None for v in counted.values)
    for j, name in enumerate(counted.names):
        series = cohort.get_column(name)
        assert counted.sums["count"][j] == series.count()
        assert counted.sums["null_count"][j] == series.null_count()
        if series.dtype == pl.String:
            lengths = series.drop_nulls().str.len_chars()
            assert (counted.length_min[j], counted.length_max[j]) == (lengths.min(), lengths.max())
            assert counted.sums["length_sum"][j] == lengths.sum()
            continue
        if name == "empty":
            assert np.isnan(counted.mean[j]) and counted.m2[j] == 0
            continue
        want = _expected(series)
        got = {
            "mean": counted.mean[j],
            "m2": counted.m2[j],
            "m3": counted.m3[j],
            "m4": counted.m4[j],
            "min": counted.minimum[j],
            "max": counted.maximum[j],
            "zero": counted.sums["zero_count"][j],
            "negative": counted.sums["negative_count"][j],
        }
        for stat, value in want.items():
            assert got[stat] == pytest.approx(value, rel=1e-9, abs=1e-9 * max(1.0, abs(want["m2"]))), (
                name,
                stat,
            )


def test_value_count_statistics_do_not_depend_on_row_order(cohort):
    shuffled = cohort.sample(fraction=1.0, shuffle=True, seed=3)
    a, b = partial_profile(cohort), partial_profile(shuffled)
    for field in ("mean", "m2", "m3", "m4", "minimum", "maximum"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_counted_and_row_statistics_agree(cohort):
    counted, by_rows = partial_profile(cohort), partial_profile(cohort, _by_rows(cohort))
    assert all(v is None for v in by_rows.values)
    for field in ("minimum", "maximum", "length_min", "length_max"):
        np.testing.assert_array_equal(getattr(counted, field), getattr(by_rows, field))
    for key in ("count", "null_count", "zero_count", "negative_count", "length_sum"):
        np.testing.assert_array_equal(counted.sums[key], by_rows.sums[key])
    for field in ("mean", "m2", "m3", "m4"):
        np.testing.assert_allclose(getattr(counted, field), getattr(by_rows, field), rtol=1e-9, atol=1e-6)


def test_non_finite_values_and_overflow_fall_back_to_the_rows():
    n = 3 * COUNTED_VALUES
    frame = pl.DataFrame(
        {
            "nan": [1.0, float("nan"), 2.0] * COUNTED_VALUES,
            "inf": [1.0, float("inf"), -3.0] * COUNTED_VALUES,
            "many": np.arange(n, dtype=np.float64),  # counted by the guide, but past COUNTED_VALUES
        }
    )
    guide = ProfileGuide(counted=frozenset(frame.columns))
    partial = partial_profile(frame, guide)
    nan, inf, many = range(3)
    assert np.isnan(partial.mean[nan]) and np.isnan(partial.m2[nan])
    assert partial.mean[inf] == np.inf and partial.maximum[inf] == np.inf and partial.minimum[inf] == -3.0
    assert partial.values[many] is None and len(partial.sketch[many]) > 0  # switched to the sketch
    want = _expected(frame.get_column("many"))
    assert partial.mean[many] == pytest.approx(want["mean"])
    assert partial.m2[many] == pytest.approx(want["m2"])
    assert partial.m4[many] == pytest.approx(want["m4"])
    assert (partial.minimum[many], partial.maximum[many]) == (0.0, n - 1)
