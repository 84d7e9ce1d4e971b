"""Abbreviations: unambiguous ones expanded, ambiguous ones only when the context decides."""

import pytest

from datacert.text.abbreviations import expand_abbreviations, french_dictionary


def _expanded(text, language="auto"):
    return {e.surface: e.expansion for e in expand_abbreviations(text, language)}


def test_unambiguous_french_short_forms_are_expanded_with_offsets():
    text = "Patient suivi pour HTA et DT2, ATCD d'IDM, NFS normale."
    found = expand_abbreviations(text)
    by_surface = {e.surface: e for e in found}
    assert by_surface["HTA"].expansion == "hypertension artérielle"
    assert by_surface["DT2"].expansion == "diabète de type 2"
    assert by_surface["IDM"].expansion == "infarctus du myocarde"
    for e in found:
        assert text[e.start : e.end] == e.surface


def test_the_inventory_feeds_the_dictionary():
    table = french_dictionary()
    assert len(table) > 1000  # built from the scossin sense inventory (1,856 short forms)
    assert table["BPCO"][0].startswith("bronchopneumopathie")


@pytest.mark.parametrize(
    "text",
    [
        "Antécédent d'EP.",
        "Suivi IRC.",
        "TP à revoir.",
        "PAL élevées.",
        "Contrôle EP et IRC en ville.",
    ],
)
def test_ambiguous_short_forms_are_not_expanded_without_context(text):
    assert not {"EP", "IRC", "TP", "PAL"} & set(_expanded(text))


@pytest.mark.parametrize(
    ("text", "surface", "expansion"),
    [
        ("Suspicion d'EP, angioscanner thoracique et héparine.", "EP", "embolie pulmonaire"),
        ("Radiographie : EP de moyenne abondance, ponction pleurale.", "EP", "épanchement pleural"),
        ("IRC stade 4, créatinine 250 µmol/L, dialyse discutée.", "IRC", "insuffisance rénale chronique"),
        (
            "IRC sous oxygène 2 L/min au long cours, VNI nocturne.",
            "IRC",
            "insuffisance respiratoire chronique",
        ),
        ("TP 78 %, INR 1,1.", "TP", "taux de prothrombine"),
        ("Biologie :\nTP 65 %\nPAL 120 UI/L", "PAL", "phosphatases alcalines"),
        ("Bilan hépatique : ASAT, ALAT, GGT et PAL augmentées.", "PAL", "phosphatases alcalines"),
    ],
)
def test_ambiguous_short_forms_are_expanded_when_the_context_decides(text, surface, expansion):
    assert _expanded(text)[surface] == expansion


def test_conflicting_context_leaves_the_short_form_alone():
    # both pulmonary-embolism and pleural-effusion cues: no expansion
    assert "EP" not in _expanded("EP ? héparine débutée, ponction pleurale prévue.")


def test_lowercase_words_are_not_taken_for_abbreviations():
    assert "EP" not in _expanded("ep de moyenne abondance, ponction pleurale")
    assert _expanded("ttt : amlodipine 1 cp/j")["ttt"] == "traitement"


def test_units_and_identifiers_are_not_expanded():
    expanded = _expanded("PAL 120 UI/L. IPP : 8012345678.")
    assert "UI" not in expanded and "IPP" not in expanded


def test_english_list_and_english_context():
    expanded = _expanded("The patient has HTN and T2DM; PE ruled out on CTPA, anticoagulation stopped.")
    assert expanded["HTN"] == "hypertension"
    assert expanded["PE"] == "pulmonary embolism"
    assert "PE" not in _expanded("The PE was unremarkable and the patient is well.", "en")
