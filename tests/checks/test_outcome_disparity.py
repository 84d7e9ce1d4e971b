"""outcome_disparity: target rates (or means) that differ strongly between sensitive subgroups."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one


def _frame(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "site": rng.choice(["A", "B", "C"], n),
            "age": rng.integers(20, 90, n),
            "y": (rng.random(n) < 0.3).astype(int),
            "los": rng.normal(6, 2, n),
        }
    )


def test_fires_warning_on_a_large_rate_gap_with_extreme_subgroup_rows():
    frame = _frame()
    rng = np.random.default_rng(5)
    site = frame["site"].to_numpy()
    y = np.where(site == "C", rng.random(frame.height) < 0.7, rng.random(frame.height) < 0.2).astype(int)
    out = run_one(
        "outcome_disparity", frame.with_columns(pl.Series("y", y)), sensitive=["sex", "site"], target="y"
    )
    (f,) = out.findings
    assert f.severity == "warning" and f.columns == ("site", "y")
    assert f.evidence["highest"] == "C" and f.evidence["gap"] >= 0.4 and f.evidence["event_class"] == "1"
    expected = np.flatnonzero((site == "C") | (site == f.evidence["lowest"]))
    assert list(f.rows) == expected.tolist()
    assert f.evidence["q_value"] < 0.01


def test_numeric_target_gap_in_standard_deviations():
    frame = _frame()
    los = frame["los"].to_numpy() + np.where(frame["sex"].to_numpy() == "M", 2.0, 0.0)
    out = run_one(
        "outcome_disparity", frame.with_columns(pl.Series("los", los)), sensitive=["sex"], target="los"
    )
    (f,) = out.findings
    assert f.severity == "warning" and f.evidence["highest"] == "M" and f.evidence["sd_gap"] > 0.5


def test_quiet_when_rates_are_alike():
    out = run_one("outcome_disparity", _frame(), sensitive=["sex", "site", "age"], target="y")
    assert out.status == "quiet"
    assert out.evidence["attributes"] == ["sex", "site", "age"]


def test_not_applicable_without_target_or_sensitive():
    assert run_one("outcome_disparity", _frame(), sensitive=["sex"]).status == "not_applicable"
    assert run_one("outcome_disparity", _frame(), target="y").status == "not_applicable"


def test_multiclass_target_reports_the_class_whose_rate_varies_most():
    frame = _frame()
    rng = np.random.default_rng(8)
    sex = frame["sex"].to_numpy()
    stage = np.where(
        sex == "M",
        rng.choice(["I", "II", "III"], 600, p=[0.2, 0.3, 0.5]),
        rng.choice(["I", "II", "III"], 600, p=[0.5, 0.3, 0.2]),
    )
    out = run_one(
        "outcome_disparity", frame.with_columns(pl.Series("stage", stage)), sensitive=["sex"], target="stage"
    )
    (f,) = out.findings
    assert f.severity == "warning" and f.evidence["event_class"] in ("I", "III")


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("outcome_disparity")
def planted_outcome_disparity() -> Case:
    rng = seeded(0)
    n = 600
    site = rng.choice(["A", "B", "C"], n)
    y = np.where(site == "C", rng.random(n) < 0.7, rng.random(n) < 0.2).astype(int)
    frame = pl.DataFrame(
        {"sex": rng.choice(["F", "M"], n), "site": site, "age": rng.integers(20, 90, n), "y": y}
    )
    return planted_case(frame, "site", sensitive=["sex", "site"], target="y")
