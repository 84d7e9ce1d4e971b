"""train_test_overlap: identical records across partitions, rows = every member of every group."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "record_id": [f"R{i:04d}" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "sbp": rng.normal(130, 15, n).round(1),
            "crp": rng.lognormal(2, 1, n).round(2),
            "split": np.where(rng.random(n) < 0.7, "train", "test"),
            "y": rng.integers(0, 2, n),
        }
    )


def test_fires_on_records_copied_into_another_partition():
    frame = _frame()
    train = np.flatnonzero(frame["split"].to_numpy() == "train")[:3]
    test = np.flatnonzero(frame["split"].to_numpy() == "test")[:3]
    values = frame.to_dict(as_series=False)
    for a, b in zip(train, test, strict=True):
        for col in ("age", "sbp", "crp"):
            values[col][b] = values[col][a]
        values["y"][b] = 1 - values["y"][a]  # a different label does not hide the copy
    # a copy within one partition is not an overlap
    same = np.flatnonzero(frame["split"].to_numpy() == "train")[5:7]
    for col in ("age", "sbp", "crp"):
        values[col][same[1]] = values[col][same[0]]
    out = run_one("train_test_overlap", pl.DataFrame(values), split="split", target="y")
    assert out.status == "fired"
    (f,) = out.findings
    assert f.severity == "error"
    assert set(f.rows) == set(train.tolist()) | set(test.tolist())
    assert f.columns == ("split",)
    assert f.evidence["groups"] == 3 and f.evidence["partitions_shared"] == {"test / train": 3}


def test_quiet_without_cross_partition_copies():
    out = run_one("train_test_overlap", _frame(), split="split", target="y")
    assert out.status == "quiet"


def test_not_applicable_without_split_or_with_one_partition():
    assert run_one("train_test_overlap", _frame()).status == "not_applicable"
    one = _frame().with_columns(pl.lit("train").alias("split"))
    assert run_one("train_test_overlap", one, split="split").status == "not_applicable"


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("train_test_overlap")
def planted_train_test_overlap() -> Case:
    rng = seeded(0)
    frame = pl.DataFrame(
        {
            "age": rng.integers(18, 90, 200),
            "sbp": rng.normal(130, 15, 200).round(1),
            "split": ["train", "test"] * 100,
        }
    )
    copy = frame[0].with_columns(pl.lit("test").alias("split"))
    return planted_case(pl.concat([frame, copy]), "split", split="split")
