"""duplicate_columns: copies, bijective recodings and rescalings, found by hashing, never pairwise."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, clean_table, clean_twins, planted, planted_case
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.findings import Status


def _frame(n: int = 300, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "height_cm": rng.normal(170, 9, n).round(0),
            "crp": rng.lognormal(2, 1, n),
            "stage": rng.integers(1, 5, n),
            "site": rng.choice(["A", "B", "C"], n),
            "y": rng.integers(0, 2, n),
        }
    )


def test_fires_on_copies_recodings_and_rescalings():
    frame = _frame().with_columns(
        (pl.col("height_cm") / 100).alias("height_m"),
        pl.col("crp").alias("crp_copy"),
        (-2 * pl.col("crp") + 1).alias("crp_neg"),
        pl.when(pl.col("sex") == "F").then(1).otherwise(0).alias("sex01"),
        pl.col("stage").replace_strict({1: "IV", 2: "I", 3: "III", 4: "II"}).alias("stage_roman"),
    )
    outcome = run_one("duplicate_columns", frame, target="y")
    groups = {f.columns: f.evidence["relations"] for f in outcome.findings}
    assert groups[("sex", "sex01")] == {"sex01": {"kind": "recoded"}}
    assert groups[("height_cm", "height_m")]["height_m"]["kind"] == "linear"
    assert groups[("height_cm", "height_m")]["height_m"]["slope"] == 0.01
    assert groups[("crp", "crp_copy", "crp_neg")]["crp_copy"] == {"kind": "identical"}
    assert groups[("crp", "crp_copy", "crp_neg")]["crp_neg"]["kind"] == "linear"
    assert groups[("stage", "stage_roman")] == {"stage_roman": {"kind": "recoded"}}
    assert len(groups) == 4
    assert all(f.severity == "warning" and f.rows == () for f in outcome.findings)


def test_the_target_is_left_to_leakage_checks():
    frame = _frame().with_columns(pl.col("y").alias("y_copy"))
    assert run_one("duplicate_columns", frame).status == Status.FIRED
    assert run_one("duplicate_columns", frame, target="y").status == Status.QUIET


def test_not_applicable_on_a_single_record():
    assert run_one("duplicate_columns", pl.DataFrame({"a": [1], "b": [1]})).status == Status.NOT_APPLICABLE


def test_wide_matrix_copies_are_found():
    rng = np.random.default_rng(9)
    matrix = rng.normal(size=(120, 500))
    matrix[:, 10] = matrix[:, 300] * 3 + 1
    matrix[:, 42] = matrix[:, 43]
    matrix[5, 43] = matrix[5, 42] = np.nan
    frame = pl.DataFrame(matrix, schema=[f"g{i}" for i in range(500)])
    outcome = run_one("duplicate_columns", frame)
    assert sorted(f.columns for f in outcome.findings) == [("g10", "g300"), ("g42", "g43")]


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("duplicate_columns")
def planted_duplicate_columns() -> Case:
    frame = pl.DataFrame(base_cohort())
    return planted_case(frame.with_columns(pl.col("sbp_mmhg").alias("pas_copy")), "sbp_mmhg", "pas_copy")


@clean_twins("duplicate_columns")
def clean_duplicate_columns() -> tuple[Dataset, ...]:
    return make_dataset(_frame(), target="y"), make_dataset(clean_table(), target="outcome")
