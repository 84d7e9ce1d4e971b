"""--baselines: two trivial generators fitted on the real training table, scored the same way."""

from __future__ import annotations

import numpy as np
from tests.synth._synth_planted import breast_cancer

import datacert
from datacert.synth import load_tables
from datacert.synth.baselines import gaussian_copula, independent_marginals


def test_baselines_keep_types_and_copula_keeps_dependence() -> None:
    t = breast_cancer()
    tables = load_tables(t.train, t.train, t.holdout, None)
    marg, cop = independent_marginals(tables, 300, 0), gaussian_copula(tables, 300, 0)
    assert marg.schema == cop.schema
    assert set(np.unique(cop["target"].to_numpy())) <= {0, 1}
    real = np.corrcoef(t.train["mean radius"].to_numpy(), t.train["worst radius"].to_numpy())[0, 1]
    assert np.corrcoef(cop["mean radius"].to_numpy(), cop["worst radius"].to_numpy())[0, 1] > real - 0.1
    assert abs(np.corrcoef(marg["mean radius"].to_numpy(), marg["worst radius"].to_numpy())[0, 1]) < 0.2


def test_baselines_section_scores_both_generators() -> None:
    t = breast_cancer()
    cert = datacert.synth(
        t.train,
        gaussian_copula(load_tables(t.train, t.train), t.train.height, 1),
        holdout=t.holdout,
        target="target",
        baselines=True,
    )
    names = [b["name"] for b in cert.extra["baselines"]["generators"]]
    assert names == ["independent_marginals", "gaussian_copula"]
    by = {b["name"]: b for b in cert.extra["baselines"]["generators"]}
    assert (
        by["independent_marginals"]["key_metrics"]["column_pair_trends"]
        < by["gaussian_copula"]["key_metrics"]["column_pair_trends"]
    )
    assert by["independent_marginals"]["verdict"] != "release"
    assert "Baseline generators" in cert.to_html()
