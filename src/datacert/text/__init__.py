"""Clinical free text: tokenisation, abbreviations, lab names, de-identification, screening.

Everything runs offline from rules, check digits and tables shipped in `resources/`.
"""

from datacert.text.abbreviations import Expansion, expand_abbreviations
from datacert.text.deid import DeidResult, deidentify
from datacert.text.injection import scan as scan_injection
from datacert.text.labs import LabMatch, convert, find_lab_mentions, harmonise_column_name
from datacert.text.normalize import Normalized, normalize
from datacert.text.phi import LABELS, Span, detect
from datacert.text.quality import detect_language, text_quality_facts
from datacert.text.tokenize import Token, tokenize

__all__ = [
    "LABELS",
    "DeidResult",
    "Expansion",
    "LabMatch",
    "Normalized",
    "Span",
    "Token",
    "convert",
    "deidentify",
    "detect",
    "detect_language",
    "expand_abbreviations",
    "find_lab_mentions",
    "harmonise_column_name",
    "normalize",
    "scan_injection",
    "text_quality_facts",
    "tokenize",
]
