"""The detector reads decomposed Unicode and other scripts, and stays linear on very long notes."""

import sys
import unicodedata

from datacert.text._unicode import composed_view
from datacert.text.deid import deidentify
from datacert.text.phi import Span, _resolve, detect


def test_composed_view_maps_offsets_back_to_the_original():
    text = unicodedata.normalize("NFD", "Mme Hélène LEFÈVRE, née à Besançon")
    view = composed_view(text)
    assert view.text == unicodedata.normalize("NFC", text)
    at = view.text.index("LEFÈVRE")
    start, end = view.original(at, at + len("LEFÈVRE"))
    assert unicodedata.normalize("NFC", text[start:end]) == "LEFÈVRE"
    assert text[end:].startswith(",")


def test_decomposed_accents_leave_no_readable_surname():
    composed = "Mme Hélène LEFÈVRE est suivie pour HTA."
    for form in ("NFD", "NFC"):
        text = unicodedata.normalize(form, composed)
        masked = deidentify([text], mode="mask").texts[0]
        assert "LEF" not in masked and "lène" not in unicodedata.normalize("NFC", masked), form
        assert masked.endswith("est suivie pour HTA.")
        # every span covers whole original characters: no combining mark is left behind alone
        for span in detect(text):
            assert not unicodedata.combining(text[span.start])
            assert span.end == len(text) or not unicodedata.combining(text[span.end])


def test_no_break_spaces_are_read_as_spaces_with_exact_offsets():
    text = "Tél\u00a0: 06\u00a012\u00a034\u00a056\u00a078"
    spans = detect(text)
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("06\u00a012\u00a034\u00a056\u00a078", "TEL")
    ]


def test_names_in_other_scripts_are_masked_after_a_title():
    for text, name in (
        ("Mme Наталья Иванова, vue en consultation.", "Наталья Иванова"),
        ("Patient : محمد العلي, suivi depuis mars.", "محمد العلي"),
        ("Dr 王伟 a signé le compte rendu.", "王伟"),
        ("M. Γιώργος Παπαδόπουλος est sorti.", "Γιώργος Παπαδόπουλος"),
    ):
        masked = deidentify([text], mode="mask").texts[0]
        for part in name.split():
            assert part not in masked, (text, masked)


def _calls(function, *args) -> int:
    """Python and C function calls made by `function(*args)`: a machine-independent cost."""
    count = 0

    def profiler(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profiler)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return count


def _long_note(repeats: int) -> str:
    line = (
        "Le {i}/03/2021, Mme Jeanne DUPONT (IPP 80{i:06d}) vue par le Dr Paul MARTIN, tél. 06 12 34 56 78, "
        "demeurant 14 rue des Lilas 75012 Paris. TA 12/8, HTA, poursuite du traitement.\n"
    )
    return "".join(line.format(i=i % 28 + 1) for i in range(repeats))


def test_overlap_resolution_is_linear_in_the_number_of_spans():
    spans = [Span(i, i + 3 + i % 5, "NOM" if i % 2 else "DATE") for i in range(0, 40_000, 2)]
    small, large = _calls(_resolve, spans[:2_500]), _calls(_resolve, spans)
    assert large < 12 * small  # 8x the spans: linear gives ~8x the work, quadratic ~64x


def test_detection_cost_grows_linearly_with_note_length():
    small, large = _calls(detect, _long_note(100)), _calls(detect, _long_note(400))
    assert large < 6 * small  # 4x the text


def test_a_one_megabyte_note_is_deidentified_whole():
    text = _long_note(6_000)
    assert len(text) > 1_000_000
    result = deidentify([text], mode="mask")
    masked = result.texts[0]
    assert "DUPONT" not in masked and "06 12 34 56 78" not in masked
    assert masked.count("poursuite du traitement") == 6_000


def test_many_notes_split_over_processes_give_the_same_spans(monkeypatch):
    import datacert.text.phi as phi

    notes = [_long_note(1).replace("DUPONT", name) for name in ("DUPONT", "MARTIN", "LEFÈVRE")] * 4 + [
        None,
        "",
    ]
    sequential = phi.detect_many(notes, workers=1)
    monkeypatch.setattr(phi, "PARALLEL_FROM", 4)
    assert phi.detect_many(notes, workers=2) == sequential
