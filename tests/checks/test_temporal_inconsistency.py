"""temporal_inconsistency: future dates, dates before birth, ends before starts, ages vs birth dates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from tests.checks._planted import Case, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.findings import Status


def _stays(n: int = 120, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    admission = [date(2023, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 600, n)]
    age = rng.integers(20, 90, n)
    birth = [
        a - timedelta(days=int(g * 365.25 + rng.integers(1, 360)))
        for a, g in zip(admission, age, strict=True)
    ]
    discharge = [a + timedelta(days=int(s)) for a, s in zip(admission, rng.integers(0, 30, n), strict=True)]
    return pl.DataFrame(
        {
            "date_naissance": birth,
            "date_entree": admission,
            "date_sortie": discharge,
            "age": age,
            "poids": rng.normal(70, 10, n).round(1),
        }
    )


def _set(frame: pl.DataFrame, column: str, row: int, value) -> pl.DataFrame:
    values = frame.get_column(column).to_list()
    values[row] = value
    return frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))


def test_fires_on_each_kind_with_right_rows():
    frame = _stays()
    entree = frame.get_column("date_entree").to_list()
    frame = _set(frame, "date_sortie", 3, entree[3] - timedelta(days=5))  # discharge before admission
    frame = _set(frame, "date_entree", 5, date(1900, 1, 1))  # before birth
    frame = _set(frame, "date_sortie", 7, date(2099, 6, 1))  # in the future
    frame = _set(frame, "age", 9, int(frame.get_column("age")[9]) + 12)  # age disagrees
    outcome = run_one("temporal_inconsistency", frame)
    got = {f.evidence["kind"]: (f.columns, f.rows) for f in outcome.findings}
    assert got["end_before_start"] == (("date_entree", "date_sortie"), (3,))
    assert got["before_birth"] == (("date_naissance", "date_entree"), (5,))
    assert got["future"] == (("date_sortie",), (7,))
    assert got["age_mismatch"] == (("age", "date_naissance", "date_entree"), (9,))  # row 5: no age to compare
    assert all(f.severity == "error" for f in outcome.findings)
    assert outcome.evidence["start_end_pairs"] == [["date_entree", "date_sortie"]]
    assert outcome.evidence["reference_basis"] == "data"


def test_birth_and_age_columns_are_recognised_on_clean_data():
    outcome = run_one("temporal_inconsistency", _stays())
    assert outcome.evidence["birth_column"] == "date_naissance"
    assert outcome.evidence["age_column"] == "age"


def test_french_text_dates_and_english_names_are_understood():
    frame = pl.DataFrame(
        {
            "dob": ["12/03/1950", "01/07/1962", "30/11/1948", "05/05/1970"],
            "admission_date": ["02/01/2024", "15/02/2024", "03/03/2024", "20/04/2024"],
            "discharge_date": ["05/01/2024", "10/02/2024", "04/03/2024", "22/04/2024"],
        }
    )
    outcome = run_one("temporal_inconsistency", frame)
    assert [(f.evidence["kind"], f.rows) for f in outcome.findings] == [("end_before_start", (1,))]
    assert outcome.evidence["parsed_from_text"]["admission_date"] == "%d/%m/%Y"


def test_reference_date_parameter_defines_the_future():
    frame = _stays()
    outcome = run_one("temporal_inconsistency", frame, params={"reference_date": "2023-06-30"})
    future = [f for f in outcome.findings if f.evidence["kind"] == "future"]
    expected = set(np.flatnonzero(frame.get_column("date_entree").to_numpy() > np.datetime64("2023-06-30")))
    entry = next(f for f in future if f.columns == ("date_entree",))
    assert set(entry.rows) == expected


def test_a_typo_in_the_year_does_not_move_the_reference():
    frame = _set(_stays(), "date_entree", 2, date(2204, 1, 1))
    frame = _set(frame, "date_sortie", 2, date(2204, 1, 3))
    outcome = run_one("temporal_inconsistency", frame)
    assert outcome.evidence["reference_date"] < "2025-01-01"
    future = {f.columns: f.rows for f in outcome.findings if f.evidence["kind"] == "future"}
    assert future[("date_entree",)] == (2,)


def test_not_applicable_without_dates():
    assert run_one("temporal_inconsistency", pl.DataFrame({"x": [1, 2, 3]})).status == Status.NOT_APPLICABLE


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("temporal_inconsistency")
def planted_temporal_inconsistency() -> Case:
    rng = seeded(1)
    start = [date(2023, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 300, 120)]
    end = [s + timedelta(days=int(k)) for s, k in zip(start, rng.integers(1, 20, 120), strict=True)]
    end[3] = start[3] - timedelta(days=5)
    return planted_case(pl.DataFrame({"date_entree": start, "date_sortie": end}), "date_sortie")


@clean_twins("temporal_inconsistency")
def clean_temporal_inconsistency() -> tuple[Dataset, ...]:
    return (make_dataset(_stays()),)
