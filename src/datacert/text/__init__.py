"""Clinical free text: tokenisation, abbreviations, lab names, de-identification, screening.

Everything runs offline from rules, check digits and tables shipped in `resources/`.

The names below are loaded on first use (PEP 562): importing the package, or one light module of
it such as `injection`, does not compile the detector's few hundred patterns nor import
phonenumbers (0.06 CPU s), which every `check` paid through the text checks' imports even on
tables without a text column.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

# the de-identification label set (eds-pseudo's, plus URL, RPPS, AGE), here rather than in `phi`
# so that the check registry can list it without loading the detector
LABELS: tuple[str, ...] = (
    "NOM",
    "PRENOM",
    "DATE",
    "DATE_NAISSANCE",
    "ADRESSE",
    "VILLE",
    "ZIP",
    "TEL",
    "MAIL",
    "SECU",
    "IPP",
    "NDA",
    "HOPITAL",
    "URL",
    "RPPS",
    "AGE",
)

# exported name -> (module of this package, its name there)
_LAZY = {
    "Expansion": ("abbreviations", "Expansion"),
    "expand_abbreviations": ("abbreviations", "expand_abbreviations"),
    "DeidResult": ("deid", "DeidResult"),
    "deidentify": ("deid", "deidentify"),
    "scan_injection": ("injection", "scan"),
    "LabMatch": ("labs", "LabMatch"),
    "convert": ("labs", "convert"),
    "find_lab_mentions": ("labs", "find_lab_mentions"),
    "harmonise_column_name": ("labs", "harmonise_column_name"),
    "Normalized": ("normalize", "Normalized"),
    "normalize": ("normalize", "normalize"),
    "Span": ("phi", "Span"),
    "detect": ("phi", "detect"),
    "detect_language": ("quality", "detect_language"),
    "text_quality_facts": ("quality", "text_quality_facts"),
    "Token": ("tokenize", "Token"),
    "tokenize": ("tokenize", "tokenize"),
}

if TYPE_CHECKING:
    from datacert.text.abbreviations import Expansion, expand_abbreviations
    from datacert.text.deid import DeidResult, deidentify
    from datacert.text.injection import scan as scan_injection
    from datacert.text.labs import LabMatch, convert, find_lab_mentions, harmonise_column_name
    from datacert.text.normalize import Normalized, normalize
    from datacert.text.phi import Span, detect
    from datacert.text.quality import detect_language, text_quality_facts
    from datacert.text.tokenize import Token, tokenize


def __getattr__(name: str) -> Any:
    """The exported name, its module imported on first use (a submodule name falls through)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(ModuleType):
    """This package, whose exported `normalize` and `tokenize` are functions named as their modules.

    Importing a submodule binds it on its package; that binding is skipped for an exported name, so
    that `datacert.text.tokenize` stays the function, as when this package imported every module.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
