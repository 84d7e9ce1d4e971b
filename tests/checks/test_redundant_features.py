"""redundant_features: blocks of highly correlated numeric features, found without a p x p matrix."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from tests.checks._issue4_data import frame_of
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.checks.informativeness import redundant_features as module


def _wide(n=200, p=400, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p))


def _frame(matrix, **extra):
    cols = {f"f{i:03d}": matrix[:, i] for i in range(matrix.shape[1])}
    return pl.DataFrame({**cols, **extra})


def test_fires_with_the_planted_blocks_and_their_columns():
    x = _wide()
    rng = np.random.default_rng(1)
    x[:, 10:14] = x[:, [9]] + 0.05 * rng.normal(size=(200, 4))  # block f009-f013
    x[:, 300] = -2.0 * x[:, 120] + 7.0  # exact negative copy
    x[rng.choice(200, 5, replace=False), 300] = np.nan  # with a few gaps
    frame = _frame(x, y=rng.integers(0, 2, 200))
    out = run_one("redundant_features", frame, target="y")
    (f,) = out.findings
    assert set(f.columns) == {"f009", "f010", "f011", "f012", "f013", "f120", "f300"}
    assert f.rows == () and f.severity == "info"
    ev = f.evidence
    assert ev["blocks"] == 2 and ev["largest_block"] == 5 and ev["max_abs_r"] > 0.95
    assert ev["block_list"][0]["columns"] == ["f009", "f010", "f011", "f012", "f013"]
    assert ev["block_list"][0]["representative"] in ev["block_list"][0]["columns"]


def test_many_redundant_columns_give_a_warning():
    x = _wide(n=60, p=50)
    x[:, :20] = x[:, [0]] + 0.01 * np.random.default_rng(2).normal(size=(60, 20))
    out = run_one("redundant_features", _frame(x))
    (f,) = out.findings
    assert f.severity == "warning" and len(f.columns) == 20


def test_quiet_on_independent_features_and_role_columns_are_ignored():
    x = _wide()
    frame = _frame(x, y=x[:, 0] * 3.0)  # the target copies a feature: not this check's business
    out = run_one("redundant_features", frame, target="y")
    assert out.status == "quiet" and out.evidence["denominator"] == 400


def test_not_applicable_with_a_single_numeric_feature():
    frame = pl.DataFrame({"a": np.arange(50.0), "b": ["x"] * 50})
    assert run_one("redundant_features", frame).status == "not_applicable"


@pytest.mark.parametrize("n, dense_hits", [(40, 20_000), (300, 20_000), (300, 5)])
def test_block_scan_matches_brute_force_components(monkeypatch, n, dense_hits):
    """Exact scan (small n), projection screen (n > 128) and the dense-block path agree with corrcoef."""
    monkeypatch.setattr(module, "DENSE_HITS", dense_hits)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 240))
    x[:, 30:90] = x[:, [29]] + 0.1 * rng.normal(size=(n, 60))
    x[:, 200] = -x[:, 5]
    x[:, 150] = 0.97 * x[:, 151] + 0.25 * x[:, 152]
    unit, _kept, _ = module.standardised_columns(x, 5000)
    heads, tails, best, degree = module.correlated_pairs(unit, 0.95, block=64)
    corr = np.abs(np.corrcoef(x, rowvar=False))
    np.fill_diagonal(corr, 0)
    truth = corr >= 0.95
    assert np.array_equal(degree, truth.sum(axis=1))
    assert np.allclose(best, np.where(truth, corr, 0).max(axis=1))
    ours = connected_components(
        sparse.coo_matrix((np.ones(heads.size), (heads, tails)), shape=(240, 240)), directed=False
    )[1]
    theirs = connected_components(sparse.csr_matrix(truth), directed=False)[1]
    assert len(set(zip(ours, theirs, strict=True))) == len(set(ours)) == len(set(theirs))


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("redundant_features")
def planted_redundant_features() -> Case:
    rng = seeded(1)
    x = rng.normal(size=(200, 30))
    x[:, 10:14] = x[:, [9]] + 0.05 * rng.normal(size=(200, 4))
    return planted_case(frame_of(x, y=rng.integers(0, 2, 200)), "f10", target="y")


def test_screen_tiles_do_not_change_the_pairs(monkeypatch):
    """The screen's tile size is a speed choice only: same pairs, largest |r| and degrees."""
    rng = np.random.default_rng(5)
    x = _wide(n=300, p=1500, seed=5)
    x[:, 700:760] = x[:, :60] * 3 + rng.normal(scale=0.05, size=(300, 60))
    unit, _, _ = module.standardised_columns(x, 5000)

    def run(tile):
        monkeypatch.setattr(module, "TILE", tile)
        heads, tails, best, degree = module.correlated_pairs(unit, 0.95, block=600)
        pairs = sorted(zip(np.minimum(heads, tails).tolist(), np.maximum(heads, tails).tolist(), strict=True))
        return pairs, best.tolist(), degree.tolist()

    reference = run(600)
    assert len(reference[0]) == 60
    assert run(97) == reference
    assert run(500) == reference


def test_tall_sample_is_gathered_with_the_same_bits_as_the_numeric_block():
    """On a table taller than max_rows the check reads only the sampled records; they must be the
    rows of the whole float block it used to build (ints, float32, gaps and a role column)."""
    rng = np.random.default_rng(3)
    n = 7_001
    wide_floats = rng.normal(size=n)
    wide_floats[rng.choice(n, 40, replace=False)] = np.nan
    frame = pl.DataFrame(
        {
            "a": wide_floats,
            "b": pl.Series(rng.normal(size=n) * 1e3, dtype=pl.Float32),
            "c": pl.Series(rng.integers(-50, 50, n), dtype=pl.Int16),
            "d": pl.Series([None if i % 97 == 0 else i for i in range(n)], dtype=pl.Int64),
            "site": rng.integers(0, 3, n),
            "y": rng.integers(0, 2, n),
        }
    )
    data = make_dataset(frame, target="y", sensitive=["site"])
    columns = [c for c in data.numeric_feature_columns() if c not in set(data.roles.sensitive)]
    assert columns == ["a", "b", "c", "d"]
    sampled = module._sampled_block(data, columns, 1_000)
    whole = data.numeric_matrix(data.numeric_feature_columns())
    index = [data.numeric_feature_columns().index(c) for c in columns]
    expected = whole[module.sample_rows(n, 1_000)][:, index]
    assert sampled.shape == (1_000, 4) and sampled.dtype == np.float64
    np.testing.assert_array_equal(sampled, expected)  # NaN where missing, the same floats elsewhere
    assert sampled.tobytes() == np.ascontiguousarray(expected).tobytes()
