"""Abbreviation normalisation, French and English: expand only what cannot be misread.

Notes
-----
A wrong expansion corrupts training data worse than none (reference §3), so a short form is
expanded only when

* it has a single sense: the hand-curated French list (accented expansions), the French sense
  inventory of Cossin et al. (scossin/abbreviations, MIT, PFIA santé 2021; short forms written
  in capitals only, lemmatised long forms as published), or the curated English list; or
* it is listed as ambiguous in resources/abbreviations_context.yaml (EP, IRC, TP, PAL, TCA, MS,
  PE, PT, RA...) and exactly one of its senses is supported by the context: cue words in a
  window around it, the section of the note it sits in, or what follows it (TP followed by a
  percentage is the prothrombin ratio). No support, or support for two senses: left as written.

Short forms with several senses in the inventory, or that collide with identifiers and common
words (IPP, PA, FR...), are never expanded. Surface form, expansion and offsets are all kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from datacert.knowledge import safe_load
from datacert.text._resources import read_lines, read_text, sense_inventory
from datacert.text.quality import detect_language
from datacert.text.tokenize import protected_spans

# never expanded: they collide with identifiers, common words or have several clinical senses
NEVER = frozenset(
    {
        "IPP",
        "PA",
        "FR",
        "IV",
        "DE",
        "LA",
        "LE",
        "EN",
        "ET",
        "AU",
        "OU",
        "UN",
        "IL",
        "ON",
        "SI",
        "NE",
        "SE",
        "CE",
        "SA",
        "ES",
        "AS",
        "OR",
        "NI",
        "DU",
        "CA",
        "DR",
        "PR",
        "MR",
        "ME",
        "ST",
        "NO",
    }
)
SECTION_PATTERNS = {
    "biologie": r"(?:biologie|bilan\s+biologique|examens?\s+biologiques?|r[ée]sultats?\s+biologiques?"
    r"|labo(?:ratoire)?"
    r"|bilan\s+sanguin|biology|labs?|laboratory)",
    "antecedents": r"(?:ant[ée]c[ée]dents|atcds?|past\s+medical\s+history|pmh)",
    "imagerie": r"(?:imagerie|radiologie|scanner|imaging|radiology)",
    "traitement": r"(?:traitements?|ttt|m[ée]dicaments|medications?|prescriptions?)",
    "examen": r"(?:examen\s+clinique|examen\s+physique|physical\s+exam(?:ination)?)",
    "conclusion": r"(?:conclusion|synth[èe]se|assessment|impression)",
}
_SECTION_RE = re.compile(
    r"(?im)^[ \t]*(?:" + "|".join(f"(?P<{k}>{v})" for k, v in SECTION_PATTERNS.items()) + r")[ \t]*(?::|\n|$)"
)
_TOKEN_RE = re.compile(r"(?<![\w\-])[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9]{1,7}(?![\w\-])")
WINDOW = 120


@dataclass(frozen=True)
class Expansion:
    """One expanded short form: offsets into the text, surface, expansion and why it was expanded."""

    start: int
    end: int
    surface: str
    expansion: str
    source: str  # curated | inventory | context | en
    language: str


@lru_cache(maxsize=1)
def _context_rules() -> dict[str, dict[str, list[dict]]]:
    rules = safe_load(read_text("abbreviations_context.yaml"))
    compiled: dict[str, dict[str, list[dict]]] = {}
    for lang, entries in rules.items():
        compiled[lang] = {}
        for short, senses in entries.items():
            compiled[lang][short] = [
                {
                    "expansion": s["expansion"],
                    "cues": [re.compile(c, re.IGNORECASE) for c in s.get("cues", [])],
                    "sections": set(s.get("sections", [])),
                    "next": re.compile(s["next"]) if s.get("next") else None,
                }
                for s in senses
            ]
    return compiled


@lru_cache(maxsize=1)
def french_dictionary() -> dict[str, tuple[str, str, bool]]:
    """Unambiguous French short forms: surface key -> (expansion, source, lower case allowed).

    Keys are upper case (matched on capitals) except curated entries allowed in lower case.
    """
    ambiguous = set(_context_rules().get("fr", {}))
    table: dict[str, tuple[str, str, bool]] = {}
    for short, senses in sense_inventory().items():
        key = short.upper()
        if len({s for s, _, _ in senses}) != 1 or key in NEVER or key in ambiguous or len(short) < 2:
            continue
        preferred = [long for _, long, pt in senses if pt] or [senses[0][1]]
        if not short.isalpha() and not any(ch.isalpha() for ch in short):
            continue
        table[key] = (preferred[0], "inventory", False)
    for line in read_lines("abbreviations_fr_curated.tsv"):
        parts = line.split("\t")
        key = parts[0] if parts[0] != parts[0].lower() else parts[0].upper()
        table[key] = (parts[1], "curated", len(parts) > 2 and parts[2] == "lower")
        if key.upper() != key:
            table.setdefault(key.upper(), (parts[1], "curated", False))
    for key in list(table):
        if key in ambiguous or key in NEVER:
            del table[key]
    return table


@lru_cache(maxsize=1)
def english_dictionary() -> dict[str, str]:
    ambiguous = set(_context_rules().get("en", {}))
    out = {}
    for line in read_lines("abbreviations_en.tsv"):
        short, expansion = line.split("\t")[:2]
        if short not in ambiguous:
            out[short] = expansion
    return out


def _sections(text: str) -> list[tuple[int, str]]:
    return [(m.end(), next(k for k, v in m.groupdict().items() if v)) for m in _SECTION_RE.finditer(text)]


def _section_at(sections: list[tuple[int, str]], position: int) -> str | None:
    current = None
    for start, name in sections:
        if start <= position:
            current = name
        else:
            break
    return current


def _by_context(text: str, start: int, end: int, senses: list[dict], section: str | None) -> str | None:
    window = text[max(0, start - WINDOW) : start] + " " + text[end : end + WINDOW]
    supported = []
    for sense in senses:
        if (
            any(c.search(window) for c in sense["cues"])
            or (section is not None and section in sense["sections"])
            or (sense["next"] is not None and sense["next"].match(text, end))
        ):
            supported.append(sense["expansion"])
    return supported[0] if len(set(supported)) == 1 else None


def expand_abbreviations(text: str, language: str = "auto") -> list[Expansion]:
    """Short forms of `text` that can be expanded safely, with offsets into `text`."""
    if not text:
        return []
    lang = detect_language(text) if language == "auto" else language
    lang = "en" if lang == "en" else "fr"
    rules = _context_rules().get(lang, {})
    sections = _sections(text)
    out: list[Expansion] = []
    french = french_dictionary()
    english = english_dictionary()
    # units, doses, codes, dates and addresses are never expanded ("UI" in "120 UI/L" is a unit)
    shielded = [(s, e) for s, e, kind in protected_spans(text) if kind != "lab"]
    for m in _TOKEN_RE.finditer(text):
        surface = m.group()
        if any(s <= m.start() < e for s, e in shielded):
            continue
        if surface in rules:
            expansion = _by_context(
                text, m.start(), m.end(), rules[surface], _section_at(sections, m.start())
            )
            if expansion:
                out.append(Expansion(m.start(), m.end(), surface, expansion, "context", lang))
            continue
        if surface.upper() in NEVER:
            continue
        if lang == "en":
            if surface in english:
                out.append(Expansion(m.start(), m.end(), surface, english[surface], "en", lang))
            continue
        entry = french.get(surface)
        if entry is None and surface.islower():
            candidate = french.get(surface.upper())
            entry = candidate if candidate and candidate[2] else None
        if entry is None:
            continue
        expansion, source, _ = entry
        if source == "inventory" and not (surface.isupper() or _mixed(surface)):
            continue
        out.append(Expansion(m.start(), m.end(), surface, expansion, source, lang))
    return out


def _mixed(surface: str) -> bool:
    """Mixed capitals and digits (DT2, HbA1c) count as an abbreviation form, plain words do not."""
    return any(ch.isdigit() for ch in surface) and any(ch.isupper() for ch in surface)
