"""Clean real data must not drown in alarms: no error-level finding from the integrity and
plausibility checks on scikit-learn's breast cancer and diabetes tables."""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import make_dataset

from datacert.checks import run_checks
from datacert.findings import Status
from datacert.profile import compute_profile

ISSUE3_CHECKS = [
    "out_of_range",
    "univariate_outliers",
    "temporal_inconsistency",
    "near_duplicate_rows",
    "conflicting_labels",
    "duplicate_columns",
    "direct_identifier",
    "quasi_identifier_risk",
    "schema_violation",
]


def _tables():
    from sklearn.datasets import load_breast_cancer, load_diabetes

    return {
        "breast_cancer": pl.from_pandas(load_breast_cancer(as_frame=True).frame),
        "diabetes": pl.from_pandas(load_diabetes(as_frame=True).frame),
        "diabetes_unscaled": pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame),
    }


@pytest.mark.parametrize("name", ["breast_cancer", "diabetes", "diabetes_unscaled"])
def test_clean_real_data_has_no_error_level_finding(name):
    data = make_dataset(_tables()[name], target="target")
    profile = compute_profile(data.frame, dict(data.semantic_types))
    outcomes = run_checks(data, profile, {}, only=ISSUE3_CHECKS)
    assert {o.check for o in outcomes} == set(ISSUE3_CHECKS)
    assert all(o.status != Status.ERROR for o in outcomes), [(o.check, o.reason) for o in outcomes]
    severe = [
        (f.check, f.columns, str(f.severity))
        for o in outcomes
        for f in o.findings
        if f.severity in ("error", "critical")
    ]
    assert severe == []


def test_unscaled_diabetes_ages_and_bmi_are_checked_and_plausible():
    data = make_dataset(_tables()["diabetes_unscaled"], target="target")
    profile = compute_profile(data.frame, dict(data.semantic_types))
    (outcome,) = run_checks(data, profile, {}, only=["out_of_range"])
    assert outcome.status == Status.QUIET
    # bp is the mean arterial pressure here: recognised as an unspecified blood pressure
    assert set(outcome.evidence["columns_checked"]) == {"age", "bmi", "bp"}
