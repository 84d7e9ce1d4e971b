"""The stratified row sampler behind every row budget: seeded, stratified, whole patients, one place."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.conftest import make_dataset

from datacert.artifacts import auc_rows, row_sample, rows_matrix, share_rows
from datacert.checks import _reference_model as ref


def _table(n: int = 5_000, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.1, "rare", "common")
    y[:12] = "tiny"  # a class far below any proportional share
    return pl.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "site": rng.choice(["A", "B", "C"], n, p=[0.7, 0.25, 0.05]),
            "patient": rng.integers(0, n // 4, n),
            "y": y,
        }
    )


def test_a_table_within_budget_is_not_sampled():
    data = make_dataset(_table(300), target="y")
    sample = row_sample(data, 1_000)
    assert not sample.sampled and sample.rows.tolist() == list(range(300))
    assert sample.evidence() == {}


def test_the_sample_is_seeded_and_the_same_for_the_same_table():
    first = row_sample(make_dataset(_table(), target="y"), 800)
    again = row_sample(make_dataset(_table(), target="y"), 800)
    assert np.array_equal(first.rows, again.rows)
    assert first.rows.size == 800 and np.all(np.diff(first.rows) > 0)
    assert first.evidence() == {"sampled_rows": 800, "population_rows": 5_000}


def test_classes_and_sites_keep_their_shares_and_small_strata_survive():
    frame = _table()
    data = make_dataset(frame, target="y", split="site")
    rows = row_sample(data, 1_000).rows
    picked = frame[rows]
    assert picked.filter(pl.col("y") == "tiny").height == 12  # kept whole (below MIN_PER_STRATUM)
    for column in ("y", "site"):
        full = frame.get_column(column).value_counts(normalize=True).sort(column)
        part = picked.get_column(column).value_counts(normalize=True).sort(column)
        assert np.allclose(full["proportion"].to_numpy(), part["proportion"].to_numpy(), atol=0.03)


def test_patients_enter_the_sample_whole():
    rng = np.random.default_rng(3)
    visits = rng.integers(1, 6, 1_500)  # 1,500 patients with 1 to 5 records each
    patient = np.repeat(np.arange(visits.size), visits)
    outcome = rng.random(visits.size) < 0.3
    frame = pl.DataFrame({"x": rng.normal(size=patient.size), "patient": patient, "y": outcome[patient]})
    rows = row_sample(make_dataset(frame, target="y", group="patient"), 1_000).rows
    taken = np.bincount(patient[rows], minlength=visits.size)
    cut = np.flatnonzero((taken > 0) & (taken < visits))
    assert cut.size <= 2  # only where a class's allocation ends inside a patient


def test_budgets_follow_the_precision_asked():
    assert auc_rows(0.01, 0.5) == 3_334  # 1 / (12 · 0.01² · 0.25)
    assert auc_rows(0.005, 0.2) > auc_rows(0.01, 0.2) * 3.9
    assert share_rows(0.001, 0.01) == 9_900


def test_the_reference_fit_records_its_sample_and_population(monkeypatch):
    monkeypatch.setattr(ref, "MAX_ROWS", 600)
    data = make_dataset(_table(2_000).drop("patient", "site"), target="y")
    fit = ref.reference_fit(data)
    evidence = fit.evidence()
    assert evidence["sampled_rows"] == 600 and evidence["population_rows"] == 2_000
    assert np.array_equal(fit.rows, row_sample(data, 600).rows)


def test_a_sampled_design_holds_only_the_records_the_models_learn_from(monkeypatch):
    monkeypatch.setattr(ref, "MAX_ROWS", 500)
    data = make_dataset(_table(2_000).drop("patient", "site"), target="y")
    fit = ref.reference_fit(data)
    design = ref.design_of(data)
    assert design.matrix.shape[0] == 500 and np.array_equal(design.rows, fit.rows)
    assert np.array_equal(design.take(fit.rows[::7]), design.matrix[::7])


def test_rows_matrix_holds_the_numeric_matrix_rows_of_a_sample():
    rng = np.random.default_rng(3)
    n = 1_000
    frame = pl.DataFrame(
        {
            "a": pl.Series(rng.normal(size=n)).set(pl.Series(rng.random(n) < 0.1), None),
            "b": rng.integers(0, 5, n),
            "c": pl.Series(rng.random(n) < 0.5),
            "y": rng.integers(0, 2, n),
        }
    )
    data = make_dataset(frame, target="y")
    rows = np.sort(rng.choice(n, 137, replace=False))
    block = rows_matrix(data, ["a", "b", "c"], rows)
    assert block.flags["C_CONTIGUOUS"] and block.dtype == np.float64
    assert np.array_equal(block, data.numeric_matrix(["a", "b", "c"])[rows], equal_nan=True)
    assert rows_matrix(data, ["a"], np.arange(n)) is data.numeric_matrix(
        ["a"]
    )  # every row: the shared matrix
