"""Identifier forms that real notes use: each is masked, and look-alike clinical text is not."""

import pytest

from datacert.text.deid import deidentify
from datacert.text.phi import detect


def _found(text, model="shipped"):
    return {(text[s.start : s.end], s.label) for s in detect(text, model=model)}


def _masked(text, value):
    spans = detect(text)
    start = text.index(value)
    end = start + len(value)
    covered = [False] * (end - start)
    for s in spans:
        for i in range(max(s.start, start), min(s.end, end)):
            covered[i - start] = True
    return all(c or text[start + i].isspace() for i, c in enumerate(covered))


@pytest.mark.parametrize(
    ("text", "value", "label"),
    [
        ("Assurée sociale 2 8 5 0 7 7 5 1 1 2 0 4 7 1 6", "2 8 5 0 7 7 5 1 1 2 0 4 7 1 6", "SECU"),
        ("NIR : 285077511204799 (clé erronée)", "285077511204799", "SECU"),
        ("Carte vitale 1 840675 12304512", "1 840675 12304512", "SECU"),
        ("1850775112047", "1850775112047", "SECU"),
        ("Date de naissance : 1 4 0 3 1 9 6 2", "1 4 0 3 1 9 6 2", "DATE_NAISSANCE"),
        ("vu le 14O32021 en consultation", "14O32021", "DATE"),
        ("Contrôle le 12|03|2021.", "12|03|2021", "DATE"),
        ("Sortie le 12 03 2021 au matin.", "12 03 2021", "DATE"),
        ("Cholécystectomie en 1998, puis appendicectomie.", "1998", "DATE"),
        ("Traitement de 2003-2007 par méthotrexate.", "2003", "DATE"),
        ("Bilan en mars 2019 puis déc 21.", "mars 2019", "DATE"),
        ("Hospitalisé le douze mars deux mille dix-neuf.", "douze mars deux mille dix-neuf", "DATE"),
        ("Perfusion du 3 au 7/05/2022.", "3", "DATE"),
        ("Suivi depuis sept2015.", "sept2015", "DATE"),
        ("Joignable au O6 12 34 56 78 le soir.", "O6 12 34 56 78", "TEL"),
        ("Tél. 06/12/34/56/78", "06/12/34/56/78", "TEL"),
        ("Fille à Genève : +41 22 372 33 11.", "+41 22 372 33 11", "TEL"),
        ("Standard (33) 1 42 16 00 00.", "(33) 1 42 16 00 00", "TEL"),
        ("Écrire à jean.dupont @ chu-nantes . fr pour le suivi.", "jean.dupont @ chu-nantes . fr", "MAIL"),
        ("Patient | F | 02/03/1961 | 8012345678 | 2101234567", "8012345678", "IPP"),
        ("Patient | F | 02/03/1961 | 8012345678 | 2101234567", "2101234567", "NDA"),
        ("NIP 80123456", "80123456", "IPP"),
        ("n° de séjour : 23AB04512", "23AB04512", "NDA"),
        ("21AP07781", "21AP07781", "NDA"),
    ],
)
def test_real_note_forms_are_masked(text, value, label):
    assert (value, label) in _found(text, model=None)


def test_digits_one_by_one_in_a_row_are_cut_into_date_nir_and_birth_date():
    row = "1 2 0 3 2 0 2 4 2 8 5 0 7 7 5 1 1 2 0 4 7 1 6 0 3 0 7 1 9 8 5"
    found = _found(row, model=None)
    assert ("1 2 0 3 2 0 2 4", "DATE") in found
    assert ("2 8 5 0 7 7 5 1 1 2 0 4 7 1 6", "SECU") in found
    assert ("0 3 0 7 1 9 8 5", "DATE_NAISSANCE") in found


@pytest.mark.parametrize(
    "text",
    [
        "0,5 1 1,5 2 2,5 3 3,5 4 4,5 5 5,5 6",
        "0.5 1 1.5 2 2.5 3 3.5 4 4.5 5 5.5 6",
        "(1)14:02 30 1939 394 29 293 29 293 29 2 203 3029 192 39",
        "(1)10:32 06 6246 77 36 96 0 3 341 0 2 381 112 0 12 0",
        "Niveau oeil gauche : 10/12, TA 12/8.",
        "Créatinine 1200 µmol/L, plaquettes 2010 G/L.",
        "Décret n°2013-1066 relatif aux droits des patients.",
        "CONCLUSION",
        "HISTOIRE DE LA MALADIE",
    ],
)
def test_number_tables_scores_and_headings_stay_readable(text):
    assert detect(text) == []


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Chirurgiens : C. Varnelot, D. MOUSSARDIN, P.-E. Kergolay", ["Varnelot", "MOUSSARDIN", "Kergolay"]),
        ("Dr. B. TRAMONI : 06 03 92 65 30", ["TRAMONI"]),
        ("VARNELOT, VARNELOT ANDRÉ", ["VARNELOT", "ANDRÉ"]),
        ("Infirmiers: Zoé Quintaval, Mathis Derroussel", ["Quintaval", "Derroussel"]),
        ("Visite du 03/02/2021 à Bichat pour réévaluation.", ["Bichat"]),
        ("Opéré en 2003 (Pitié-Salpêtrière)", ["Pitié-Salpêtrière"]),
        ("Centre hospitalier Prince Albert, service de cardiologie", ["Prince Albert"]),
    ],
)
def test_names_and_hospitals_without_a_trigger_are_masked(text, values):
    for value in values:
        assert _masked(text, value), (text, value, detect(text))


def test_screening_and_deidentification_use_the_same_detector():
    text = "Chirurgiens : C. Varnelot, D. MOUSSARDIN"
    spans = detect(text)
    result = deidentify([text], mode="mask")
    assert result.spans[0] == spans
    assert "Varnelot" not in result.texts[0] and "MOUSSARDIN" not in result.texts[0]
