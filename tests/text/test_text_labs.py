"""Lab names to LOINC + UCUM, on column names and in text, with value conversions."""

import pytest

from datacert.text.labs import convert, find_lab_mentions, harmonise_column_name


@pytest.mark.parametrize(
    ("name", "loinc", "ucum"),
    [
        ("glucose_mg_dl", "2345-7", "mg/dL"),
        ("Glycémie (mmol/L)", "14749-6", "mmol/L"),
        ("creatinine_mg_dl", "2160-0", "mg/dL"),
        ("créatininémie_umol_l", "14682-9", "umol/L"),
        ("hba1c_pct", "4548-4", "%"),
        ("HbA1c (mmol/mol)", "59261-8", "mmol/mol"),
        ("bun_mg_dl", "3094-0", "mg/dL"),
        ("uree_mmol_l", "22664-7", "mmol/L"),
        ("bilirubine_totale_umol_l", "14631-6", "umol/L"),
        ("leucocytes_g_l", "6690-2", "10*9/L"),
        ("Hb (g/dL)", "718-7", "g/dL"),
        ("NFS", "58410-2", ""),
        ("ASAT_UI_L", "30239-8", "U/L"),
    ],
)
def test_column_names(name, loinc, ucum):
    match = harmonise_column_name(name)
    assert match is not None and match.loinc == loinc and match.ucum == ucum


@pytest.mark.parametrize("name", ["age", "patient_id", "weight_kg", "sbp_mmhg", "site", "na_flag", "k_means"])
def test_non_lab_columns(name):
    assert harmonise_column_name(name) is None


def test_glucose_in_g_per_litre_converts_to_the_code_unit():
    match = harmonise_column_name("glycemie_g_l")
    assert match.family == "glucose" and match.unit == "g/L"
    assert match.factor * 1.0 + match.offset == pytest.approx(5.55, rel=1e-3)


def test_conversions():
    assert convert(100, "glucose", "mg/dL", "mmol/L") == pytest.approx(5.55, rel=1e-3)
    assert convert(5.55, "glucose", "mmol/L", "mg/dL") == pytest.approx(100, rel=1e-3)
    assert convert(1, "creatinine", "mg/dL", "umol/L") == pytest.approx(88.4)
    assert convert(1, "bilirubin", "mg/dL", "umol/L") == pytest.approx(17.1)
    assert convert(5, "urea", "mmol/L", "mg/dL") == pytest.approx(14.0)
    assert convert(7.0, "hba1c", "%", "mmol/mol") == pytest.approx(53.0, abs=0.1)
    assert convert(53.0, "hba1c", "mmol/mol", "%") == pytest.approx(7.0, abs=0.01)
    with pytest.raises(ValueError):
        convert(1, "glucose", "U/L", "mmol/L")


def test_text_mentions_units_are_case_sensitive():
    text = "NFS : Hb 10,2 g/dL, leucocytes 12,5 G/L. Glycémie 1,32 g/L. Leucocytes 12,5 g/L."
    mentions = find_lab_mentions(text, require_value=False)
    by = [(text[m.start : m.end], m.family, m.unit, m.unit_ok) for m in mentions]
    assert ("NFS", "cbc", None, True) in by
    assert ("leucocytes 12,5 G/L", "wbc", "10*9/L", True) in by
    assert ("Leucocytes 12,5 g/L", "wbc", "g/L", False) in by  # grams of leucocytes: reported, not reread
    glucose = next(m for m in mentions if m.family == "glucose")
    assert glucose.loinc == "14749-6" and glucose.value_ucum == pytest.approx(7.33, rel=1e-2)


def test_english_mentions_and_ambiguous_short_forms_need_a_value():
    mentions = find_lab_mentions("WBC 9.1 G/L, creatinine 1.1 mg/dL. Le TP est bas.")
    assert {(m.family, m.loinc) for m in mentions} == {("wbc", "6690-2"), ("creatinine", "2160-0")}
