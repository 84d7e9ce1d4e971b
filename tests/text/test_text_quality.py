"""Text quality facts: empties, copy-paste across patients, lengths, language."""

import polars as pl

from datacert.text.quality import detect_language, text_quality_facts


def test_facts():
    notes = pl.Series(
        [
            "Le patient est venu pour une douleur thoracique et il est rentré chez lui.",
            "The patient was seen in the clinic and was sent home with no treatment.",
            "  ",
            None,
            "Copie du compte rendu de la veille pour le patient.",
            "copie du compte rendu  de la veille pour le patient.",
        ]
    )
    facts = text_quality_facts(notes, groups=["a", "b", "c", "d", "e", "f"])
    assert facts["notes"] == 6 and facts["empty_notes"] == 2
    assert facts["copy_paste"] == {"kind": "across_groups", "texts": 1, "rows": 2}
    assert facts["languages"]["fr"] == 3 and facts["languages"]["en"] == 1
    assert facts["length_chars"]["max"] >= facts["length_chars"]["median"] >= facts["length_chars"]["min"]


def test_same_text_within_one_patient_is_not_copy_paste_across_patients():
    notes = pl.Series(["Pansement refait, cicatrice propre."] * 3)
    assert text_quality_facts(notes, groups=["a", "a", "a"])["copy_paste"]["texts"] == 0
    assert text_quality_facts(notes)["copy_paste"] == {"kind": "across_rows", "texts": 1, "rows": 3}


def test_language_detector():
    assert (
        detect_language("Le patient est hospitalisé pour une pneumopathie et il est sous antibiotiques.")
        == "fr"
    )
    assert detect_language("The patient was admitted with pneumonia and is on antibiotics.") == "en"
    assert detect_language("HTA DT2 IDM") == "unknown"
