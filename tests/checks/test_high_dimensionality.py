"""high_dimensionality: p/n regimes, Gavish–Donoho signal rank from the Gram matrix, effective dimension."""

from __future__ import annotations

import numpy as np
from tests.checks._issue4_data import breast_cancer, frame_of, gaussian
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one


def test_hdlss_warns_and_recovers_the_signal_rank():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 6)) @ rng.normal(size=(6, 2500)) * 0.6 + rng.normal(size=(100, 2500))
    outcome = run_one("high_dimensionality", frame_of(X, y=rng.integers(0, 2, 100)), target="y")
    (finding,) = outcome.findings
    assert str(finding.severity) == "warning"
    ev = finding.evidence
    assert ev["p"] == 2500 and ev["n"] == 100 and ev["p_over_n"] == 25.0
    assert ev["signal_rank"] == 6
    assert ev["participation_ratio"] > 1 and ev["components_90_percent"] > 6
    assert ev["events_per_signal_dimension"] > 0
    assert finding.columns == ()  # too many to list


def test_extreme_hdlss_without_structure_is_an_error():
    X = np.random.default_rng(1).normal(size=(60, 1500))
    (finding,) = run_one("high_dimensionality", frame_of(X)).findings
    assert str(finding.severity) == "error" and finding.evidence["signal_rank"] == 0


def test_moderate_ratio_is_info_and_classical_is_quiet():
    (finding,) = run_one("high_dimensionality", frame_of(gaussian(100, 30))).findings
    assert str(finding.severity) == "info"
    outcome = run_one("high_dimensionality", breast_cancer(), target="y")
    assert outcome.status == "quiet" and outcome.evidence["regime"] == "classical"
    assert 3 <= outcome.evidence["signal_rank"] <= 20


def test_spectrum_matches_a_direct_svd():
    from datacert.checks._spectral import singular_values

    X = np.random.default_rng(2).normal(size=(20, 300))
    X -= X.mean(axis=0)
    assert np.allclose(singular_values(X)[:19], np.linalg.svd(X, compute_uv=False)[:19])


def test_a_tall_table_spectrum_comes_from_the_shared_sample(monkeypatch):
    from datacert.checks.informativeness import high_dimensionality as module

    rng = np.random.default_rng(3)
    X = rng.normal(size=(4_000, 3)) @ rng.normal(size=(3, 12)) * 2 + rng.normal(size=(4_000, 12))
    frame = frame_of(X, y=rng.integers(0, 2, 4_000))
    whole = run_one("high_dimensionality", frame, target="y")
    assert "population_rows" not in whole.evidence
    monkeypatch.setattr(module, "SPECTRUM_MIN_ROWS", 1_000)
    monkeypatch.setattr(module, "ROWS_PER_FEATURE", 10)
    outcome = run_one("high_dimensionality", frame, target="y")
    assert outcome.evidence["signal_rank"] == whole.evidence["signal_rank"]  # same structure found
    assert outcome.evidence["sampled_rows"] == 1_000 and outcome.evidence["population_rows"] == 4_000


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("high_dimensionality")
def planted_high_dimensionality() -> Case:
    return planted_case(frame_of(seeded(1).normal(size=(60, 1500))))


def test_the_standardised_block_s_gram_is_built_once_and_the_block_is_not_held():
    """high_dimensionality, distribution_shift and the poisoning screen share one Gram product."""
    import polars as pl
    from tests.conftest import make_dataset

    from datacert.checks import _spectral

    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 300))
    X[rng.random(X.shape) < 0.1] = np.nan
    data = make_dataset(
        frame_of(X, y=rng.integers(0, 2, 40)).with_columns(pl.all().fill_nan(None)), target="y"
    )
    columns = data.numeric_feature_columns()
    expected = _spectral.standardize(_spectral.median_impute(data.numeric_matrix(columns)))
    block = _spectral.standardized_matrix(data, columns)
    assert np.array_equal(block, expected) and block.flags.writeable  # a copy of the caller's own
    gram = _spectral.standardized_gram(data, columns)
    assert np.array_equal(gram, expected @ expected.T) and not gram.flags.writeable
    assert _spectral.standardized_gram(data, columns) is gram
    assert np.array_equal(
        _spectral.gram_singular_values(gram, centre=True), _spectral.singular_values(expected, True)
    )
    scale, finite = _spectral.standardized_scale(data, columns)
    assert finite and scale.shape == (300,)
    kept = [v for k, v in data._cache.items() if "standardized" in k and isinstance(v, np.ndarray)]
    assert all(v.nbytes < expected.nbytes for v in kept)  # the Gram (n x n), never the standardised copy
