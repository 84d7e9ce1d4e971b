"""conflicting_labels: identical features, different targets."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, clean_twins, planted, planted_case
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.findings import Status


def _frame(n: int = 80, seed: int = 6) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "age": rng.integers(20, 90, n),
            "sex": rng.choice(["F", "M"], n),
            "glucose": rng.normal(100, 15, n).round(0),
            "label": rng.integers(0, 2, n),
        }
    )


def _copy_features(frame: pl.DataFrame, source: int, target: int, label: int) -> pl.DataFrame:
    rows = frame.rows(named=True)
    rows[target] = {**rows[source], "id": rows[target]["id"], "label": label}
    return pl.DataFrame(rows, schema=frame.schema)


def test_fires_with_every_member_of_each_conflicting_group():
    frame = _frame()
    frame = _copy_features(frame, 2, 30, 1 - frame["label"][2])
    frame = _copy_features(frame, 2, 31, frame["label"][2])
    frame = _copy_features(frame, 5, 60, frame["label"][5])  # same features, same label: no conflict
    outcome = run_one("conflicting_labels", frame, target="label", id="id")
    (finding,) = outcome.findings
    assert finding.rows == (2, 30, 31)
    assert finding.columns == ("label",)
    assert finding.evidence["groups"] == 1
    assert outcome.evidence["duplicate_feature_groups"] == 2


def test_not_applicable_without_target():
    assert run_one("conflicting_labels", _frame(), id="id").status == Status.NOT_APPLICABLE


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("conflicting_labels")
def planted_conflicting_labels() -> Case:
    cols = base_cohort(200)
    for source, copy in ((0, 100), (1, 101), (2, 102)):
        for c in ("age", "sex", "weight_kg", "sbp_mmhg"):
            cols[c][copy] = cols[c][source]
        cols["y"][copy] = 1 - cols["y"][source]
    return planted_case(pl.DataFrame(cols), "y", target="y", id="record_id")


@clean_twins("conflicting_labels")
def clean_conflicting_labels() -> tuple[Dataset, ...]:
    return (make_dataset(_frame(), target="label", id="id"),)
