"""group_leakage: a patient with records in two partitions; rows = all records of such patients."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one


def _frame(seed=0):
    rng = np.random.default_rng(seed)
    patients = np.repeat(np.arange(60), 3)
    part = np.where(rng.random(60) < 0.7, "train", "test")[patients]
    return pl.DataFrame(
        {
            "patient": [f"P{p:03d}" for p in patients],
            "visit_value": rng.normal(size=patients.size),
            "split": part,
            "y": rng.integers(0, 2, patients.size),
        }
    )


def test_fires_with_every_record_of_leaking_patients():
    frame = _frame()
    split = frame["split"].to_numpy().copy()
    patients = frame["patient"].to_numpy()
    leaking = ["P004", "P017"]
    for p in leaking:
        first = np.flatnonzero(patients == p)[0]
        split[first] = "test" if split[first] == "train" else "train"
    out = run_one(
        "group_leakage", frame.with_columns(pl.Series("split", split)), split="split", group="patient"
    )
    assert out.status == "fired"
    (f,) = out.findings
    assert f.severity == "error"
    assert set(f.rows) == set(np.flatnonzero(np.isin(patients, leaking)).tolist())
    assert f.columns == ("patient", "split")
    assert f.evidence["numerator"] == 2 and f.evidence["denominator"] == 60


def test_quiet_when_each_patient_stays_in_one_partition():
    assert run_one("group_leakage", _frame(), split="split", group="patient").status == "quiet"


def test_not_applicable_without_group():
    assert run_one("group_leakage", _frame(), split="split").status == "not_applicable"


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("group_leakage")
def planted_group_leakage() -> Case:
    rng = seeded(0)
    patients = np.repeat(np.arange(60), 3)
    split = np.where(rng.random(60) < 0.7, "train", "test")[patients]
    split[0] = "test" if split[0] == "train" else "train"
    frame = pl.DataFrame(
        {"patient": [f"P{p:03d}" for p in patients], "x": rng.normal(size=180), "split": split}
    )
    return planted_case(frame, "patient", split="split", group="patient")
