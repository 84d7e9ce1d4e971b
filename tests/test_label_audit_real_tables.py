"""Label quality on the trust benchmark's real tables: label_issues audits labels only where the
outcome is predictable enough and says so where it is not; class_imbalance finds positives made
rare by an extract, including in cohorts whose events are the majority."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.trust.injectors import INJECTORS, NotApplicable
from benchmarks.trust.runner import Task, run_task, untouched_statement
from tests.conftest import run_one
from tests.test_trust_detection import RANK, _alarms, _planted, _table, _worst


@pytest.mark.parametrize("name", ["pima_training", "birthweight"])
def test_labels_of_a_weakly_predictable_outcome_are_said_not_auditable(name):
    """Pima (AUROC about 0.8) and birthweight: a flip rate of 5-10 % hides in the outcome's own
    uncertainty, so the user is told that the labels could not be audited, never "not mislabelled"."""
    card, clean = _table(name)
    outcome = run_one("label_issues", clean, **card.roles)
    assert _alarms(outcome) == []
    assert outcome.evidence["auditable"] is False
    assert "AUROC" in outcome.evidence["not_auditable_reason"]
    (finding,) = outcome.findings
    assert str(finding.severity) == "info" and "could not be audited" in finding.message
    assert finding.evidence["reports_defect"] is False
    assert "not mislabelled" not in finding.message


@pytest.mark.parametrize("name", ["breast_cancer_wisconsin", "breast_biopsy_wisconsin"])
def test_strong_cytology_models_audit_labels_and_raise_nothing_on_the_tables_as_shipped(name):
    card, clean = _table(name)
    outcome = run_one("label_issues", clean, **card.roles)
    assert outcome.evidence["auditable"] is True and outcome.evidence["cv_auroc"] > 0.95
    assert _alarms(outcome) == []


def test_five_percent_flipped_biopsy_labels_are_named_for_review():
    _table("breast_biopsy_wisconsin")
    planted = _planted("breast_biopsy_wisconsin", "label_flips_uniform", 0.05)
    outcome = run_one("label_issues", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) == "warning"
    (finding,) = outcome.findings
    found, flipped = set(finding.rows), set(planted.rows)
    assert len(found & flipped) >= 0.75 * len(flipped) and len(found & flipped) >= 0.6 * len(found)


def test_the_benchmark_reports_flips_on_a_table_the_check_cannot_audit_as_not_auditable():
    _table("pima_training")
    statement = untouched_statement("pima_training", "label_issues")
    assert statement is not None and statement.startswith("not auditable") and "AUROC" in statement
    record = run_task(Task("pima_training", "label_flips_uniform", 0.05, 0))
    assert record["status"] == "not_applicable" and record["reason"] == statement
    assert untouched_statement("breast_cancer_wisconsin", "label_issues") is None
    assert run_task(Task("breast_cancer_wisconsin", "label_flips_uniform", 0.05, 0))["severity"] == "warning"


@pytest.mark.parametrize(
    ("name", "ratio", "severity"), [("mgus2_mayo", 10.0, "warning"), ("veteran_lung", 5.0, "error")]
)
def test_deaths_made_rare_are_found_in_cohorts_where_most_patients_died(name, ratio, severity):
    """mgus2 (963 deaths of 1,384) and veteran (128 of 137): the positives are the events, not the
    censored patients, and the planted ratio is at least the size (veteran's 9 censored patients
    leave one death at 5 to one: a class too small to learn)."""
    card, clean = _table(name)
    assert _alarms(run_one("class_imbalance", clean, **card.roles)) == []
    planted = _planted(name, "rare_positives", ratio)
    status = planted.frame.get_column(card.roles["target"]).to_numpy()
    events, censored = int((status == 1).sum()), int((status == 0).sum())
    assert events >= 1 and censored / events >= ratio
    outcome = run_one("class_imbalance", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns) == severity
    if name == "veteran_lung":
        with pytest.raises(NotApplicable, match="cannot outnumber"):
            INJECTORS["rare_positives"].apply(clean, card, 10.0, np.random.default_rng(0))


def test_an_imbalance_ratio_the_table_already_exceeds_is_not_planted():
    """aids_actg320 has 11 censored patients per event: no extract can make that ratio 10."""
    card, frame = _table("aids_actg320")
    with pytest.raises(NotApplicable, match="already rarer"):
        INJECTORS["rare_positives"].apply(frame, card, 10.0, np.random.default_rng(0))
    planted = _planted("aids_actg320", "rare_positives", 20.0)
    outcome = run_one("class_imbalance", planted.frame, **planted.roles)
    assert RANK[_worst(outcome, planted.columns) or "info"] >= RANK["warning"]


def test_a_strong_model_that_sees_no_excess_says_so_without_calling_the_labels_clean():
    """2 % flips on the biopsy table (seed 0): the noise-floor test is not significant, so the check
    says no error beyond the outcome's noise is detectable; the benchmark counts it as a miss."""
    planted = _planted("breast_biopsy_wisconsin", "label_flips_uniform", 0.02)
    outcome = run_one("label_issues", planted.frame, **planted.roles)
    assert outcome.evidence["auditable"] is True
    (finding,) = outcome.findings
    assert str(finding.severity) == "info" and finding.rows == ()
    assert "no label errors beyond that noise are detectable" in finding.message
    assert "not mislabelled" not in finding.message and finding.evidence["reports_defect"] is False
    record = run_task(Task("breast_biopsy_wisconsin", "label_flips_uniform", 0.02, 0))
    assert record["status"] == "done" and record["severity"] is None and record["recall"] == 0.0
