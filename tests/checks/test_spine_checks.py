"""The spine's first checks: each fires on its planted defect (right rows and columns) and stays quiet."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.conftest import run_one

from datacert.findings import Status


def test_missing_values_fires_with_rows_and_grades_severity(clean_frame):
    frame = clean_frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 120).then(None).otherwise(pl.col("weight_kg")).alias("weight_kg"),
        pl.when(pl.int_range(pl.len()).is_in([5, 9]))
        .then(None)
        .otherwise(pl.col("sbp_mmhg"))
        .alias("sbp_mmhg"),
    )
    outcome = run_one("missing_values", frame)
    by_col = {f.columns[0]: f for f in outcome.findings}
    assert by_col["weight_kg"].severity == "error" and by_col["weight_kg"].rows == tuple(range(120))
    assert by_col["sbp_mmhg"].severity == "info" and by_col["sbp_mmhg"].rows == (5, 9)
    assert run_one("missing_values", clean_frame).status == Status.QUIET


def test_missing_values_summarises_wide_tables():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(50, 400))
    m[:, :100][rng.random((50, 100)) < 0.4] = np.nan
    frame = pl.DataFrame(m, schema=[f"g{i}" for i in range(400)]).with_columns(pl.all().fill_nan(None))
    outcome = run_one("missing_values", frame)
    assert len(outcome.findings) <= 4
    assert {c for f in outcome.findings for c in f.columns} == {f"g{i}" for i in range(100)}


def test_empty_rows(clean_frame):
    cols = [c for c in clean_frame.columns if c != "record_id"]
    frame = clean_frame.with_columns(
        [
            pl.when(pl.int_range(pl.len()).is_in([3, 77])).then(None).otherwise(pl.col(c)).alias(c)
            for c in cols
        ]
    ).with_columns(
        [pl.when(pl.int_range(pl.len()) == 150).then(None).otherwise(pl.col(c)).alias(c) for c in cols[:5]]
    )
    outcome = run_one("empty_rows", frame)
    by_sev = {f.severity: f for f in outcome.findings}
    assert by_sev["error"].rows == (3, 77)
    assert by_sev["warning"].rows == (150,)
    assert run_one("empty_rows", clean_frame).status == Status.QUIET


def test_duplicate_rows_lists_every_member_and_ignores_the_id(clean_frame):
    copies = clean_frame[[4, 10]].with_columns(pl.Series("record_id", ["X1", "X2"]))
    frame = pl.concat([clean_frame, copies])
    outcome = run_one("duplicate_rows", frame)
    (finding,) = outcome.findings
    assert finding.rows == (4, 10, 300, 301)
    assert finding.evidence["numerator"] == 2 and finding.evidence["groups"] == 2
    assert run_one("duplicate_rows", clean_frame).status == Status.QUIET


def test_duplicate_ids(clean_frame):
    frame = clean_frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 20)
        .then(pl.lit("R00002"))
        .otherwise(pl.col("record_id"))
        .alias("record_id")
    )
    outcome = run_one("duplicate_ids", frame, id="record_id")
    assert outcome.findings[0].rows == (2, 20)
    assert run_one("duplicate_ids", clean_frame, id="record_id").status == Status.QUIET
    no_id = run_one("duplicate_ids", clean_frame.drop("record_id"))
    assert no_id.status == Status.NOT_APPLICABLE and "--id" in no_id.reason


def test_constant_and_near_constant_columns(clean_frame):
    n = clean_frame.height
    frame = clean_frame.with_columns(
        pl.lit("FR").alias("country"), pl.Series("rare_flag", [1] * 3 + [0] * (n - 3))
    )
    outcome = run_one("constant_columns", frame)
    by_sev = {f.severity: f for f in outcome.findings}
    assert by_sev["warning"].columns == ("country",)
    assert by_sev["info"].columns == ("rare_flag",)
    assert run_one("constant_columns", clean_frame).status == Status.QUIET


def test_type_mismatch_points_at_the_odd_values(clean_frame):
    values = [f"{v:.1f}" for v in clean_frame.get_column("weight_kg")]
    values[7], values[42] = "<5", "NR"
    frame = clean_frame.with_columns(pl.Series("crp", values))
    outcome = run_one("type_mismatch", frame)
    (finding,) = outcome.findings
    assert finding.columns == ("crp",) and finding.rows == (7, 42)
    assert run_one("type_mismatch", clean_frame).status == Status.QUIET


def test_type_mismatch_recognises_dates_stored_as_text(clean_frame):
    dates = [f"{1 + i % 28:02d}/03/2021" for i in range(clean_frame.height)]
    dates[11] = "inconnue"
    outcome = run_one("type_mismatch", clean_frame.with_columns(pl.Series("visit", dates)))
    (finding,) = outcome.findings
    assert finding.evidence["kind"] == "date" and finding.rows == (11,)


def test_formula_injection(clean_frame):
    comments = ["RAS"] * clean_frame.height
    comments[3] = '=HYPERLINK("http://evil.example","x")'
    comments[8] = "@SUM(A1:A3)"
    comments[9] = "-2+3+cmd|' /C calc'!A0"
    comments[10] = "+33 6 12 34 56 78"  # a phone number, harmless
    comments[11] = "-5"  # a negative number, harmless
    outcome = run_one("formula_injection", clean_frame.with_columns(pl.Series("comment", comments)))
    (finding,) = outcome.findings
    assert finding.rows == (3, 8, 9)
    assert run_one("formula_injection", clean_frame).status == Status.QUIET
