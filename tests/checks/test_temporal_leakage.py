"""temporal_leakage: evaluation records dated before the latest training record."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one


def _frame(n=200, seed=0, cut=150):
    rng = np.random.default_rng(seed)
    days = np.sort(rng.integers(0, 700, n))
    return pl.DataFrame(
        {
            "visit": [date(2023, 1, 1) + timedelta(days=int(d)) for d in days],
            "x": rng.normal(size=n),
            "part": ["Train"] * cut + ["Holdout"] * (n - cut),
        }
    )


def test_fires_on_a_random_split_of_dated_records():
    rng = np.random.default_rng(3)
    frame = _frame()
    part = np.where(rng.random(frame.height) < 0.7, "apprentissage", "validation")
    frame = frame.with_columns(pl.Series("part", part))
    out = run_one("temporal_leakage", frame, time="visit", split="part")
    assert out.status == "fired"
    (f,) = out.findings
    days = frame["visit"].to_numpy()
    latest_train = days[part == "apprentissage"].max()
    expected = np.flatnonzero((part == "validation") & (days < latest_train))
    assert list(f.rows) == expected.tolist()
    assert f.severity == "error" and f.columns == ("visit", "part")


def test_a_few_early_test_records_give_a_warning_and_string_dates_are_read():
    frame = _frame()
    part = frame["part"].to_numpy().copy()
    part[[10, 11]] = "Holdout"
    frame = frame.with_columns(pl.Series("part", part), pl.col("visit").dt.strftime("%d/%m/%Y"))
    out = run_one("temporal_leakage", frame, time="visit", split="part")
    (f,) = out.findings
    assert f.severity == "warning" and list(f.rows) == [10, 11]


def test_quiet_when_evaluation_follows_training():
    assert run_one("temporal_leakage", _frame(), time="visit", split="part").status == "quiet"


def test_not_applicable_without_time_or_recognisable_partitions():
    assert run_one("temporal_leakage", _frame().drop("visit"), split="part").status == "not_applicable"
    sites = _frame().with_columns(pl.Series("part", ["A", "B"] * 100))
    out = run_one("temporal_leakage", sites, time="visit", split="part")
    assert out.status == "not_applicable" and "train" in out.reason


def test_numeric_years_are_read_as_time():
    frame = pl.DataFrame(
        {
            "year": [2015, 2016, 2017, 2018, 2019, 2016, 2020, 2021],
            "x": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "split": ["train"] * 5 + ["test"] * 3,
        }
    )
    out = run_one("temporal_leakage", frame, time="year", split="split")
    (f,) = out.findings
    assert list(f.rows) == [5] and f.evidence["unit"] == "column units"


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("temporal_leakage")
def planted_temporal_leakage() -> Case:
    rng = seeded(3)
    visit = [date(2020, 1, 1) + timedelta(days=int(d)) for d in range(200)]
    part = np.where(rng.random(200) < 0.7, "train", "test")
    frame = pl.DataFrame({"visit": visit, "x": rng.normal(size=200), "part": part})
    return planted_case(frame, "visit", time="visit", split="part")
