"""Shared results answered once: the learning task, the reference fit store, severity and exit codes."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.conftest import make_dataset

from datacert.artifacts import Artifacts, is_class_target, learning_task, task_kind
from datacert.checks import _reference_model as ref
from datacert.findings import Severity
from datacert.prequalification._evaluate import folds, task_of
from datacert.scoring import exit_code_for


def test_a_float_target_with_15_values_is_regression_for_check_and_prequalify():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 15, 300) / 2.0  # 15 distinct half-points, e.g. a score
    frame = pl.DataFrame({"x": rng.normal(size=300), "y": y})
    data = make_dataset(frame, target="y")
    assert ref.target_task(data) == "regression"
    assert task_of(frame.get_column("y"), data.semantic_types["y"]).kind == "regression"
    assert task_of(frame.get_column("y")).kind == "regression"  # a bare column is typed the same way


def test_classes_are_binary_or_multiclass_everywhere():
    labels = pl.Series("y", ["a", "b", "c"] * 20)
    assert learning_task(labels, None) == "classification"
    assert task_kind(labels, None) == "multiclass"
    assert task_kind(pl.Series("y", [0, 1] * 30), None) == "binary"
    assert task_kind(pl.Series("y", [1] * 30), None) is None


def test_the_reference_fit_is_one_artifact_outside_the_dataset():
    rng = np.random.default_rng(1)
    frame = pl.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80), "y": rng.integers(0, 2, 80)})
    data = make_dataset(frame, target="y")
    fit = ref.reference_fit(data)
    assert Artifacts.of(data).get("reference_fit") is fit
    assert not [k for k in data._cache if "reference" in k or "task" in k], "nothing written into the Dataset"


def test_one_severity_rank_and_one_exit_code_mapping():
    assert [s.rank for s in (Severity.INFO, Severity.WARNING, Severity.ERROR, Severity.CRITICAL)] == [
        0,
        1,
        2,
        3,
    ]
    assert [exit_code_for(v) for v in ("release", "prequalify", "reject")] == [0, 3, 4]
    assert exit_code_for("prequalify", "reject") == 0


def test_check_and_prequalify_split_a_target_into_the_same_folds():
    rng = np.random.default_rng(2)
    n = 120
    frame = pl.DataFrame(
        {
            "pid": [f"P{i // 3}" for i in range(n)],
            "x": rng.normal(size=n),
            "y": rng.integers(0, 2, n),
        }
    )
    data = make_dataset(frame, target="y", group="pid")
    fit = ref.reference_fit(data)
    plan = Artifacts.of(data).get("folds")
    assert plan.grouped and plan.splitter == "StratifiedGroupKFold" and fit.n_splits == plan.n_splits
    assert np.array_equal(fit.folds, plan.fold_index())
    groups = frame.get_column("pid").to_numpy()
    for train, test in plan.splits:  # a patient's records never straddle a fold
        assert not set(groups[train]) & set(groups[test])
    task = task_of(frame.get_column("y"), data.semantic_types["y"])
    same = folds(task, groups)
    assert all(
        np.array_equal(a_test, b_test)
        for (_, a_test), (_, b_test) in zip(plan.splits, same.splits, strict=True)
    )


def test_per_class_tests_take_their_class_cut_off_from_the_learning_task():
    rng = np.random.default_rng(3)
    score = pl.Series("y", rng.integers(0, 15, 200) / 2.0)  # 15 values of a number: regression
    assert learning_task(score, None) == "regression" and not is_class_target(score, None)
    many = pl.Series("y", [f"c{i % 30}" for i in range(300)])  # 30 text classes: still classes
    assert is_class_target(many, None)
    assert not is_class_target(pl.Series("y", [f"c{i % 60}" for i in range(300)]), None)


def test_a_finished_dataset_is_freed_with_its_artifacts():
    # the store index is module-level: it must not keep datasets (and their fits) alive
    import gc

    from datacert.artifacts import _store

    before = len(_store._STORES)
    data = make_dataset(pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]}), target="y")
    store = _store.Artifacts.of(data)
    store.get("task")
    store.get("row_sample")
    assert len(_store._STORES) == before + 1
    del data, store
    gc.collect()
    assert len(_store._STORES) == before
