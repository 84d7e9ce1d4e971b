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


# -- the shared per-fold preparation ---------------------------------------------------------


def _wide_fit(n: int = 60, p: int = 400):
    """A p > n design, its models and one fold (GramPCA is among the candidates)."""
    from datacert.checks._reference_model import Design, candidate_models

    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, p))
    X[rng.random((n, p)) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, :5]).sum(axis=1) + rng.normal(size=n) > 0).astype(np.int64)
    design = Design(X, tuple(f"g{j}" for j in range(p)), ())
    models = candidate_models("classification", design, n, 2)
    train, test = np.arange(n)[np.arange(n) % 4 != 0], np.arange(n)[np.arange(n) % 4 == 0]
    return X, y, models, train, test


def test_the_whole_fold_point_is_the_pipelines_own_fit_and_other_models_refit_on_every_subset():
    from datacert.checks._reference_model import fit_predict
    from datacert.checks.representativeness.insufficient_sample_size import _fold_curve

    X, y, models, train, test = _wide_fit()
    subset = train[::2]
    assert set(models) == {"l1_logistic", "ridge_logistic_pca"}
    for name, factory in models.items():
        whole, part = _fold_curve(factory, X, y, train, test, [train, subset], "classification", 2)
        assert np.array_equal(whole, fit_predict(factory, X, y, train, test, "classification", 2))
        own = fit_predict(factory, X, y, subset, test, "classification", 2)
        # L1's selection follows the scales: its subsets keep a preparation of their own
        assert np.array_equal(part, own) == (name != "ridge_logistic_pca")


def test_a_subsets_components_from_the_shared_gram_are_gram_pca_on_the_subset():
    from datacert.checks._estimators import GramPCA, MedianStandardizer
    from datacert.checks.representativeness.insufficient_sample_size import _gram_components

    X, _, _, train, test = _wide_fit()
    prepare = MedianStandardizer(unit_rows=True)
    block, held = prepare.fit_transform(X[train]), prepare.transform(X[test])
    index = np.arange(0, train.size, 3)
    scores, projected = _gram_components(block, block @ block.T, held @ block.T, index)
    pca = GramPCA()
    expected = pca.fit_transform(block[index])
    assert np.abs(pca.mean_).max() > 0  # the subset is off centre: the centred branch is tested
    # components are defined up to sign: compare the Gram of the scores and the projections' products
    assert np.allclose(scores @ scores.T, expected @ expected.T, atol=1e-10)
    # the held-out records centred on the subset's mean, projected on its components
    centred = (held - pca.mean_) @ pca.train_.T @ pca.projector_
    assert np.allclose(projected @ projected.T, centred @ centred.T, atol=1e-10)
