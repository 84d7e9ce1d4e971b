"""class_imbalance: minority share, tiny classes, events per variable."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case
from tests.conftest import run_one


def _frame(counts: dict[str, int], seed: int = 0, p: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.concatenate([[k] * v for k, v in counts.items()])
    order = rng.permutation(labels.size)
    data = {f"f{i}": rng.normal(size=labels.size) for i in range(p)}
    return pl.DataFrame({**data, "y": labels[order]})


def test_fires_on_a_rare_class_with_its_rows():
    frame = _frame({"no": 570, "yes": 30})
    outcome = run_one("class_imbalance", frame, target="y")
    imbalance = [f for f in outcome.findings if "rarest" in f.message]
    assert len(imbalance) == 1 and str(imbalance[0].severity) == "warning"
    expected = np.flatnonzero(frame.get_column("y").to_numpy() == "yes")
    assert list(imbalance[0].rows) == expected.tolist()
    assert imbalance[0].columns == ("y",)
    assert abs(imbalance[0].evidence["minority_share"] - 0.05) < 1e-9


def test_tiny_class_is_an_error():
    frame = _frame({"a": 200, "b": 150, "c": 4})
    outcome = run_one("class_imbalance", frame, target="y")
    tiny = [f for f in outcome.findings if "fewer than" in f.message]
    assert tiny and str(tiny[0].severity) == "error"
    assert len(tiny[0].rows) == 4
    assert tiny[0].evidence["tiny_classes"] == {"c": 4}


def test_balanced_target_is_quiet():
    outcome = run_one("class_imbalance", _frame({"a": 100, "b": 90}), target="y")
    assert outcome.status == "quiet"
    assert outcome.evidence["events_per_variable"] == 30.0


def test_few_events_per_variable_is_info():
    outcome = run_one("class_imbalance", _frame({"a": 100, "b": 90}, p=40), target="y")
    assert [str(f.severity) for f in outcome.findings] == ["info"]


def test_not_applicable_for_regression_and_without_target():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"x": rng.normal(size=100), "y": rng.normal(size=100)})
    outcome = run_one("class_imbalance", frame, target="y")
    assert outcome.status == "not_applicable" and "regression" in outcome.reason
    assert run_one("class_imbalance", frame).status == "not_applicable"


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("class_imbalance")
def planted_class_imbalance() -> Case:
    cols = base_cohort(600)
    cols["y"] = np.where(np.arange(600) < 12, "rare", "common")
    return planted_case(pl.DataFrame(cols), "y", target="y")
