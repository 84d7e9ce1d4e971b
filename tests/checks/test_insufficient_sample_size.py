"""insufficient_sample_size: learning curve, inverse power law, records needed with an interval."""

from __future__ import annotations

import numpy as np
from tests.checks._issue4_data import breast_cancer, frame_of
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one

from datacert.checks.representativeness.insufficient_sample_size import _fit_curve, _needed, power_law


def test_curve_fit_recovers_a_known_law():
    sizes = np.array([50.0, 100, 150, 200, 250])
    scores = power_law(sizes, 0.9, 3.0, 0.7)[None, :] + np.zeros((5, 1))
    a, b, c = _fit_curve(sizes, scores, polish=True)
    assert abs(a - 0.9) < 1e-3 and abs(c - 0.7) < 0.05
    assert abs(_needed((a, b, c), 0.01) - (3.0 / 0.01) ** (1 / 0.7)) / 3500 < 0.2


def test_fires_when_the_curve_still_climbs():
    rng = np.random.default_rng(0)
    n, p = 150, 40
    X = rng.normal(size=(n, p))
    y = (X @ rng.normal(size=p) * 0.4 + rng.normal(size=n) > 0).astype(int)
    outcome = run_one("insufficient_sample_size", frame_of(X, y=y), target="y")
    (finding,) = outcome.findings
    assert str(finding.severity) == "warning" and finding.columns == ("y",)
    ev = finding.evidence
    assert ev["records_needed"] > 150
    low, high = ev["records_needed_interval"]
    assert low <= ev["records_needed"] <= high
    assert len(ev["curve_sizes"]) == 5


def test_quiet_on_breast_cancer_which_has_plateaued():
    outcome = run_one("insufficient_sample_size", breast_cancer(), target="y")
    assert outcome.status == "quiet"
    assert outcome.evidence["plateau"] > 0.97 and outcome.evidence["records_needed"] < 569


def test_no_signal_is_critical_and_rejects():
    import datacert

    rng = np.random.default_rng(5)
    frame = frame_of(rng.normal(size=(400, 10)), y=rng.integers(0, 2, 400))
    outcome = run_one("insufficient_sample_size", frame, target="y")
    (finding,) = outcome.findings
    assert str(finding.severity) == "critical"
    cert = datacert.check(frame, target="y")
    assert cert.verdict == "reject"
    assert any("no learnable signal" in r for r in cert.reasons)


def test_not_applicable_without_target():
    assert run_one("insufficient_sample_size", breast_cancer()).status == "not_applicable"


def test_far_extrapolations_are_reported_as_a_lower_bound_only():
    rng = np.random.default_rng(2)
    n, p = 150, 40
    X = rng.normal(size=(n, p))
    y = (X @ rng.normal(size=p) * 0.4 + rng.normal(size=n) > 0).astype(int)
    outcome = run_one(
        "insufficient_sample_size", frame_of(X, y=y), params={"max_extrapolation": 1.0}, target="y"
    )
    (finding,) = outcome.findings
    assert "far more than" in finding.message
    assert finding.evidence["records_needed_beyond_extrapolation_limit"] is True


def test_a_plateau_on_its_bound_claims_no_count():
    rng = np.random.default_rng(1)
    n, p = 150, 40
    X = rng.normal(size=(n, p))
    y = (X @ rng.normal(size=p) * 0.4 + rng.normal(size=n) > 0).astype(int)
    (finding,) = run_one("insufficient_sample_size", frame_of(X, y=y), target="y").findings
    assert "cannot be estimated" in finding.message and finding.evidence["plateau_identified"] is False


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("insufficient_sample_size")
def planted_insufficient_sample_size() -> Case:
    rng = seeded(0)
    X = rng.normal(size=(150, 40))
    y = (X @ rng.normal(size=40) * 0.4 + rng.normal(size=150) > 0).astype(int)
    return planted_case(frame_of(X, y=y), "y", target="y")
