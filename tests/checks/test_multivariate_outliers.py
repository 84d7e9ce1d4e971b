"""multivariate_outliers: PCA outlier map with reweighting, agreed with Isolation Forest; works for p > n."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._issue4_data import breast_cancer, frame_of, gaussian
from tests.conftest import run_one

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
