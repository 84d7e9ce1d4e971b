"""out_of_range: physiological limits from the knowledge base, and declared limits from a schema."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tests.checks._planted import Case, base_cohort, clean_table, clean_twins, planted, planted_case
from tests.conftest import make_dataset, run_one

from datacert.checks import run_checks
from datacert.checks.plausibility._physiology import choose_unit, load_variables, match_variable
from datacert.dataset import Dataset, build_dataset
from datacert.declared_schema import parse_table_schema
from datacert.demo import demo_frame, demo_roles
from datacert.findings import Status
from datacert.io import from_object
from datacert.profile import compute_profile


def _cohort(n: int = 200, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "Âge (ans)": rng.integers(20, 90, n),
            "Poids (kg)": rng.normal(75, 12, n).round(1),
            "taille": rng.normal(1.70, 0.08, n).round(2),  # metres, no unit in the name
            "PAS_mmHg": rng.normal(130, 15, n).round(0),
            "glycemie": rng.normal(1.0, 0.15, n).round(2),  # g/L, chosen from the values
            "natremie": rng.normal(140, 3, n).round(0),
            "stage": rng.integers(1, 5, n),
        }
    )


def test_demo_ages_above_120_are_found_at_rows_111_and_222():
    roles = {k: v for k, v in demo_roles().to_dict().items() if v}
    outcome = run_one("out_of_range", demo_frame(), **roles)
    ages = [f for f in outcome.findings if f.columns == ("age",)]
    assert len(ages) == 1
    assert ages[0].severity == "error"
    assert ages[0].rows == (111, 222)
    assert ages[0].evidence["limit_kind"] == "impossible"
    assert ages[0].evidence["source"]


def test_fires_on_impossible_and_implausible_values_with_right_rows():
    frame = _cohort()
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(-3.0).otherwise(pl.col("Poids (kg)")).alias("Poids (kg)"),
        pl.when(pl.int_range(pl.len()) == 9).then(175.0).otherwise(pl.col("taille")).alias("taille"),
        pl.when(pl.int_range(pl.len()).is_in([12, 13]))
        .then(400.0)
        .otherwise(pl.col("PAS_mmHg"))
        .alias("PAS_mmHg"),
        pl.when(pl.int_range(pl.len()) == 20).then(45.0).otherwise(pl.col("glycemie")).alias("glycemie"),
        pl.when(pl.int_range(pl.len()) == 30).then(185.0).otherwise(pl.col("natremie")).alias("natremie"),
    )
    outcome = run_one("out_of_range", frame)
    got = {(f.columns[0], str(f.severity)): f.rows for f in outcome.findings}
    assert got == {
        ("Poids (kg)", "error"): (4,),
        ("taille", "error"): (9,),  # 175 m: the column is in metres
        ("PAS_mmHg", "error"): (12, 13),
        ("glycemie", "error"): (20,),  # 45 g/L is impossible
        ("natremie", "warning"): (30,),  # 185 mmol/L: implausible, not impossible
    }
    checked = outcome.evidence["columns_checked"]
    assert checked["taille"]["unit"] == "m" and checked["taille"]["unit_basis"] == "values"
    assert checked["glycemie"]["unit"] == "g/L"
    assert checked["Poids (kg)"]["unit_basis"] == "name"
    assert "stage" not in checked


def test_recognised_columns_of_a_clean_table(clean_frame):
    outcome = run_one("out_of_range", clean_frame)
    assert set(outcome.evidence["columns_checked"]) == {"age", "weight_kg", "sbp_mmhg", "glucose_mg_dl"}


def test_standardised_columns_are_skipped_not_flagged():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"age": rng.normal(0, 0.05, 300), "bmi": rng.normal(0, 0.05, 300)})
    outcome = run_one("out_of_range", frame)
    assert outcome.status == Status.QUIET
    assert set(outcome.evidence["columns_skipped"]) == {"age", "bmi"}


def test_numbers_stored_as_text_are_read():
    frame = pl.DataFrame({"kaliemie": ["4,1", "3.9", "4.4", "25", "NR", "4.0", "3.8", "4.2"]})
    outcome = run_one("out_of_range", frame)
    assert [(f.severity, f.rows) for f in outcome.findings] == [("error", (3,))]


def test_declared_limits_override_the_knowledge_base():
    frame = _cohort().with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(95).otherwise(pl.col("Âge (ans)")).alias("Âge (ans)")
    )
    schema = parse_table_schema(
        {
            "fields": [
                {"name": "Âge (ans)", "type": "integer", "constraints": {"minimum": 18, "maximum": 90}},
                {"name": "score", "type": "number", "constraints": {"maximum": 1}},
            ]
        }
    )
    frame = frame.with_columns(pl.Series("score", np.linspace(0, 1, frame.height)).round(3))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 11).then(1.5).otherwise(pl.col("score")).alias("score")
    )
    data = build_dataset(from_object(frame), declared_schema=schema)
    profile = compute_profile(data.frame, dict(data.semantic_types))
    (outcome,) = run_checks(data, profile, {}, only=["out_of_range"])
    got = {f.columns[0]: (f.rows, f.evidence["limit_kind"]) for f in outcome.findings}
    assert got["Âge (ans)"] == ((7,), "declared")  # 95 is a possible age, but above the declared 90
    assert got["score"] == ((11,), "declared")  # not a clinical variable: declared limits only


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Âge (ans)", "age"),
        ("patient_age", "age"),
        ("stage", None),
        ("dosage", None),
        ("tranche_age", None),
        ("HbA1c", "hba1c"),
        ("hb_g_dl", "haemoglobin"),
        ("taille_tumeur", "tumour_size"),
        ("SpO2", "spo2"),
        ("Fréquence cardiaque", "heart_rate"),
        ("eGFR", "egfr"),
        ("créatininémie_umol_l", "creatinine"),
        ("Leucocytes (G/L)", "leucocytes"),
        ("LDL_c", "ldl"),
        ("cholesterol_total", "cholesterol"),
        ("mean radius", None),
        ("worst area", None),
    ],
)
def test_column_names_are_recognised_in_french_and_english(name, key):
    variable = match_variable(name)
    assert (variable.key if variable else None) == key


def test_unit_hints_in_names_pick_the_unit():
    glucose = match_variable("glucose_mmol_l")
    assert choose_unit(glucose, "glucose_mmol_l", 100.0)[0].name == "mmol/L"
    assert choose_unit(glucose, "glucose", 100.0)[0].name == "mg/dL"
    assert choose_unit(glucose, "glucose", 5.5)[0].name == "mmol/L"
    age = match_variable("age_mois")
    assert choose_unit(age, "age_mois", 30.0)[0].name == "months"


def test_every_variable_has_a_source_and_nested_limits():
    variables = load_variables()
    assert len(variables) >= 20
    for v in variables:
        assert v.source
        for u in v.units:
            assert u.hard[0] <= u.soft[0] <= u.typical[0] <= u.typical[1] <= u.soft[1] <= u.hard[1], (
                v.key,
                u.name,
            )
            if u.usual is not None:  # the healthy range lies inside the disease range
                assert u.disease[0] <= u.usual[0] <= u.usual[1] <= u.disease[1], (v.key, u.name)


def test_declared_unit_selects_the_unit_of_a_recognised_variable():
    rng = np.random.default_rng(4)
    values = rng.normal(10, 2, 100).round(1)
    values[6] = 800.0  # impossible in mg/L (but plausible in µmol/L)
    frame = pl.DataFrame({"creat": values})
    undeclared = run_one("out_of_range", frame)
    assert undeclared.status == Status.QUIET and "creat" in undeclared.evidence["columns_skipped"]
    schema = parse_table_schema({"fields": [{"name": "creat", "type": "number", "unit": "mg/L"}]})
    data = build_dataset(from_object(frame), declared_schema=schema)
    (outcome,) = run_checks(
        data, compute_profile(data.frame, dict(data.semantic_types)), {}, only=["out_of_range"]
    )
    (finding,) = outcome.findings
    assert (finding.rows, finding.evidence["unit"], finding.evidence["unit_basis"]) == (
        (6,),
        "mg/L",
        "declared",
    )


def test_missing_value_codes_are_named_in_the_remedy():
    roles = {k: v for k, v in demo_roles().to_dict().items() if v}
    outcome = run_one("out_of_range", demo_frame(), **roles)
    weight = next(f for f in outcome.findings if f.columns == ("poids_kg",))
    assert weight.evidence["missing_value_codes"] == weight.row_count == 15
    assert "missing" in weight.remedy
    age = next(f for f in outcome.findings if f.columns == ("age",))
    assert age.evidence["missing_value_codes"] == 0


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("out_of_range")
def planted_out_of_range() -> Case:
    cols = base_cohort()
    cols["age"][[111, 222]] = [134, 152]
    return planted_case(pl.DataFrame(cols), "age")


@clean_twins("out_of_range")
def clean_out_of_range() -> tuple[Dataset, ...]:
    return make_dataset(_cohort()), make_dataset(clean_table())
