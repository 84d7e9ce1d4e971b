"""Shared results answered once: the learning task, the reference fit store, severity and exit codes."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.conftest import make_dataset

from datacert.artifacts import Artifacts, learning_task, task_kind
from datacert.checks import _reference_model as ref
from datacert.findings import Severity
from datacert.prequalification._evaluate import task_of
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
