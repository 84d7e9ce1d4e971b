"""univariate_outliers: robust, skew-aware z-scores graded info < warning < error."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from tests.checks._planted import Case, base_cohort, clean_twins, planted, planted_case
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.findings import Status


def _frame(n: int = 300, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "sbp": rng.normal(130, 10, n).round(1),
            "crp": rng.lognormal(np.log(8), 0.8, n).round(2),  # right-skewed lab value: judged on log scale
            "visits": rng.poisson(3, n),
            "sex": rng.choice(["F", "M"], n),
        }
    )


def test_fires_with_graded_severity_on_the_right_rows():
    frame = _frame().with_columns(
        pl.when(pl.int_range(pl.len()) == 17)
        .then(1300.0)  # a slipped decimal point: gross
        .when(pl.int_range(pl.len()) == 40)
        .then(205.0)  # ~7.5 robust sd: far
        .otherwise(pl.col("sbp"))
        .alias("sbp")
    )
    outcome = run_one("univariate_outliers", frame)
    got = {(f.columns, str(f.severity)): f.rows for f in outcome.findings}
    assert got[(("sbp",), "error")] == (17,)
    assert got[(("sbp",), "warning")] == (40,)
    assert all(f.severity != "error" for f in outcome.findings if f.columns != ("sbp",))
    error = next(f for f in outcome.findings if f.severity == "error")
    assert error.evidence["max_robust_z"] >= 10


def test_clean_data_of_the_same_shape_stays_below_warning():
    outcome = run_one("univariate_outliers", _frame(seed=4))
    assert outcome.evidence["columns_log_scale"] >= 1
    # by chance alone a clean column may reach 3.5 robust sd (info), never the warning tier
    for seed in range(8):
        assert all(f.severity == "info" for f in run_one("univariate_outliers", _frame(seed=seed)).findings)


def test_long_right_tail_is_not_an_error():
    rng = np.random.default_rng(5)
    frame = pl.DataFrame(
        {
            "ferritin": rng.lognormal(np.log(100), 1.2, 2000),
            "counts_with_zeros": np.where(rng.random(2000) < 0.3, 0.0, rng.lognormal(0, 1, 2000)),
        }
    )
    outcome = run_one("univariate_outliers", frame)
    assert all(f.severity in ("info", "warning") for f in outcome.findings)
    assert not any(f.severity == "error" for f in outcome.findings)


def test_not_applicable_without_numeric_features_or_rows():
    assert (
        run_one("univariate_outliers", pl.DataFrame({"s": ["a", "b"] * 20})).status == Status.NOT_APPLICABLE
    )
    assert (
        run_one("univariate_outliers", pl.DataFrame({"x": [1.0, 2.0, 3.0]})).status == Status.NOT_APPLICABLE
    )


def test_wide_data_is_summarised_per_tier():
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(300, 400))
    matrix[7, :60] = 50.0  # a gross outlier in 60 columns
    frame = pl.DataFrame(matrix, schema=[f"g{i}" for i in range(400)])
    outcome = run_one("univariate_outliers", frame)
    errors = [f for f in outcome.findings if f.severity == "error"]
    assert len(errors) == 1
    assert errors[0].rows == (7,)
    assert errors[0].columns == tuple(f"g{i}" for i in range(60))
    assert errors[0].evidence["columns"] == 60


def _real(name: str) -> pl.DataFrame:
    """An untouched real table of the trust benchmark corpus (its roles matter not to this check)."""
    (card,) = load_cards([name])
    roles = [c for v in card.roles.values() for c in (v if isinstance(v, list) else [v])]
    try:
        return load_table(card).drop(roles, strict=False)
    except TableUnavailable as exc:
        pytest.skip(str(exc))


def _slip(frame: pl.DataFrame, column: str, share: float, seed: int) -> tuple[pl.DataFrame, set[int]]:
    """Multiply by 100 a share of the records whose slipped value lands ten times beyond the column's
    maximum (the trust benchmark's gross_outlier)."""
    values = frame.get_column(column).cast(pl.Float64).to_numpy().copy()
    pool = np.flatnonzero(np.abs(values) * 100 >= 10 * np.nanmax(np.abs(values)))
    rows = np.random.default_rng(seed).choice(pool, size=max(1, round(share * frame.height)), replace=False)
    values[rows] *= 100
    return frame.with_columns(pl.Series(column, values)), set(rows.tolist())


@pytest.mark.parametrize(("table", "column"), [("rotterdam_breast", "pgr"), ("gbsg2", "progrec")])
def test_a_decimal_slip_on_a_column_spanning_decades_is_a_warning(table, column):
    """Receptor levels span 0-5,000: on the log scale a value ten times the maximum is only 3-4
    robust spreads out, but it stands a decade above every other value, which real tails never do."""
    frame = _real(table)
    quiet = run_one("univariate_outliers", frame)
    assert all(f.severity == "info" for f in quiet.findings if column in f.columns)
    dirty, planted = _slip(frame, column, 0.01, seed=3)
    outcome = run_one("univariate_outliers", dirty)
    alarms = [f for f in outcome.findings if column in f.columns and f.severity != "info"]
    assert alarms and {r for f in alarms for r in f.rows} == planted
    assert all(f.evidence["beyond_decade_gap"] == len(f.rows) for f in alarms)
    assert max(f.evidence["max_robust_z"] for f in alarms) < 6  # found by the gap, not by the z


def test_no_decade_gap_in_the_long_tails_of_real_labs():
    """mgus2 creatinine reaches ten times its 95th percentile (22 mg/dL) through a dense tail: no gap,
    no new alarm; flchain's kappa and lambda stay information (inside their disease ranges)."""
    for table in ("mgus2_mayo", "flchain_olmsted", "rotterdam_breast", "gbsg2", "aids_actg320"):
        outcome = run_one("univariate_outliers", _real(table))
        assert all(f.evidence.get("beyond_decade_gap", 0) == 0 for f in outcome.findings), table
        assert all(f.severity == "info" for f in outcome.findings), table


def test_a_decade_gap_is_a_warning_even_inside_a_disease_range():
    """A kappa light chain of 200-2,000 mg/dL is possible in myeloma (disease range 0-2,000), so a
    far value alone is information; ten times every other subject of the cohort, it is a slip to check."""
    dirty, planted = _slip(_real("flchain_olmsted"), "kappa", 0.005, seed=1)
    outcome = run_one("univariate_outliers", dirty)
    alarms = [f for f in outcome.findings if f.columns == ("kappa",) and f.severity != "info"]
    assert {r for f in alarms for r in f.rows} == planted


def test_the_decade_gap_is_found_alike_on_wide_and_tall_tables():
    """Wide tables (over 200 numeric columns) search the gap in the shared matrix, tall ones in one
    engine pass: the same slipped values are warnings either way."""
    rng = np.random.default_rng(8)
    matrix = rng.lognormal(0.0, 1.0, size=(300, 240))
    slipped = [5, 9, 50]
    matrix[slipped, 0] = 11 * matrix[:, 0].max() * np.array([1.0, 1.2, 1.4])  # a decade above, z < 6
    frame = pl.DataFrame(matrix, schema=[f"g{i}" for i in range(240)])
    for table in (frame, frame.select(frame.columns[:40])):
        alarms = [
            f
            for f in run_one("univariate_outliers", table).findings
            if "g0" in f.columns and f.severity != "info"
        ]
        assert {r for f in alarms for r in f.rows} == set(slipped), table.width


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("univariate_outliers")
def planted_univariate_outliers() -> Case:
    cols = base_cohort()
    cols["sbp_mmhg"][17] = 1300.0
    return planted_case(pl.DataFrame(cols), "sbp_mmhg")


@clean_twins("univariate_outliers")
def clean_univariate_outliers() -> tuple[Dataset, ...]:
    return (make_dataset(_frame(seed=4)),)
