"""De-identification: masking, consistent pseudonyms, date shifts that keep intervals and formats."""

import datetime as dt
import re

import pytest

from datacert.text._dates import find_dates
from datacert.text.deid import date_offset, deidentify

NOTES = [
    "Mme Jeanne DUPONT, née le 12/03/1958, tél. 06 12 34 56 78, NIR 2 58 03 75 112 047 16.",
    "Revue le 3 mars 2021, Mme DUPONT va mieux. Contrôle le 10/03/2021.",
    "M. Paul MARTIN, né le 01/01/1950, IPP 8012345678, domicilié 3 rue de la Gare, 69003 Lyon.",
]
GROUPS = ["p1", "p1", "p2"]


def test_mask_replaces_every_identifier_with_its_label():
    out = deidentify(NOTES, GROUPS, mode="mask").texts
    assert out[0] == "Mme [PRENOM] [NOM], née le [DATE_NAISSANCE], tél. [TEL], NIR [SECU]."
    assert "DUPONT" not in out[1] and "[DATE]" in out[1]
    assert "[IPP]" in out[2] and "[ADRESSE]" in out[2] and "[ZIP] [VILLE]" in out[2]


def test_pseudonyms_are_consistent_within_a_patient_and_deterministic():
    first = deidentify(NOTES, GROUPS, mode="pseudonymise")
    again = deidentify(NOTES, GROUPS, mode="pseudonymise")
    assert first.texts == again.texts
    surname_0 = re.search(r"Mme \S+ (\S+),", first.texts[0]).group(1)
    surname_1 = re.search(r"Mme (\S+) va", first.texts[1]).group(1)
    assert surname_0 == surname_1 and surname_0 != "DUPONT" and surname_0.isupper()
    for original in ("DUPONT", "Jeanne", "06 12 34 56 78", "2 58 03 75 112 047 16", "8012345678", "Lyon"):
        assert all(original not in t for t in first.texts)


def test_other_patients_get_other_surrogates():
    same_text = ["Mme Jeanne DUPONT est revue."] * 2
    out = deidentify(same_text, ["p1", "p2"], mode="pseudonymise").texts
    assert out[0] != out[1]


def test_date_shift_preserves_intervals_and_formats():
    out = deidentify(NOTES, GROUPS, mode="pseudonymise").texts
    shifted = [d for d in find_dates(out[1])]
    assert [out[1][d.start : d.end].count("/") for d in shifted] == [
        0,
        2,
    ]  # "D mois YYYY" and "DD/MM/YYYY" kept
    a = dt.date(shifted[0].year, shifted[0].month, shifted[0].day)
    b = dt.date(shifted[1].year, shifted[1].month, shifted[1].day)
    assert (b - a).days == 7
    assert a == dt.date(2021, 3, 3) + dt.timedelta(days=date_offset("p1"))
    assert date_offset("p1") != 0


def test_spans_are_offsets_into_the_original():
    result = deidentify(NOTES, GROUPS)
    for text, spans in zip(NOTES, result.spans, strict=True):
        for s in spans:
            assert 0 <= s.start < s.end <= len(text)
            assert set(s._fields) == {"start", "end", "label"}


def test_none_and_empty_notes_pass_through():
    result = deidentify([None, "", "RAS."], mode="pseudonymise")
    assert result.texts == [None, "", "RAS."] and result.spans == [[], [], []]


def test_bad_mode():
    with pytest.raises(ValueError):
        deidentify(["x"], mode="erase")
