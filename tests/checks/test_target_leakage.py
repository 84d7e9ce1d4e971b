"""target_leakage: near-perfect single features, label-derived codes, identifiers ordered by outcome."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._issue4_data import breast_cancer, diabetes, frame_of
from tests.conftest import run_one


def _by_message(outcome, text):
    return [f for f in outcome.findings if text in f.message]


def test_fires_on_a_leaky_feature_a_derived_code_and_an_ordered_identifier():
    rng = np.random.default_rng(0)
    frame = breast_cancer()
    y = frame.get_column("y").to_numpy()
    frame = frame.with_columns(
        pl.Series("discharge_score", y * 2 + rng.normal(0, 0.1, y.size)),
        pl.Series(
            "code", np.where(y == 1, rng.choice(["a", "b", "c"], y.size), rng.choice(["d", "e"], y.size))
        ),
        pl.Series("pid", [f"{'CASE' if v else 'CTRL'}-{i:04d}" for i, v in enumerate(y)]),
    )
    outcome = run_one("target_leakage", frame, target="y", id="pid")
    near = _by_message(outcome, "almost perfectly")
    assert near and near[0].columns == ("discharge_score",) and str(near[0].severity) == "error"
    derived = _by_message(outcome, "read off exactly")
    assert derived and derived[0].columns == ("code",) and str(derived[0].severity) == "error"
    ids = _by_message(outcome, "identifier")
    assert ids and ids[0].columns == ("pid",)
    assert all(f.rows == () for f in outcome.findings)


def test_clean_breast_cancer_only_informs_about_its_strong_markers():
    outcome = run_one("target_leakage", breast_cancer(), target="y")
    assert {str(f.severity) for f in outcome.findings} <= {"info"}
    assert outcome.evidence["permutation_null_max"] < 0.7


def test_wide_noise_is_quiet_and_the_null_adapts_to_p():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3000))
    X[rng.random(X.shape) < 0.1] = np.nan
    outcome = run_one("target_leakage", frame_of(X, y=rng.integers(0, 2, 40)), target="y")
    assert outcome.status == "quiet"
    assert outcome.evidence["permutation_null_max"] > 0.75
    assert outcome.evidence["columns_tested"] == 3000


def test_wide_data_with_one_leak():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 3000))
    y = rng.integers(0, 2, 60)
    X[:, 1234] = y + rng.normal(0, 0.01, 60)
    X[::7, 1234] = np.nan
    outcome = run_one("target_leakage", frame_of(X, y=y), target="y")
    (finding,) = outcome.findings
    assert finding.columns == ("f1234",) and str(finding.severity) == "error"


def test_regression_target_derived_feature():
    frame = diabetes()
    frame = frame.with_columns((pl.col("y") ** 0.5).alias("sqrt_y"))
    outcome = run_one("target_leakage", frame, target="y")
    assert [f.columns for f in outcome.findings] == [("sqrt_y",)]
    assert run_one("target_leakage", diabetes(), target="y").status == "quiet"


def test_multiclass_target():
    rng = np.random.default_rng(3)
    y = rng.choice(["a", "b", "c"], 300)
    frame = pl.DataFrame(
        {"x": rng.normal(size=300), "leak": (y == "c") * 5.0 + rng.normal(0, 0.01, 300), "y": y}
    )
    outcome = run_one("target_leakage", frame, target="y")
    assert [f.columns for f in outcome.findings] == [("leak",)]


def test_not_applicable_without_target():
    assert run_one("target_leakage", breast_cancer()).status == "not_applicable"


def test_tiny_classes_do_not_make_noise_look_leaky():
    rng = np.random.default_rng(0)
    frame = frame_of(rng.normal(size=(200, 6)), y=np.array(["a"] * 100 + ["b"] * 97 + ["c"] * 3))
    assert run_one("target_leakage", frame, target="y").status == "quiet"
