"""quasi_identifier_risk: k-anonymity and unique records over the quasi-identifiers found."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from tests.checks._planted import Case, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.findings import Status


def test_fires_on_records_in_small_classes():
    rng = np.random.default_rng(0)
    n = 200
    frame = pl.DataFrame(
        {
            "sexe": rng.choice(["F", "M"], n),
            "code_postal": rng.choice(["75013", "94000"], n),
            "glucose": rng.normal(100, 10, n),
        }
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 17)
        .then(pl.lit("13001"))
        .otherwise(pl.col("code_postal"))
        .alias("code_postal")
    )
    outcome = run_one("quasi_identifier_risk", frame)
    (finding,) = outcome.findings
    assert finding.rows == (17,)
    assert finding.columns == ("sexe", "code_postal")
    assert finding.severity == "warning"
    assert finding.evidence["k"] == 1 and finding.evidence["unique_records"] == 1


def test_unique_birth_dates_and_stays_are_an_error():
    rng = np.random.default_rng(1)
    n = 100
    births = [date(1940, 1, 1) + timedelta(days=int(d)) for d in rng.choice(20000, n, replace=False)]
    frame = pl.DataFrame(
        {
            "date_naissance": births,
            "sexe": rng.choice(["F", "M"], n),
            "date_admission": [date(2024, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 300, n)],
        }
    )
    outcome = run_one("quasi_identifier_risk", frame)
    (finding,) = outcome.findings
    assert finding.severity == "error"
    assert finding.row_count == n
    assert finding.evidence["kinds"] == {
        "date_naissance": "birth date",
        "sexe": "sex",
        "date_admission": "date of stay",
    }


def test_clean_data_of_the_same_shape_has_large_classes():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {
            "sexe": rng.choice(["F", "M"], 200),
            "code_postal": rng.choice(["75013", "94000"], 200),
            "glucose": rng.normal(100, 10, 200),
        }
    )
    assert run_one("quasi_identifier_risk", frame).evidence["k"] >= 5


def test_not_applicable_without_quasi_identifiers():
    frame = pl.DataFrame({"glucose": [1.0, 2.0, 3.0], "crp": [3.0, 2.0, 1.0]})
    assert run_one("quasi_identifier_risk", frame).status == Status.NOT_APPLICABLE


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("quasi_identifier_risk")
def planted_quasi_identifier_risk() -> Case:
    rng = seeded(0)
    postal = rng.choice(["75013", "94000"], 200)
    postal[17] = "13001"
    frame = pl.DataFrame(
        {"sexe": rng.choice(["F", "M"], 200), "code_postal": postal, "glucose": rng.normal(100, 10, 200)}
    )
    return planted_case(frame, "code_postal")


@clean_twins("quasi_identifier_risk")
def clean_quasi_identifier_risk() -> tuple[Dataset, ...]:
    rng = seeded(0)
    frame = pl.DataFrame(
        {
            "sexe": rng.choice(["F", "M"], 200),
            "code_postal": rng.choice(["75013", "94000"], 200),
            "glucose": rng.normal(100, 10, 200),
        }
    )
    return (make_dataset(frame),)
