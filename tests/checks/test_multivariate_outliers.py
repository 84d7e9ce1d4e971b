"""multivariate_outliers: PCA outlier map with reweighting, agreed with Isolation Forest; works for p > n."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._issue4_data import breast_cancer, frame_of, gaussian
from tests.checks._planted import Case, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset

PLANTED = [5, 50, 150]


def _dirty(n: int, p: int, seed: int = 0) -> np.ndarray:
    X = gaussian(n, p, seed=seed)
    rng = np.random.default_rng(seed + 100)
    X[PLANTED] += 6 * rng.normal(size=(len(PLANTED), p))
    return X


def test_fires_on_planted_outliers_tall():
    outcome = run_one("multivariate_outliers", frame_of(_dirty(300, 20)))
    (finding,) = outcome.findings
    assert set(PLANTED) <= set(finding.rows) and len(finding.rows) <= 6
    assert finding.columns == ()


def test_fires_on_planted_outliers_when_p_exceeds_n():
    outcome = run_one("multivariate_outliers", frame_of(_dirty(200, 1500, seed=1)))
    (finding,) = outcome.findings
    assert set(finding.rows) == set(PLANTED)
    assert str(finding.severity) == "error"  # distances far beyond the cut-offs
    assert finding.evidence["features"] == 1500


def test_clean_tall_data_flags_at_most_one_record():
    outcome = run_one("multivariate_outliers", frame_of(gaussian(300, 20, seed=0)))
    assert outcome.evidence["numerator"] <= 1


def test_missing_values_and_a_target_are_handled():
    X = _dirty(300, 20)
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    X[PLANTED, 0] = X[PLANTED, 0]  # keep planted rows as they are
    frame = frame_of(X, y=np.random.default_rng(1).integers(0, 2, 300))
    outcome = run_one("multivariate_outliers", frame, target="y")
    assert set(PLANTED) <= set(outcome.findings[0].rows)


def test_breast_cancer_gives_no_error():
    outcome = run_one("multivariate_outliers", breast_cancer(), target="y")
    assert all(str(f.severity) == "warning" for f in outcome.findings)
    assert outcome.evidence["share"] < 0.05


def test_not_applicable_without_numeric_features():
    frame = pl.DataFrame({"a": ["x", "y"] * 20, "b": np.arange(40.0)})
    assert run_one("multivariate_outliers", frame).status == "not_applicable"


def test_a_tall_table_is_fitted_on_a_sample_and_every_record_scored(monkeypatch):
    from datacert.checks.plausibility import multivariate_outliers as module

    monkeypatch.setattr(module, "FIT_ROWS", 400)
    X = gaussian(3_000, 12, seed=4)
    planted = [7, 1_234, 2_999]
    X[planted] += 8 * np.random.default_rng(5).normal(size=(len(planted), 12))
    outcome = run_one("multivariate_outliers", frame_of(X))
    (finding,) = outcome.findings
    assert set(planted) <= set(finding.rows) and len(finding.rows) <= 10  # named in the whole table
    assert finding.evidence["sampled_rows"] == 400 and finding.evidence["population_rows"] == 3_000
    assert finding.evidence["denominator"] == 3_000


def _mixed_columns(n: int, seed: int) -> np.ndarray:
    """Correlated columns with the shapes that make normal scores awkward: ties, a skewed margin,
    a point mass, a coded count, missing values and a gross value."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8)) @ (np.eye(8) + 0.4 * rng.normal(size=(8, 8)))
    X[:, 1] = np.round(np.exp(X[:, 1]), 1)
    X[:, 2] = rng.integers(0, 15, n)
    X[:, 3] = np.where(rng.random(n) < 0.3, 0.0, X[:, 3])
    against = rng.choice(n, 30, replace=False)
    X[against, 0] = -3 * X[against, 4]
    X[rng.random(X.shape) < 0.03] = np.nan
    X[11, 5] = 1e6
    return X


def test_own_normal_scores_match_the_searches():
    from datacert.checks.plausibility import multivariate_outliers as module

    Z = module.prepare(_mixed_columns(3_000, seed=6))
    ordered, G = module._own_normal_scores(Z)
    assert np.array_equal(ordered, np.sort(Z, axis=0))
    assert np.array_equal(G, module._normal_scores(Z, ordered))


def test_screened_residuals_name_exactly_the_records_exact_scoring_names():
    from datacert.checks.plausibility import multivariate_outliers as module

    X = _mixed_columns(60_000, seed=7)
    sample = np.sort(np.random.default_rng(8).choice(X.shape[0], 6_000, replace=False))
    preparation, Z = module.Preparation.fit_apply(X[sample])
    joint = module.JointStructure.fit(Z)
    E = joint._residuals(preparation.apply(X))
    grid = module._ScoreGrid(joint.ordered)
    centre, radius = grid.bounds(preparation.apply(X))
    exact = module._normal_scores(preparation.apply(X), joint.ordered)
    assert np.all(np.abs(exact.T - centre) <= radius + 1e-12) and (radius == 0).mean() < 0.5
    assert np.array_equal(centre[radius == 0], exact.T[radius == 0])  # exact where said to be
    for cut in (2.5, 4.0, 6.0):
        rows, worst = joint.screen(preparation.apply(X), cut)
        expected = np.flatnonzero(E.max(axis=1) > cut)
        assert np.array_equal(rows, expected) and np.array_equal(worst, E[expected].argmax(axis=1))


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("multivariate_outliers")
def planted_multivariate_outliers() -> Case:
    rng = seeded(0)
    X = rng.normal(size=(300, 20)) @ rng.normal(size=(20, 20))
    X[[5, 50, 150]] += 6 * rng.normal(size=(3, 20)) * X.std(axis=0)
    return planted_case(frame_of(X))


@clean_twins("multivariate_outliers")
def clean_multivariate_outliers() -> tuple[Dataset, ...]:
    from tests.checks._issue4_data import gaussian

    return (make_dataset(frame_of(gaussian(200, 1500, seed=1))),)


def test_scoring_by_chunks_names_the_same_records(monkeypatch):
    """A tall table read from the frame by many small chunks gives the outcome of one chunk."""
    from datacert.checks.plausibility import multivariate_outliers as module

    monkeypatch.setattr(module, "FIT_ROWS", 400)
    X = gaussian(3_000, 12, seed=6)
    X[[5, 2_100]] += 8 * np.random.default_rng(7).normal(size=(2, 12))
    X[[11, 1_500], 0] = -X[[11, 1_500], 0] * 6  # against the columns' correlation
    X[::97, 3] = np.nan
    whole = run_one("multivariate_outliers", frame_of(X))
    monkeypatch.setattr(module, "SCORE_CHUNK", 128)
    chunked = run_one("multivariate_outliers", frame_of(X))
    assert whole.status == chunked.status == "fired"
    assert [list(f.rows) for f in whole.findings] == [list(f.rows) for f in chunked.findings]
    assert [f.evidence for f in whole.findings] == [f.evidence for f in chunked.findings]
