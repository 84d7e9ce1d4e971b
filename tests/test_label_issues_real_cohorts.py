"""label_issues on real prognostic cohorts: disagreement with a model of death or relapse is the
outcome's own uncertainty, never a label-quality gate (scikit-survival and lifelines tables)."""

from __future__ import annotations

import pytest
from tests._real_cohorts import COHORTS, MissingCohort, load
from tests.conftest import run_one

# cohorts under 1,000 records (taller ones add gradient boosting to the reference model, which is slow)
SURVIVAL = ["whas500", "gbsg2", "lung", "lymph_node", "larynx"]


@pytest.mark.parametrize("name", SURVIVAL)
def test_prognostic_cohorts_are_never_called_mislabelled(name):
    cohort = COHORTS[name]
    try:
        frame = load(name)
    except MissingCohort as exc:
        pytest.skip(str(exc))
    outcome = run_one("label_issues", frame, target=cohort.target)
    assert all(str(f.severity) == "info" for f in outcome.findings), [f.message for f in outcome.findings]
    assert outcome.evidence["outcome"] == "time-to-event (censored)"
    assert cohort.duration in outcome.evidence["excluded_columns"]
