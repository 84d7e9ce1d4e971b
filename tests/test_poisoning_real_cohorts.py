"""poisoning_suspected on real cohorts: risk that is monotone in a feature is not tampering."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tests._real_cohorts import COHORTS, MissingCohort, load
from tests.conftest import run_one


def _cohort(name: str) -> pl.DataFrame:
    try:
        return load(name)
    except MissingCohort as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", ["whas500", "gbsg2", "lung", "rossi", "larynx", "breast_cancer_wdbc"])
def test_real_cohorts_show_no_tampering(name):
    cohort = COHORTS[name]
    outcome = run_one("poisoning_suspected", _cohort(name), target=cohort.target)
    assert all(str(f.severity) in ("info", "warning") for f in outcome.findings)
    assert not [f for f in outcome.findings if "rare value pattern" in f.message]


def test_every_very_old_patient_dying_is_risk_not_a_trigger():
    # WHAS500: make every patient aged 92 or more die (a few % of the cohort), as in a real registry
    frame = _cohort("whas500")
    old = frame.get_column("age").to_numpy() >= 92
    assert 0.01 < old.mean() <= 0.05
    frame = frame.with_columns(pl.Series("fstat", np.where(old, 1, frame.get_column("fstat").to_numpy())))
    outcome = run_one("poisoning_suspected", frame, target="fstat")
    assert all(str(f.severity) != "critical" for f in outcome.findings)
    assert not [f for f in outcome.findings if "age" in f.columns and "rare value" in f.message]
