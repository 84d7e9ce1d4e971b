"""underrepresented_subgroup: subgroups too small to evaluate on, and shares against a reference."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case
from tests.conftest import run_one

from datacert.checks import run_checks
from datacert.dataset import build_dataset
from datacert.io import from_object
from datacert.profile import compute_profile
from datacert.roles import Roles
from datacert.statistics import wilson_interval


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(20, 90, n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 2, n),
        }
    )


def _run_with_reference(frame, reference, **roles):
    data = build_dataset(from_object(frame), Roles.build(**roles), reference=reference)
    profile = compute_profile(data.frame, dict(data.semantic_types))
    (outcome,) = run_checks(data, profile, only=["underrepresented_subgroup"])
    return outcome


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson_interval(np.array([0, 5, 50]), np.array([10, 10, 100]))
    assert np.allclose(low, [0.0, 0.2366, 0.4038], atol=1e-3)
    assert np.allclose(high, [0.2775, 0.7634, 0.5962], atol=1e-3)


def test_fires_on_a_tiny_subgroup_with_its_rows():
    sex = _frame()["sex"].to_numpy().copy()
    sex[[3, 50, 77, 120, 301]] = "X"
    frame = _frame().with_columns(pl.Series("sex", sex))
    out = run_one("underrepresented_subgroup", frame, sensitive=["sex"], target="y")
    (f,) = out.findings
    assert f.severity == "warning" and f.columns == ("sex",)
    assert list(f.rows) == [3, 50, 77, 120, 301]
    assert list(f.evidence["subgroups"]) == ["X"]


def test_subgroup_with_too_few_events_is_not_evaluable():
    frame = _frame()
    y = frame["y"].to_numpy().copy()
    males = frame["sex"].to_numpy() == "M"
    y[males] = 0
    y[np.flatnonzero(males)[:4]] = 1
    out = run_one(
        "underrepresented_subgroup", frame.with_columns(pl.Series("y", y)), sensitive=["sex"], target="y"
    )
    (f,) = out.findings
    assert set(f.rows) == set(np.flatnonzero(males).tolist())
    assert f.evidence["subgroups"]["M"]["events"] == {"0": int(males.sum()) - 4, "1": 4}


def test_numeric_age_is_binned_into_bands_and_small_bands_flagged():
    out = run_one("underrepresented_subgroup", _frame(), sensitive=["age"])
    assert out.evidence["attributes"]["age"]["binning"] == "age bands"
    assert out.status == "quiet"  # 20-89 gives 18-39, 40-64, 65-79, >=80 bands of 50+ records each
    age = _frame()["age"].to_numpy().copy()
    age[[0, 1, 2]] = [5, 12, 16]
    out = run_one(
        "underrepresented_subgroup", _frame().with_columns(pl.Series("age", age)), sensitive=["age"]
    )
    (f,) = out.findings
    assert list(f.rows) == [0, 1, 2] and list(f.evidence["subgroups"]) == ["<18"]


def test_quiet_on_balanced_subgroups():
    assert run_one("underrepresented_subgroup", _frame(), sensitive=["sex"], target="y").status == "quiet"


def test_reference_flags_absent_and_rare_subgroups():
    rng = np.random.default_rng(1)
    n = 400
    frame = pl.DataFrame(
        {
            "sex": np.where(rng.random(n) < 0.9, "F", "M"),
            "age": rng.integers(20, 64, n),
            "y": rng.integers(0, 2, n),
        }
    )
    reference = {
        "sex": {"F": 0.5, "M": 0.5},
        "age": {"<18": 0.0, "18–39": 0.3, "40-64": 0.4, "65-79": 0.2, "≥80": 0.1},
    }
    out = _run_with_reference(frame, reference, sensitive=["sex", "age"])
    by = {(f.columns, f.severity): f for f in out.findings}
    absent = by[(("age",), "critical")]
    assert absent.evidence["absent_subgroups"] == ["65-79", "≥80"] and absent.rows == ()
    rare = by[(("sex",), "error")]
    assert set(rare.rows) == set(np.flatnonzero(frame["sex"].to_numpy() == "M").tolist())
    assert rare.evidence["underrepresented"]["M"]["representation_ratio"] < 0.5


def test_reference_matching_the_data_stays_quiet():
    out = _run_with_reference(_frame(), {"sex": {"F": 0.5, "M": 0.5}}, sensitive=["sex"], target="y")
    assert out.status == "quiet"


def test_not_applicable_without_sensitive_attribute():
    assert run_one("underrepresented_subgroup", _frame(), target="y").status == "not_applicable"


def test_other_numeric_attributes_are_cut_into_quartiles():
    rng = np.random.default_rng(3)
    frame = pl.DataFrame({"deprivation_score": rng.normal(50, 10, 400), "x": rng.normal(size=400)})
    out = run_one("underrepresented_subgroup", frame, sensitive=["deprivation_score"])
    assert out.status == "quiet"
    assert out.evidence["attributes"]["deprivation_score"] == {
        "subgroups": 4,
        "binning": "quartiles",
        "missing": 0,
    }


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("underrepresented_subgroup")
def planted_underrepresented_subgroup() -> Case:
    cols = base_cohort(400)
    cols["sex"][[3, 50, 77, 120, 301]] = "X"
    return planted_case(pl.DataFrame(cols), "sex", sensitive=["sex"], target="y")
