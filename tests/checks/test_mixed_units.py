"""mixed_units: two units in one column, found by the ratio between two real modes."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one

from datacert.checks.conformance.mixed_units import conversions_for, unit_conversions
from datacert.demo import demo_frame, demo_roles

CHECK = "mixed_units"


def _base(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    diabetic = rng.random(n) < 0.3
    return {
        "glycemie": np.where(diabetic, rng.normal(165, 40, n), rng.normal(95, 12, n)).clip(55, 450).round(0),
        "taille_cm": rng.normal(170, 9, n).round(0),
        "poids_kg": rng.lognormal(np.log(74), 0.18, n).round(1),
        "temperature": rng.normal(37.1, 0.6, n).round(1),
        "creatinine": rng.lognormal(np.log(85), 0.45, n).round(0),
        "hba1c": np.where(diabetic, rng.normal(7.9, 1.2, n), rng.normal(5.4, 0.35, n)).clip(4, 15).round(1),
        "age": rng.integers(18, 95, n),
    }


def test_table_loads_with_sources_and_hints():
    table = unit_conversions()
    quantities = {c.quantity for c in table}
    assert {
        "glucose",
        "creatinine",
        "height",
        "weight",
        "temperature",
        "hba1c",
        "haemoglobin",
        "bilirubin",
        "urea",
    } <= quantities
    assert {c.quantity for c in conversions_for("Glycémie (mg/dL)")} == {"glucose"}
    assert {c.quantity for c in conversions_for("hba1c_pct")} == {"hba1c"}
    assert {c.quantity for c in conversions_for("hb_g_dl")} == {"haemoglobin"}
    assert conversions_for("mean radius") == []


def test_glucose_in_mmol_among_mg_dl():
    cols = _base(800, 0)
    rows = np.sort(np.random.default_rng(9).choice(800, 30, replace=False))
    cols["glycemie"][rows] = (cols["glycemie"][rows] / 18.0).round(1)
    outcome = run_one(CHECK, pl.DataFrame(cols))
    (finding,) = outcome.findings
    assert finding.columns == ("glycemie",)
    assert finding.rows == tuple(rows.tolist())
    ev = finding.evidence
    assert (ev["factor"], ev["from_unit"], ev["to_unit"], ev["majority_unit"]) == (
        18.0,
        "mmol/L",
        "mg/dL",
        "mg/dL",
    )
    assert ev["conversion"] == {"scale": 18.0, "offset": 0.0}
    assert finding.severity == "error"
    assert "mmol/L to mg/dL" in finding.remedy and "18" in finding.remedy


def test_height_in_metres_and_temperature_in_fahrenheit():
    cols = _base(600, 1)
    m_rows = np.arange(5, 600, 50)
    cols["taille_cm"][m_rows] = cols["taille_cm"][m_rows] / 100
    f_rows = np.arange(3, 600, 20)
    cols["temperature"][f_rows] = (cols["temperature"][f_rows] * 1.8 + 32).round(1)
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == {"taille_cm", "temperature"}
    assert by_column["taille_cm"].rows == tuple(m_rows.tolist())
    assert by_column["taille_cm"].evidence["from_unit"] == "m"
    temp = by_column["temperature"]
    assert temp.rows == tuple(f_rows.tolist())
    assert (temp.evidence["from_unit"], temp.evidence["majority_unit"]) == ("degF", "degC")
    scale, offset = temp.evidence["conversion"]["scale"], temp.evidence["conversion"]["offset"]
    assert scale * 98.6 + offset == pytest.approx(37.0, abs=1e-3)


def test_majority_in_the_smaller_unit_and_affine_hba1c():
    cols = _base(700, 2)
    g_rows = np.arange(0, 700, 9)  # weight in kg for most, in g (x1000) for some
    cols["poids_kg"][g_rows] = cols["poids_kg"][g_rows] * 1000
    ifcc_rows = np.arange(4, 700, 25)
    cols["hba1c"][ifcc_rows] = (10.929 * (cols["hba1c"][ifcc_rows] - 2.15)).round(0)
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == {"poids_kg", "hba1c"}
    assert by_column["poids_kg"].rows == tuple(g_rows.tolist())
    assert by_column["poids_kg"].evidence["conversion"]["scale"] == pytest.approx(0.001)
    hba1c = by_column["hba1c"]
    assert hba1c.rows == tuple(ifcc_rows.tolist())
    assert (hba1c.evidence["from_unit"], hba1c.evidence["to_unit"]) == ("mmol/mol", "%")
    conv = hba1c.evidence["conversion"]
    assert conv["scale"] * 53.0 + conv["offset"] == pytest.approx(53.0 / 10.929 + 2.15, rel=1e-4)


def test_weight_in_pounds_overlapping_the_kilograms():
    cols = _base(1000, 3)
    lb_rows = np.arange(2, 1000, 6)  # one in six in lb: the two modes overlap
    cols["poids_kg"][lb_rows] = (cols["poids_kg"][lb_rows] * 2.2046).round(1)
    outcome = run_one(CHECK, pl.DataFrame(cols))
    (finding,) = outcome.findings
    assert finding.columns == ("poids_kg",)
    assert finding.evidence["from_unit"] == "lb" and finding.evidence["majority_unit"] == "kg"
    found = set(finding.rows)
    assert len(found & set(lb_rows.tolist())) >= 0.85 * len(lb_rows)  # overlapping modes: a threshold split
    assert len(found - set(lb_rows.tolist())) <= 0.05 * len(lb_rows)


def test_quiet_on_clean_skewed_and_bimodal_data_of_the_same_shape():
    rng = np.random.default_rng(4)
    cols = _base(5000, 4)
    cols["creatinine"] = np.where(
        rng.random(5000) < 0.05, rng.lognormal(np.log(600), 0.3, 5000), cols["creatinine"]
    ).round(0)  # dialysis mode: a ratio of 7, not 88.4
    cols["bilirubine"] = rng.lognormal(np.log(10), 0.8, 5000).round(0)  # long tail, unimodal
    outcome = run_one(CHECK, pl.DataFrame(cols))
    assert outcome.status == "quiet", [(f.columns, f.evidence) for f in outcome.findings]


def test_sentinel_codes_are_not_taken_for_a_unit():
    cols = _base(600, 5)
    cols["poids_kg"][[1, 2, 3, 4, 5, 6]] = -999.0
    cols["taille_cm"][[7, 8, 9, 10, 11]] = 999.0
    outcome = run_one(CHECK, pl.DataFrame(cols))
    assert outcome.status == "quiet"


def test_not_applicable_without_a_continuous_column():
    frame = pl.DataFrame({"sexe": ["F", "M"] * 20, "site": ["A", "B", "C", "D"] * 10})
    outcome = run_one(CHECK, frame)
    assert outcome.status == "not_applicable"


def test_demo_cohort_glucose_in_mmol_is_found():
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
    (finding,) = outcome.findings
    assert finding.columns == ("glycemie",)
    expected = frame.select((pl.col("glycemie") < 30).arg_true()).to_series().to_list()
    assert list(finding.rows) == expected and len(expected) == 40
    assert finding.evidence["from_unit"] == "mmol/L" and finding.evidence["factor"] == 18.0


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("mixed_units")
def planted_mixed_units() -> Case:
    rng = seeded(9)
    glucose = rng.normal(100, 15, 600).clip(60, 250).round(0)
    mmol = rng.choice(600, 40, replace=False)
    glucose[mmol] = (glucose[mmol] / 18.0).round(1)
    return planted_case(
        pl.DataFrame({"glycemie_mg_dl": glucose, "age": rng.integers(18, 90, 600)}), "glycemie_mg_dl"
    )
