"""Normalise a note: protected tokens, abbreviations expanded, lab mentions mapped to LOINC/UCUM.

The normalised text differs from the original only where an abbreviation was expanded; the
offsets map lists every replaced segment as [normalised start, normalised end, original start,
original end], so any position in either text can be mapped to the other (outside the
segments the two texts are aligned and shifted by the sum of the earlier length changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from datacert.text.abbreviations import Expansion, expand_abbreviations
from datacert.text.labs import find_lab_mentions
from datacert.text.tokenize import protected_spans


@dataclass(frozen=True)
class Normalized:
    text: str
    offsets: list[list[int]]
    expansions: list[Expansion]
    labs: list[dict]
    tokens: list[list]


def normalize(text: str | None, language: str = "auto") -> Normalized:
    """Apply the tokeniser, the abbreviation expansion and the lab harmonisation to one note."""
    if not text:
        return Normalized(text or "", [], [], [], [])
    expansions = expand_abbreviations(text, language)
    parts, offsets, last, shift = [], [], 0, 0
    for e in expansions:
        parts.append(text[last : e.start])
        start = e.start + shift
        parts.append(e.expansion)
        offsets.append([start, start + len(e.expansion), e.start, e.end])
        shift += len(e.expansion) - (e.end - e.start)
        last = e.end
    parts.append(text[last:])
    labs = [
        {
            "start": m.start,
            "end": m.end,
            "family": m.family,
            "loinc": m.loinc,
            "ucum": m.ucum,
            "value": m.value,
            "unit": m.unit,
            "unit_text": m.unit_text,
            "value_ucum": m.value_ucum,
            "unit_ok": m.unit_ok,
        }
        for m in find_lab_mentions(text, require_value=False)
    ]
    tokens = [[s, e, kind] for s, e, kind in protected_spans(text)]
    return Normalized("".join(parts), offsets, expansions, labs, tokens)


def to_original(offsets: list[list[int]], position: int) -> int:
    """Map a position of the normalised text back to the original text."""
    shift = 0
    for n_start, n_end, o_start, o_end in offsets:
        if position < n_start:
            break
        if position < n_end:
            return o_start
        shift = n_end - o_end
    return position - shift
