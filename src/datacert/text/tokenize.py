"""A tokeniser for clinical text that keeps codes, doses, lab names and dates whole, with offsets.

Notes
-----
General tokenisers break clinical tokens: spaCy/EDS-NLP split `I21.9` into `I21.` `9`, `C08CA01`
into `C 08 CA 01`, `HbA1c` into `HbA 1 c` and `2A` into `2 A` (reference §2.2). Here protected
spans are found first, in priority order -- URL/e-mail, dates, ATC, CIM-10/ICD-10, LOINC (check
digit verified), posology (`1 cp x 3/j`), quantities with a case-sensitive unit (`12,5 G/L` is
giga per litre, never g/L), lab names (`HbA1c`, `NT-proBNP`), Corsican department codes -- and
the text between them is split into words, numbers and punctuation. Every token keeps its
character offsets into the original text and its kind; nothing is lowercased.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from stdnum import luhn

from datacert.text._dates import find_dates
from datacert.text.phi import MAIL_RE, URL_RE


class Token(NamedTuple):
    """One token: its text, offsets into the original (end exclusive) and kind."""

    text: str
    start: int
    end: int
    kind: str  # url email date atc icd10 loinc posology quantity lab department word number punct


# units are matched case-sensitively: G/L (10^9/L) and g/L (grams) are different quantities
UNITS = (
    "mmol/mol",
    "mL/min/1,73m²",
    "mL/min/1,73 m²",
    "mL/min/1.73m2",
    "mL/min/{1.73_m2}",
    "mL/min",
    "ml/min",
    "mg/kg/j",
    "mg/kg/jour",
    "mg/kg/h",
    "µg/kg/min",
    "mg/kg",
    "UI/kg",
    "mg/j",
    "mg/jour",
    "g/j",
    "µg/j",
    "mmol/L",
    "µmol/L",
    "μmol/L",
    "umol/L",
    "nmol/L",
    "pmol/L",
    "mmol/l",
    "µmol/l",
    "g/dL",
    "g/dl",
    "mg/dL",
    "mg/dl",
    "g/L",
    "g/l",
    "mg/L",
    "mg/l",
    "µg/L",
    "ng/mL",
    "ng/L",
    "pg/mL",
    "G/L",
    "T/L",
    "UI/L",
    "U/L",
    "mUI/L",
    "mUI/mL",
    "UI/mL",
    "/mm3",
    "/mm³",
    "/µL",
    "mEq/L",
    "mosm/kg",
    "mmHg",
    "cmH2O",
    "bpm",
    "/min",
    "kg/m²",
    "kg/m2",
    "mg",
    "µg",
    "μg",
    "mcg",
    "ng",
    "g",
    "kg",
    "mL",
    "ml",
    "L",
    "dL",
    "UI",
    "U",
    "mmol",
    "%",
    "°C",
    "fL",
    "pg",
    "cm",
    "mm",
    "m",
    "s",
    "h",
    "min",
    "j",
    "sem",
    "mois",
    "ans",
    "gouttes",
    "gtt",
    "cp",
    "cps",
    "gél",
    "gél.",
    "amp",
    "sachets?",
    "bouffées",
    "puffs",
    "ui",
)
_UNIT_ALT = "|".join(
    re.escape(u) if not u.endswith("?") else re.escape(u[:-1]) + "?"
    for u in sorted(UNITS, key=len, reverse=True)
)
_NUMBER = r"\d+(?:[ \u202f]\d{3})*(?:[.,]\d+)?"
QUANTITY_RE = re.compile(rf"(?<![\w.,]){_NUMBER}(?:\s?-\s?{_NUMBER})?\s?(?:{_UNIT_ALT})(?![\w/])")
POSOLOGY_RE = re.compile(
    rf"(?<![\w.,])(?:{_NUMBER}\s?(?:cp|cps|gél\.?|gélules?|comprimés?|sachets?|amp|ampoules?|gouttes|"
    rf"bouffées|mg|g|µg|UI|mL)\s?)?(?:x|×)\s?{_NUMBER}\s?/\s?(?:j|jour|24h|sem|semaine)\b"
    rf"|(?<![\w.,]){_NUMBER}\s?(?:cp|cps|gél\.?|comprimés?|mg|g|UI)\s?/\s?(?:j|jour|24h)\b"
    rf"|(?<![\w.,])\d(?:\s?-\s?\d){{2,3}}(?![\w\-])"
    rf"|(?<![\w.,])\d+\s(?:fois|x)\spar\s(?:jour|semaine|mois)\b"
    rf"|(?<![\w.,])(?:x|×)\s?\d+\s?/\s?(?:j|jour|24h)\b"
)
ATC_RE = re.compile(r"(?<![\w])[ABCDGHJLMNPRSV]\d{2}[A-Z]{2}\d{2}(?![\w])")
ICD10_RE = re.compile(r"(?<![\w.])[A-TV-Z]\d{2}(?:\.\d{1,3}|\+\d{1,2}|\d{1,3}(?:\+\d)?)?(?![\w+])(?!\.\d)")
LOINC_RE = re.compile(r"(?<![\w\-.])(\d{1,6})-(\d)(?![\w\-.])")
LAB_RE = re.compile(
    r"(?<![\w\-])(?:HbA1c|HbA1C|NT-proBNP|NT-ProBNP|pro-BNP|proBNP|β-hCG|b-hCG|bêta-hCG|beta-hCG|"
    r"25-OH-D3?|25\(OH\)D3?|T4L|T3L|FT4|FT3|TSHus|LDL-c|HDL-c|CO2|pCO2|pO2|SpO2|SaO2|FiO2|HCO3-?|"
    r"D-dimères|D-dimeres|Ac anti-[A-Za-z0-9]+|Ag HBs|AgHBs|γGT|gamma-GT|gGT|CRPus|TnIc|TnI|TnT|"
    r"hs-cTnT|hs-cTnI|Hb|Ht|VGM|TCMH|CCMH|PNN|PNE|PNB|Na\+|K\+|Cl-|Ca2\+|Mg2\+)(?![\w\-+])"
)
DEPARTMENT_RE = re.compile(r"(?<![\w])(?:2A|2B|97[1-6])(?![\w])")
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’](?=[^\W\d_]))?|[^\W\d_]+|\S")

PROTECTED = (
    ("url", URL_RE),
    ("email", MAIL_RE),
    ("posology", POSOLOGY_RE),
    ("quantity", QUANTITY_RE),
    ("atc", ATC_RE),
    ("icd10", ICD10_RE),
    ("loinc", LOINC_RE),
    ("lab", LAB_RE),
    ("department", DEPARTMENT_RE),
)


def protected_spans(text: str) -> list[tuple[int, int, str]]:
    """Spans that must stay single tokens, without overlaps (earlier kinds win, then longer)."""
    candidates: list[tuple[int, int, str, int]] = []
    for rank, (kind, pattern) in enumerate(PROTECTED):
        for m in pattern.finditer(text):
            end = m.end()
            if kind == "url":
                while end > m.start() and text[end - 1] in ".,;:!?)":
                    end -= 1
            if kind == "loinc" and not luhn.is_valid(m.group(1) + m.group(2)):
                continue
            candidates.append((m.start(), end, kind, rank))
    for d in find_dates(text):
        candidates.append((d.start, d.end, "date", 2))
    candidates.sort(key=lambda c: (c[3], -(c[1] - c[0]), c[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind, _ in candidates:
        if all(end <= s or e <= start for s, e, _ in kept):
            kept.append((start, end, kind))
    return sorted(kept)


def tokenize(text: str) -> list[Token]:
    """Tokens of `text` with offsets; protected clinical tokens are never split."""
    tokens: list[Token] = []
    last = 0
    for start, end, kind in [*protected_spans(text), (len(text), len(text), "")]:
        for m in _WORD_RE.finditer(text, last, start):
            piece = m.group()
            kind_of = "number" if piece[0].isdigit() else ("word" if piece[0].isalpha() else "punct")
            tokens.append(Token(piece, m.start(), m.end(), kind_of))
        if kind:
            tokens.append(Token(text[start:end], start, end, kind))
        last = end
    return tokens
