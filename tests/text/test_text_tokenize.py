"""The protected-span tokeniser keeps clinical tokens whole and offsets exact."""

from datacert.text.tokenize import tokenize


def _kinds(text):
    return {(t.text, t.kind) for t in tokenize(text)}


def test_codes_doses_labs_and_dates_stay_whole():
    text = (
        "IDM (I21.9), DT2 (E11.9). Amlodipine C08CA01 5 mg 1 cp x 3/j. Leucocytes 12,5 G/L, "
        "glycémie 1,32 g/L, HbA1c 7,2 %, LOINC 2345-7, né en 2A, revu le 12/03/2021 et le 3 mars 2021."
    )
    kinds = _kinds(text)
    for expected in [
        ("I21.9", "icd10"),
        ("E11.9", "icd10"),
        ("C08CA01", "atc"),
        ("5 mg", "quantity"),
        ("1 cp x 3/j", "posology"),
        ("12,5 G/L", "quantity"),
        ("1,32 g/L", "quantity"),
        ("HbA1c", "lab"),
        ("7,2 %", "quantity"),
        ("2345-7", "loinc"),
        ("2A", "department"),
        ("12/03/2021", "date"),
        ("3 mars 2021", "date"),
    ]:
        assert expected in kinds, expected


def test_offsets_point_into_the_original_text():
    text = "NFS : Hb 10,2 g/dL, plaquettes 180 G/L ; contrôle le 12.04.2021 (sophie.x@chu.fr)."
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text


def test_units_are_case_sensitive_and_never_lowercased():
    tokens = [t.text for t in tokenize("leucocytes 12,5 G/L puis 4 g/L")]
    assert "12,5 G/L" in tokens and "4 g/L" in tokens


def test_loinc_needs_a_valid_check_digit():
    kinds = _kinds("LOINC 2345-7 mais 10-2 est une plage")
    assert ("2345-7", "loinc") in kinds
    assert ("10-2", "loinc") not in kinds


def test_plain_words_and_punctuation():
    tokens = tokenize("l'hôpital, enfin.")
    assert [t.text for t in tokens] == ["l'", "hôpital", ",", "enfin", "."]
