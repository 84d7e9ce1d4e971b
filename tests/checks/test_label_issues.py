"""label_issues: confident learning on out-of-fold probabilities; residuals for numeric targets."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._issue4_data import breast_cancer, breast_cancer_labels, diabetes, frame_of
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one


def _flipped(share: float, seed: int = 0):
    labels = breast_cancer_labels()
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(labels.size, round(share * labels.size), replace=False))
    labels[flipped] = 1 - labels[flipped]
    return labels, flipped


def test_finds_flipped_labels_in_breast_cancer_with_good_precision_and_recall():
    labels, flipped = _flipped(0.05)
    outcome = run_one("label_issues", breast_cancer(labels), target="y")
    assert outcome.status == "fired"
    (finding,) = outcome.findings
    assert finding.columns == ("y",)
    rows = np.array(finding.rows)
    hits = np.isin(rows, flipped).sum()
    precision, recall = hits / rows.size, hits / flipped.size
    assert recall >= 0.6 and precision >= 0.5, (precision, recall)
    assert finding.evidence["reliable"] is True and finding.evidence["cv_auroc"] > 0.9
    assert str(finding.severity) == "warning"


def test_heavy_noise_with_a_reliable_model_is_serious():
    labels, _ = _flipped(0.15, seed=1)
    outcome = run_one("label_issues", breast_cancer(labels), target="y")
    (finding,) = outcome.findings
    assert finding.evidence["reliable"] is True
    assert str(finding.severity) in ("error", "critical")


def test_clean_breast_cancer_gives_at_most_a_warning():
    outcome = run_one("label_issues", breast_cancer(), target="y")
    assert all(str(f.severity) in ("info", "warning") for f in outcome.findings)
    assert outcome.evidence["share"] < 0.02


def test_unreliable_model_only_gives_info():
    rng = np.random.default_rng(0)
    frame = frame_of(rng.normal(size=(150, 8)), y=rng.integers(0, 2, 150))
    outcome = run_one("label_issues", frame, target="y")
    assert outcome.evidence["reliable"] is False
    assert all(str(f.severity) == "info" for f in outcome.findings)


def test_regression_flags_corrupted_targets():
    frame = diabetes()
    y = frame.get_column("y").to_numpy().copy()
    corrupted = np.array([10, 50, 200, 333])
    y[corrupted] = y[corrupted] + 400
    outcome = run_one("label_issues", frame.with_columns(pl.Series("y", y)), target="y")
    assert outcome.status == "fired"
    assert set(corrupted) <= set(outcome.findings[0].rows)
    assert outcome.findings[0].evidence["reliable"] is True


def test_clean_regression_is_quiet():
    assert run_one("label_issues", diabetes(), target="y").status == "quiet"


def test_not_applicable_without_target():
    assert run_one("label_issues", breast_cancer()).status == "not_applicable"


def _precision_recall(finding, flipped):
    rows = np.array(finding.rows)
    hits = np.isin(rows, flipped).sum()
    return hits / max(1, rows.size), hits / flipped.size


def test_planted_flips_in_a_real_table_keep_precision_and_recall_above_three_quarters():
    hits = flagged = planted = 0
    for seed in (100, 102):
        labels, flipped = _flipped(0.05, seed=seed)
        (finding,) = run_one("label_issues", breast_cancer(labels), target="y").findings
        precision, _recall = _precision_recall(finding, flipped)
        hits += precision * len(finding.rows)
        flagged += len(finding.rows)
        planted += flipped.size
        assert finding.evidence["excess_test"][0]["p_value"] < 1e-3
    assert hits / flagged >= 0.75 and hits / planted >= 0.75, (hits / flagged, hits / planted)


def test_a_column_copying_the_recorded_label_is_left_out_so_flips_stay_visible():
    labels, flipped = _flipped(0.05, seed=3)
    rng = np.random.default_rng(3)
    copy = np.where(labels == 1, rng.choice(["B1", "B2"], labels.size), rng.choice(["M1", "M2"], labels.size))
    frame = breast_cancer(labels).with_columns(pl.Series("review_code", copy))
    (finding,) = run_one("label_issues", frame, target="y").findings
    assert finding.evidence["excluded_columns"] == {"review_code": "the target can be read off it exactly"}
    precision, recall = _precision_recall(finding, flipped)
    assert precision >= 0.6 and recall >= 0.6


def test_aleatoric_outcome_is_noisy_by_nature_not_mislabelled():
    # a strong-ish model of a truly random outcome: P(y | x) = sigmoid(2 x), no label is wrong
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 5))
    y = (rng.random(800) < 1 / (1 + np.exp(-2.5 * X[:, 0] - 1.5 * X[:, 1]))).astype(int)
    outcome = run_one("label_issues", frame_of(X, y=y), target="y")
    assert outcome.evidence["cv_auroc"] > 0.8
    assert all(str(f.severity) == "info" for f in outcome.findings)
    assert outcome.evidence["excess_test"][0]["p_value"] > 1e-3


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("label_issues")
def planted_label_issues() -> Case:
    labels = breast_cancer_labels()
    flipped = seeded(0).choice(labels.size, round(0.05 * labels.size), replace=False)
    labels[flipped] = 1 - labels[flipped]
    return planted_case(breast_cancer(labels), "y", target="y")


def test_a_sampled_fit_names_flipped_records_outside_its_sample(monkeypatch):
    # breast cancer with a row budget of 400: the reference model learns from a stratified sample
    # of 400 records, and the other 169 are scored by the model fitted on the whole sample
    from datacert.checks import _reference_model

    monkeypatch.setattr(_reference_model, "MAX_ROWS", 400)
    labels, flipped = _flipped(0.05)
    outcome = run_one("label_issues", breast_cancer(labels), target="y")
    (finding,) = outcome.findings
    evidence = finding.evidence
    assert evidence["sampled_rows"] == 400 and evidence["population_rows"] == labels.size
    assert evidence["population_scored"] == labels.size - 400
    rows = np.array(finding.rows)
    assert evidence["population_flagged"] >= 1
    assert rows.size == evidence["numerator"] + evidence["population_flagged"]
    hits = np.isin(rows, flipped).sum()
    precision, recall = hits / rows.size, hits / flipped.size
    assert recall >= 0.6 and precision >= 0.5, (precision, recall)
