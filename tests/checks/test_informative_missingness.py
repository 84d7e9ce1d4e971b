"""informative_missingness: missingness that predicts the target, or that other columns predict."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one

CHECK = "informative_missingness"
N = 1000


def _cohort(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 12, N).round(0)
    return {
        "age": age,
        "pas": rng.normal(130, 15, N).round(0),
        "crp": rng.lognormal(2, 1, N).round(1),
        "lactates": rng.lognormal(0.5, 0.4, N).round(1),
        "y": (rng.random(N) < 0.3).astype(int),
    }


def _with_missing(values: np.ndarray, mask: np.ndarray) -> list[float | None]:
    return [None if m else float(v) for v, m in zip(values, mask, strict=True)]


def _measured_when_sick(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lactates measured mostly in sick patients: missing for 60 % of y = 0, 15 % of y = 1."""
    return rng.random(N) < np.where(y == 1, 0.15, 0.60)


def test_missing_lab_predicts_the_label():
    cols = _cohort(0)
    rng = np.random.default_rng(1)
    mask = _measured_when_sick(cols["y"], rng)
    mcar = rng.random(N) < 0.2
    frame = pl.DataFrame(
        {**cols, "lactates": _with_missing(cols["lactates"], mask), "crp": _with_missing(cols["crp"], mcar)}
    )
    outcome = run_one(CHECK, frame, target="y")
    (finding,) = outcome.findings
    assert finding.columns == ("lactates", "y")
    assert finding.rows == tuple(np.flatnonzero(mask).tolist())
    ev = finding.evidence
    assert ev["columns"] == ["lactates", "y"]
    assert ev["q_value"] < 0.05 and ev["p_value"] < 1e-6
    assert ev["effect"] > 0.2 and ev["target_rate_missing"] < ev["target_rate_observed"]
    assert finding.severity == "warning"
    assert outcome.evidence["per_column"]["crp"]["q_value"] > 0.05


def test_records_without_a_target_are_left_out_of_the_target_test():
    cols = _cohort(0)
    rng = np.random.default_rng(1)
    mask = _measured_when_sick(cols["y"], rng)
    unlabelled = rng.random(N) < 0.1
    frame = pl.DataFrame(
        {**cols, "lactates": _with_missing(cols["lactates"], mask), "y": _with_missing(cols["y"], unlabelled)}
    )
    labelled = frame.filter(pl.col("y").is_not_null())
    (finding,) = run_one(CHECK, frame, target="y").findings
    (alone,) = run_one(CHECK, labelled, target="y").findings
    # the same association, measured on the labelled records only; the rows still name the whole table
    for key in ("effect", "p_value", "missing", "observed", "target_rate_missing", "target_rate_observed"):
        assert finding.evidence[key] == alone.evidence[key]
    assert finding.evidence["missing"] == int((mask & ~unlabelled).sum())
    assert finding.rows == tuple(np.flatnonzero(mask).tolist())


def test_continuous_target():
    rng = np.random.default_rng(2)
    cols = _cohort(2)
    los = rng.lognormal(1.5, 0.6, N)
    mask = rng.random(N) < np.where(los > np.median(los), 0.4, 0.1)
    frame = pl.DataFrame({**cols, "duree_sejour": los, "pas": _with_missing(cols["pas"], mask)}).drop("y")
    outcome = run_one(CHECK, frame, target="duree_sejour")
    (finding,) = outcome.findings
    assert finding.columns == ("pas", "duree_sejour")
    assert finding.rows == tuple(np.flatnonzero(mask).tolist())
    assert finding.evidence["effect_measure"] == "auc_shift" and finding.evidence["auc"] > 0.6


def test_quiet_when_values_are_missing_completely_at_random():
    cols = _cohort(3)
    rng = np.random.default_rng(3)
    frame = pl.DataFrame(
        {
            **cols,
            "lactates": _with_missing(cols["lactates"], rng.random(N) < 0.4),
            "crp": _with_missing(cols["crp"], rng.random(N) < 0.1),
        }
    )
    assert run_one(CHECK, frame, target="y").status == "quiet"
    assert run_one(CHECK, frame.drop("y")).status == "quiet"


def test_without_target_missingness_predicted_by_another_column():
    cols = _cohort(4)
    rng = np.random.default_rng(4)
    mask = rng.random(N) < np.where(cols["age"] > 65, 0.5, 0.05)  # older patients skip the test
    frame = pl.DataFrame({**cols, "crp": _with_missing(cols["crp"], mask)}).drop("y")
    outcome = run_one(CHECK, frame)
    (finding,) = outcome.findings
    assert finding.columns[0] == "crp" and finding.columns[1] == "age"
    assert finding.rows == tuple(np.flatnonzero(mask).tolist())
    assert finding.severity == "info"
    assert finding.evidence["predictors"]["age"]["auc"] > 0.65
    assert outcome.evidence["mode"] == "other_columns"


def test_not_applicable_on_a_tiny_table():
    frame = pl.DataFrame({"x": [1.0, None, 3.0, None, 5.0], "y": [0, 1, 0, 1, 0]})
    assert run_one(CHECK, frame, target="y").status == "not_applicable"


def test_bh_on_the_smallest_p_values_matches_the_full_correction():
    from datacert.checks.completeness.informative_missingness import _bh

    p = np.random.default_rng(5).random(5000) ** 4
    full = _bh(p)
    small = p < 0.05
    assert np.allclose(_bh(p[small], total=p.size), full[small])


def test_wide_table_missingness_driven_by_a_latent_factor():
    rng = np.random.default_rng(6)
    n, p = 200, 3000
    factor = rng.normal(size=n)
    x = rng.normal(size=(n, p))
    x[:, :40] += 1.5 * factor[:, None]  # 40 genes carry the factor
    mask = rng.random(n) < np.where(factor > 0.5, 0.7, 0.05)
    x[mask, 2999] = np.nan
    noise_missing = rng.random((n, 500)) < 0.1  # MCAR elsewhere
    x[:, 2000:2500][noise_missing] = np.nan
    frame = pl.DataFrame(x, schema=[f"g{j:04d}" for j in range(p)]).fill_nan(None)
    outcome = run_one(CHECK, frame)
    (finding,) = outcome.findings
    assert finding.columns[0] == "g2999"
    assert set(finding.columns[1:]) <= {f"g{j:04d}" for j in range(40)}
    assert finding.rows == tuple(np.flatnonzero(mask).tolist())


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("informative_missingness")
def planted_informative_missingness() -> Case:
    rng = seeded(8)
    n = 400
    y = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    hidden = (y == 1) & (rng.random(n) < 0.5)
    frame = pl.DataFrame({"hba1c": [None if h else float(v) for h, v in zip(hidden, x, strict=True)], "y": y})
    return planted_case(frame.with_columns(pl.Series("age", rng.integers(18, 90, n))), "hba1c", target="y")
