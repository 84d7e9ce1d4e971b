"""distribution_shift: batch effects between sites or partitions, and site-outcome confounding."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats
from tests.checks._issue4_data import frame_of
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one

from datacert.shift import ks_one_vs_rest, smd_one_vs_rest


def _frame(n=300, p=200, seed=0, shift=0.0, shifted=40):
    rng = np.random.default_rng(seed)
    site = rng.choice(["A", "B", "C"], n)
    x = rng.normal(size=(n, p))
    x[site == "C", :shifted] += shift
    cols = {f"gene{i:03d}": x[:, i] for i in range(p)}
    return pl.DataFrame(
        {
            "sample_id": [f"S{i:04d}" for i in range(n)],
            **cols,
            "site": site,
            "smoker": rng.choice(["yes", "no"], n),
            "y": rng.integers(0, 2, n),
        }
    )


def test_vectorised_ks_and_smd_match_scipy_and_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4))
    x[:, 1] = rng.integers(0, 3, 120)  # ties
    x[7:19, 2] = np.nan  # gaps
    codes = rng.integers(0, 3, 120)
    d, p = ks_one_vs_rest(x, codes, 3)
    smd = smd_one_vs_rest(x, codes, 3)
    for g in range(3):
        for j in range(4):
            a, b = x[codes == g, j], x[codes != g, j]
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            ref = stats.ks_2samp(a, b)
            assert abs(d[g, j] - ref.statistic) < 1e-12
            assert abs(p[g, j] - ref.pvalue) < 0.05
            assert abs(smd[g, j] - (a.mean() - b.mean()) / np.sqrt((a.var() + b.var()) / 2)) < 1e-9


def test_fires_error_on_a_site_batch_effect_with_the_shifted_features():
    frame = _frame(shift=1.0)
    out = run_one("distribution_shift", frame, target="y")
    (f,) = out.findings
    assert f.severity == "error" and f.columns[0] == "site"
    drifted = set(f.columns[1:])
    planted = {f"gene{i:03d}" for i in range(40)}
    assert drifted <= planted and len(drifted) >= 30
    ev = f.evidence
    assert ev["detected_because"] == "its name reads as a site or batch"
    assert ev["c2st_worst_group"] == "C" and ev["c2st_worst_auc"] >= 0.8
    assert ev["c2st_design"] == "50 principal components"


def test_site_that_determines_the_outcome_is_critical():
    frame = _frame()
    rng = np.random.default_rng(4)
    y = np.where(frame["site"].to_numpy() == "A", rng.random(300) < 0.95, rng.random(300) < 0.05).astype(int)
    out = run_one("distribution_shift", frame.with_columns(pl.Series("y", y)), target="y")
    (f,) = out.findings
    assert f.severity == "critical" and f.columns == ("site", "y")
    assert f.evidence["cramers_v"] >= 0.5


def test_categorical_shift_between_train_and_test_partitions():
    frame = _frame(n=400, p=5).drop("site")
    rng = np.random.default_rng(2)
    split = rng.choice(["train", "test"], 400)
    smoker = np.where(
        split == "test",
        rng.choice(["yes", "no"], 400, p=[0.8, 0.2]),
        rng.choice(["yes", "no"], 400, p=[0.2, 0.8]),
    )
    frame = frame.with_columns(pl.Series("split", split), pl.Series("smoker", smoker))
    out = run_one("distribution_shift", frame, split="split", target="y")
    (f,) = out.findings
    assert f.columns == ("split", "smoker")
    assert f.evidence["detected_because"] == "the --split role"
    assert f.evidence["top_drifted"][0]["effect"] > 0.5  # Cramér's V


def test_quiet_on_random_sites_and_clean_partitions():
    out = run_one("distribution_shift", _frame(), target="y")
    assert out.status == "quiet"
    assert out.evidence["partitions"]["site"]["drifted_features"] == 0


def test_tall_tables_are_subsampled_and_say_so():
    rng = np.random.default_rng(5)
    n = 60_000
    frame = pl.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "batch": rng.choice(["p1", "p2"], n)}
    )
    out = run_one("distribution_shift", frame, params={"max_rows": 20_000, "c2st_max_rows": 5000})
    assert out.status == "quiet"
    assert out.evidence["partitions"]["batch"]["sampled_rows"] == 20_000


def test_not_applicable_without_a_partition_or_site_column():
    frame = _frame(p=5).drop("site")
    assert run_one("distribution_shift", frame, target="y").status == "not_applicable"


def test_a_small_shift_spread_over_many_features_is_a_warning():
    out = run_one("distribution_shift", _frame(shift=0.2), target="y")
    (f,) = out.findings
    assert f.severity == "warning" and f.columns == ("site",)
    assert 0.6 <= f.evidence["c2st_worst_auc"] < 0.8 and f.evidence["drifted_features"] == 0


def test_the_first_usable_site_column_is_analysed():
    frame = (
        _frame(p=5)
        .with_columns(pl.lit("FR").alias("centre_pays"))
        .select("centre_pays", pl.exclude("centre_pays"))
    )
    out = run_one("distribution_shift", frame, target="y")
    assert list(out.evidence["partitions"]) == ["site"]
    assert out.evidence["skipped"] == {"centre_pays": "fewer than two groups with enough records"}


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("distribution_shift")
def planted_distribution_shift() -> Case:
    rng = seeded(0)
    n, p = 300, 60
    site = rng.choice(["A", "B", "C"], n)
    x = rng.normal(size=(n, p))
    x[site == "C", :20] += 1.0
    frame = frame_of(x, prefix="gene", site=site, y=rng.integers(0, 2, n))
    return planted_case(frame, "site", target="y")


def test_every_site_like_column_is_analysed_and_a_repeated_partition_is_skipped():
    """A trial's centres (no effect) must not hide a laboratory batch that shifts the genes."""
    frame = _frame(p=20, shift=1.5, shifted=10).rename({"site": "batch"})
    rng = np.random.default_rng(7)
    centre = rng.choice(["Paris", "Lyon"], frame.height)
    frame = frame.with_columns(
        pl.Series("centre", centre), pl.Series("centre_code", np.where(centre == "Paris", "75", "69"))
    ).select("centre", "centre_code", pl.exclude("centre", "centre_code"))
    out = run_one("distribution_shift", frame, target="y")
    assert list(out.evidence["partitions"]) == ["centre", "batch"]
    assert out.evidence["skipped"] == {"centre_code": "the same partition as 'centre'"}
    (f,) = out.findings
    assert f.columns[0] == "batch" and f.severity == "error"


def test_the_shared_gram_is_used_only_where_it_has_standardised_s_bits():
    from tests.conftest import make_dataset

    from datacert.checks.consistency.distribution_shift import _shared_standardised
    from datacert.shift import principal_scores, standardised

    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 80))
    X[rng.random(X.shape) < 0.1] = np.nan
    X[:, 5] = np.nan  # no value at all: both recipes fill zeros
    frame = frame_of(X, y=rng.integers(0, 2, 30)).with_columns(pl.all().fill_nan(None))
    data = make_dataset(frame, target="y")
    numeric = data.numeric_feature_columns()
    gram = _shared_standardised(data, numeric)
    assert gram is not None
    expected = standardised(data.numeric_matrix(numeric))
    assert np.array_equal(gram, expected @ expected.T)
    assert np.array_equal(principal_scores(None, 5, gram), principal_scores(expected, 5))
    # a column constant up to rounding: standardised divides it by its tiny spread, the shared block
    # leaves it unscaled, so the check standardises its own copy
    X[:, 7] = 0.1 + rng.normal(size=30) * 1e-14
    tiny = make_dataset(
        frame_of(X, y=rng.integers(0, 2, 30)).with_columns(pl.all().fill_nan(None)), target="y"
    )
    assert _shared_standardised(tiny, tiny.numeric_feature_columns()) is None
    narrow = make_dataset(frame_of(X[:, :20], y=rng.integers(0, 2, 30)), target="y")
    assert _shared_standardised(narrow, narrow.numeric_feature_columns()) is None  # not kept: p <= n
