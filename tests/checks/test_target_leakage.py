"""target_leakage: near-perfect single features, label-derived codes, identifiers ordered by outcome."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._issue4_data import breast_cancer, diabetes, frame_of
from tests.checks._planted import Case, base_cohort, planted, planted_case
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


def _code_copying(labels: np.ndarray, agreement: float, seed: int) -> np.ndarray:
    """A text code that names the label (two spellings per class) in `agreement` of the records."""
    rng = np.random.default_rng(seed)
    agree = rng.random(labels.size) < agreement
    shown = np.where(agree, labels, 1 - labels)
    return np.where(shown == 1, rng.choice(["B1", "B2"], labels.size), rng.choice(["M1", "M2"], labels.size))


def test_a_code_column_that_nearly_copies_the_label_is_an_error():
    frame = breast_cancer()
    y = frame.get_column("y").to_numpy()
    # a handful of disagreements (2 of 569 records)
    frame = frame.with_columns(pl.Series("histology_code", _code_copying(y, 0.995, 1)))
    outcome = run_one("target_leakage", frame, target="y")
    (near,) = _by_message(outcome, "almost perfectly")
    assert near.columns == ("histology_code",) and str(near.severity) == "error"
    assert near.evidence["scored_by"]["histology_code"] == "target_encoding"
    assert outcome.evidence["excluded_from_reference_model"] == {
        "histology_code": "predicts the target almost perfectly"
    }


def test_a_code_that_names_the_label_with_a_few_more_disagreements_is_a_warning():
    frame = breast_cancer()
    y = frame.get_column("y").to_numpy()
    frame = frame.with_columns(pl.Series("result_flag", _code_copying(y, 0.98, 0)))
    outcome = run_one("target_leakage", frame, target="y")
    (code,) = _by_message(outcome, "nearly names")
    assert code.columns == ("result_flag",) and str(code.severity) == "warning"
    assert "result_flag" in outcome.evidence["excluded_from_reference_model"]


def test_a_loosely_related_code_is_not_leakage():
    frame = breast_cancer()
    y = frame.get_column("y").to_numpy()
    frame = frame.with_columns(pl.Series("site_code", _code_copying(y, 0.7, 1)))
    outcome = run_one("target_leakage", frame, target="y")
    assert all("site_code" not in f.columns for f in outcome.findings if str(f.severity) != "info")


def test_categorical_power_shares_the_permutation_null_with_numeric_columns():
    rng = np.random.default_rng(4)
    n = 60
    frame = pl.DataFrame(
        {f"code{i}": rng.choice(list("ABCDEFGH"), n) for i in range(40)} | {"y": rng.integers(0, 2, n)}
    )
    outcome = run_one("target_leakage", frame, target="y")
    assert outcome.status == "quiet"
    # forty random 8-level codes at n = 60: chance alone gives a high best power
    assert outcome.evidence["permutation_null_max"] > 0.6


def test_a_value_present_only_for_one_outcome_is_an_error():
    frame = breast_cancer()
    y = frame.get_column("y").to_numpy()
    rng = np.random.default_rng(5)
    days = np.where(y == 0, rng.integers(10, 900, y.size), None)
    outcome = run_one("target_leakage", frame.with_columns(pl.Series("days_to_surgery", days)), target="y")
    (missing,) = _by_message(outcome, "filled in only for one outcome")
    assert missing.columns == ("days_to_surgery",) and str(missing.severity) == "error"


def test_a_strong_marker_recorded_after_the_outcome_is_a_warning():
    frame = breast_cancer()
    worst = frame.get_column("worst_perimeter").to_numpy()
    outcome = run_one(
        "target_leakage", frame.with_columns(pl.Series("perimeter_at_discharge", worst)), target="y"
    )
    (after,) = _by_message(outcome, "recorded at or after the outcome")
    assert after.columns == ("perimeter_at_discharge",) and str(after.severity) == "warning"
    (info,) = [f for f in outcome.findings if str(f.severity) == "info"]
    assert "worst_perimeter" in info.columns


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("target_leakage")
def planted_target_leakage() -> Case:
    cols = base_cohort()
    cols["outcome_code"] = np.asarray(cols["y"]) * 10 + 1
    return planted_case(pl.DataFrame(cols), "outcome_code", target="y")
