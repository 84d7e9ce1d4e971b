"""near_duplicate_rows: the same record written differently, but not exact copies."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.findings import Status


def _frame(n: int = 60, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "record_id": [f"R{i:04d}" for i in range(n)],
            "ville": rng.choice(["Créteil", "Paris", "Évry", "Lyon"], n),
            "poids": rng.normal(70, 10, n),
            "crp_text": [f"{v:.1f}" for v in rng.lognormal(2, 1, n)],
            "y": rng.integers(0, 2, n),
        }
    )


def _with_row(frame: pl.DataFrame, position: int, values: dict) -> pl.DataFrame:
    rows = frame.rows(named=True)
    rows[position] = {**rows[position], **values}
    return pl.DataFrame(rows, schema=frame.schema)


def test_fires_on_formatting_and_rounding_variants():
    frame = _frame()
    src = frame.rows(named=True)
    frame = _with_row(
        frame,
        40,
        {
            **src[3],
            "record_id": "X1",
            "ville": "  " + src[3]["ville"].upper() + " ",
            "poids": src[3]["poids"] * (1 + 1e-9),
            "crp_text": src[3]["crp_text"].replace(".", ","),
        },
    )
    frame = _with_row(frame, 12, {"ville": "Créteil"})
    frame = _with_row(frame, 50, {**frame.rows(named=True)[12], "record_id": "X2", "ville": "Creteil"})
    frame = _with_row(frame, 55, {**src[20], "record_id": "X3"})  # exact copy: duplicate_rows' business
    outcome = run_one("near_duplicate_rows", frame, id="record_id")
    (finding,) = outcome.findings
    groups = finding.evidence["group_rows"]
    assert groups == [[3, 40], [12, 50]]
    assert finding.rows == (3, 12, 40, 50)
    assert [20, 55] not in groups
    exact = run_one("duplicate_rows", frame, id="record_id")
    assert exact.findings[0].rows == (20, 55)


def test_not_applicable_on_one_record():
    assert run_one("near_duplicate_rows", _frame().head(1)).status == Status.NOT_APPLICABLE


def test_wide_numeric_block_is_hashed_with_tolerance():
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(50, 300))
    matrix[30] = matrix[8] * (1 + 2e-8)
    frame = pl.DataFrame(matrix, schema=[f"g{i}" for i in range(300)])
    outcome = run_one("near_duplicate_rows", frame)
    assert outcome.findings[0].rows == (8, 30)
    assert run_one("near_duplicate_rows", pl.DataFrame(rng.normal(size=(50, 300)))).status == Status.QUIET


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("near_duplicate_rows")
def planted_near_duplicate_rows() -> Case:
    cols = base_cohort(100)
    cols["city"] = list(seeded(2).choice(["Créteil", "Paris", "Évry", "Lyon"], 100))
    frame = pl.DataFrame(cols)
    copy = frame[7].with_columns(
        pl.lit("R99999").alias("record_id"),
        ("  " + pl.col("city").str.to_uppercase() + " ").alias("city"),
        (pl.col("weight_kg") * (1 + 1e-9)).alias("weight_kg"),
    )
    return planted_case(pl.concat([frame, copy]), id="record_id")


@clean_twins("near_duplicate_rows")
def clean_near_duplicate_rows() -> tuple[Dataset, ...]:
    return (make_dataset(_frame(), id="record_id"),)
