"""disguised_missing: sentinel codes found by their spike, not by a list alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from tests.checks._planted import Case, base_cohort, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.dataset import Dataset
from datacert.demo import demo_frame, demo_roles

CHECK = "disguised_missing"


def _cohort(n: int = 500, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "poids_kg": rng.normal(75, 13, n).round(1),
        "glucose_mg_dl": rng.normal(105, 22, n).clip(45, 300).round(0),
        "stade": rng.integers(1, 5, n),
        "creat": rng.lognormal(np.log(85), 0.45, n).round(0),
        "nb_sejours": rng.poisson(1.2, n),
    }


def test_fires_on_minus_999_with_rows_and_sentinels():
    cols = _cohort()
    rows = np.array([3, 17, 40, 99, 250, 251, 400, 480])
    cols["poids_kg"][rows] = -999.0
    outcome = run_one(CHECK, pl.DataFrame(cols))
    assert outcome.status == "fired"
    (finding,) = [f for f in outcome.findings if f.columns == ("poids_kg",)]
    assert finding.rows == tuple(rows.tolist())
    assert finding.evidence["sentinels"] == [-999.0]
    assert finding.severity == "error"  # 8 / 500 = 1.6 % >= 1 %
    assert len(outcome.findings) == 1


def test_unlisted_repeated_value_far_away_fires_and_rare_known_code_is_a_warning():
    cols = _cohort(n=2000)
    cols["glucose_mg_dl"][[5, 6, 7, 8]] = 1234.0  # not a listed code, but a far, repeated spike
    cols["poids_kg"][[10, 11]] = 9999.0  # listed code, only twice: warning
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == {"glucose_mg_dl", "poids_kg"}
    assert by_column["glucose_mg_dl"].rows == (5, 6, 7, 8)
    assert by_column["glucose_mg_dl"].evidence["sentinels"] == [1234.0]
    assert by_column["poids_kg"].rows == (10, 11)
    assert by_column["poids_kg"].severity == "warning"


def test_zero_where_impossible_and_unknown_category_code():
    cols = _cohort()
    cols["glucose_mg_dl"][[1, 2, 30, 31, 77, 300]] = 0.0
    cols["stade"][[4, 8, 15, 16, 23]] = 9
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == {"glucose_mg_dl", "stade"}
    assert by_column["glucose_mg_dl"].rows == (1, 2, 30, 31, 77, 300)
    assert by_column["glucose_mg_dl"].evidence["sentinels"] == [0.0]
    assert by_column["stade"].rows == (4, 8, 15, 16, 23)
    assert by_column["stade"].evidence["sentinels"] == [9]


def test_text_tokens_in_any_spelling():
    rng = np.random.default_rng(1)
    n = 400
    smoker = rng.choice(["oui", "non", "ancien"], n).astype(object)
    planted = {12: "NA", 13: "inconnu", 50: "Non renseigné", 51: " ? ", 300: "Inconnu"}
    for i, v in planted.items():
        smoker[i] = v
    frame = pl.DataFrame({"tabac": smoker.tolist(), "age": rng.integers(20, 90, n)})
    outcome = run_one(CHECK, frame)
    (finding,) = outcome.findings
    assert finding.columns == ("tabac",)
    assert finding.rows == tuple(sorted(planted))
    assert sorted(finding.evidence["sentinels"]) == sorted(set(planted.values()))


def test_placeholder_date_spike_fires_but_a_real_birthday_does_not():
    rng = np.random.default_rng(2)
    n = 3000
    start = dt.date(1930, 1, 1)
    births = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 70 * 365, n)]
    births[100] = dt.date(1970, 1, 1)  # one real person born that day: not a spike
    for i in (7, 8, 9, 500, 501, 502, 2999):
        births[i] = dt.date(1900, 1, 1)
    outcome = run_one(CHECK, pl.DataFrame({"date_naissance": births, "x": rng.normal(size=n)}))
    (finding,) = outcome.findings
    assert finding.columns == ("date_naissance",)
    assert finding.rows == (7, 8, 9, 500, 501, 502, 2999)
    assert finding.evidence["sentinels"] == ["1900-01-01"]


def test_heavy_tails_and_genuine_round_values_stay_quiet():
    rng = np.random.default_rng(4)
    n = 5000
    frame = pl.DataFrame(
        {
            "crp": rng.lognormal(np.log(8), 1.2, n).round(0),  # long right tail, repeated integers
            "nb_visites": rng.negative_binomial(1, 0.2, n),  # counts with many zeros
            "age": rng.integers(18, 100, n),  # 99 is a real age here
            "score": rng.choice([0, 10, 20, 99, 100], n, p=[0.3, 0.2, 0.2, 0.1, 0.2]),
        }
    )
    outcome = run_one(CHECK, frame)
    assert outcome.status == "quiet", [(f.columns, f.evidence) for f in outcome.findings]


def test_not_applicable_on_a_tiny_table():
    outcome = run_one(CHECK, pl.DataFrame({"x": [1.0, -999.0, -999.0, 3.0]}))
    assert outcome.status == "not_applicable"
    assert "records" in outcome.reason


def test_demo_cohort_weight_sentinel_is_found():
    frame = demo_frame()
    roles = demo_roles()
    outcome = run_one(
        CHECK,
        frame,
        target=roles.target,
        id=roles.id,
        time=roles.time,
        sensitive=list(roles.sensitive),
        text=list(roles.text),
    )
    by_column = {f.columns[0]: f for f in outcome.findings}
    weight = by_column["poids_kg"]
    expected = frame.select(pl.col("poids_kg").eq(-999.0).arg_true()).to_series().to_list()
    assert list(weight.rows) == expected and len(expected) == 15
    assert weight.evidence["sentinels"] == [-999.0]
    assert weight.severity == "error"


def test_numeric_codes_in_numbers_stored_as_text():
    rng = np.random.default_rng(6)
    n = 600
    values = [f"{v:.1f}".replace(".", ",") for v in rng.lognormal(np.log(8), 0.8, n)]
    for i in (10, 11, 12, 400):
        values[i] = "-999"
    values[13] = "NR"
    outcome = run_one(CHECK, pl.DataFrame({"crp_mg_l": values, "age": rng.integers(18, 90, n)}))
    (finding,) = outcome.findings
    assert finding.rows == (10, 11, 12, 13, 400)
    assert finding.evidence["sentinels"] == ["-999", "NR"]


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("disguised_missing")
def planted_disguised_missing() -> Case:
    cols = base_cohort(600)
    weight = np.asarray(cols["weight_kg"]).copy()
    weight[seeded(1).choice(600, 15, replace=False)] = -999.0
    cols["weight_kg"] = weight
    return planted_case(pl.DataFrame(cols), "weight_kg")


@clean_twins("disguised_missing")
def clean_disguised_missing() -> tuple[Dataset, ...]:
    frame = pl.DataFrame(_cohort(n=2000)).with_columns(
        pl.Series("tabac", np.random.default_rng(3).choice(["oui", "non", "ancien"], 2000))
    )
    return (make_dataset(frame),)
