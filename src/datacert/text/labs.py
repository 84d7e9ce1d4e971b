"""Lab harmonisation: French and English lab names -> LOINC code + UCUM unit, with value conversion.

Notes
-----
The table (resources/labs.csv, sources in its header) gives, per analyte family, one LOINC code
per property: glucose is 14749-6 in mmol/L (what French labs report) and 2345-7 in mg/dL (US);
creatinine, bilirubin, urea/BUN and HbA1c (% NGSP vs mmol/mol IFCC) likewise. A mention is
mapped to the code whose unit matches the unit written; a unit of the same family without its
own code (glucose in g/L) is converted with resources/lab_conversions.csv. Units are read
case-sensitively in text: `G/L` is 10*9/L (a cell count), `g/L` is grams per litre, and a unit
that makes no sense for the analyte is reported, never silently reinterpreted. Column names are
lower-case by habit, so there a count analyte's "g_l" is read as 10*9/L.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from datacert.text._resources import read_text
from datacert.text.phi import fold


@dataclass(frozen=True)
class LabRow:
    family: str
    loinc: str
    ucum: str
    property: str
    display: str


@dataclass(frozen=True)
class LabMatch:
    """A lab recognised in a column name or a text mention.

    `loinc`/`ucum` are the code and its unit; `unit` is the unit found (UCUM) or None;
    `factor`/`offset` turn a value in `unit` into `ucum` (value * factor + offset) when they differ.
    For text mentions `start`/`end` are offsets into the text and `value` the number read.
    """

    family: str
    loinc: str
    ucum: str
    display: str
    alias: str
    unit: str | None = None
    unit_text: str | None = None
    factor: float | None = 1.0
    offset: float = 0.0
    unit_ok: bool = True
    start: int | None = None
    end: int | None = None
    value: float | None = None

    @property
    def value_ucum(self) -> float | None:
        """The value expressed in the code's unit (None when there is no value or no conversion)."""
        if self.value is None or self.factor is None or not self.unit_ok:
            return None
        return self.value * self.factor + self.offset


@lru_cache(maxsize=1)
def lab_rows() -> tuple[LabRow, ...]:
    lines = [ln for ln in read_text("labs.csv").splitlines() if not ln.startswith("#")]
    return tuple(
        LabRow(r["family"], r["loinc"], r["ucum"], r["property"], r["display"]) for r in csv.DictReader(lines)
    )


@lru_cache(maxsize=1)
def _aliases() -> tuple[dict[str, str], dict[str, str]]:
    """(folded long names -> family, case-sensitive abbreviations -> family)."""
    lines = [ln for ln in read_text("labs.csv").splitlines() if not ln.startswith("#")]
    names: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    for r in csv.DictReader(lines):
        for key in ("fr_names", "en_names"):
            for alias in filter(None, r[key].split("|")):
                names.setdefault(fold(alias), r["family"])
        for key in ("fr_abbr", "en_abbr"):
            for alias in filter(None, r[key].split("|")):
                abbreviations.setdefault(alias, r["family"])
    return names, abbreviations


@lru_cache(maxsize=1)
def _conversions() -> dict[tuple[str, str, str], tuple[float, float]]:
    lines = [ln for ln in read_text("lab_conversions.csv").splitlines() if not ln.startswith("#")]
    table: dict[tuple[str, str, str], tuple[float, float]] = {}
    for r in csv.DictReader(lines):
        factor, offset = float(r["factor"]), float(r["offset"])
        table[(r["family"], r["from_ucum"], r["to_ucum"])] = (factor, offset)
        table[(r["family"], r["to_ucum"], r["from_ucum"])] = (1 / factor, -offset / factor)
    return table


def convert(value: float, family: str, from_ucum: str, to_ucum: str) -> float:
    """Convert a value between two units of one lab family (ValueError when not convertible)."""
    if from_ucum == to_ucum:
        return value
    factor, offset = _factor(family, from_ucum, to_ucum)
    if factor is None:
        raise ValueError(f"no conversion for {family} from {from_ucum} to {to_ucum}")
    return value * factor + offset


def _factor(family: str, from_ucum: str, to_ucum: str) -> tuple[float | None, float]:
    if from_ucum == to_ucum:
        return 1.0, 0.0
    table = _conversions()
    if (family, from_ucum, to_ucum) in table:
        return table[(family, from_ucum, to_ucum)]
    for (fam, a, b), (f1, o1) in table.items():  # one intermediate unit
        if fam == family and a == from_ucum and (family, b, to_ucum) in table:
            f2, o2 = table[(family, b, to_ucum)]
            return f1 * f2, o1 * f2 + o2
    return None, 0.0


# written unit (case-sensitive) -> UCUM
TEXT_UNITS = {
    "g/dL": "g/dL",
    "g/dl": "g/dL",
    "g/L": "g/L",
    "g/l": "g/L",
    "mg/dL": "mg/dL",
    "mg/dl": "mg/dL",
    "mg/L": "mg/L",
    "mg/l": "mg/L",
    "mmol/L": "mmol/L",
    "mmol/l": "mmol/L",
    "µmol/L": "umol/L",
    "μmol/L": "umol/L",
    "umol/L": "umol/L",
    "µmol/l": "umol/L",
    "mmol/mol": "mmol/mol",
    "%": "%",
    "G/L": "10*9/L",
    "T/L": "10*12/L",
    "10^9/L": "10*9/L",
    "10^12/L": "10*12/L",
    "/mm3": "/mm3",
    "/mm³": "/mm3",
    "/µL": "10*3/uL",
    "UI/L": "U/L",
    "U/L": "U/L",
    "IU/L": "U/L",
    "mUI/L": "m[IU]/L",
    "µUI/mL": "m[IU]/L",
    "fL": "fL",
    "fl": "fL",
    "s": "s",
    "sec": "s",
    "µg/L": "ug/L",
    "ng/mL": "ng/mL",
    "ng/L": "ng/L",
    "mL/min/1,73m²": "mL/min/{1.73_m2}",
    "mL/min/1,73 m²": "mL/min/{1.73_m2}",
    "mL/min/1.73m2": "mL/min/{1.73_m2}",
    "mL/min": "mL/min/{1.73_m2}",
}
_COUNT_FAMILIES = {"wbc", "platelets", "neutrophils", "lymphocytes", "rbc"}
# column-name unit tokens (already folded and split on non-alphanumerics) -> UCUM
_COLUMN_UNITS = (
    (("mmol", "mol"), "mmol/mol"),
    (("mg", "dl"), "mg/dL"),
    (("mgdl",), "mg/dL"),
    (("g", "dl"), "g/dL"),
    (("gdl",), "g/dL"),
    (("mmol", "l"), "mmol/L"),
    (("mmoll",), "mmol/L"),
    (("mmol",), "mmol/L"),
    (("umol", "l"), "umol/L"),
    (("umoll",), "umol/L"),
    (("umol",), "umol/L"),
    (("µmol",), "umol/L"),
    (("mg", "l"), "mg/L"),
    (("mgl",), "mg/L"),
    (("g", "l"), "g/L"),
    (("gl",), "g/L"),
    (("pct",), "%"),
    (("percent",), "%"),
    (("pc",), "%"),
    (("u", "l"), "U/L"),
    (("ui", "l"), "U/L"),
    (("iu", "l"), "U/L"),
    (("ul",), "U/L"),
    (("fl",), "fL"),
    (("sec",), "s"),
    (("s",), "s"),
    (("ng", "ml"), "ng/mL"),
    (("ug", "l"), "ug/L"),
    (("mm3",), "/mm3"),
)


def _rows_of(family: str) -> list[LabRow]:
    return [r for r in lab_rows() if r.family == family]


def _resolve(family: str, unit: str | None, alias: str, for_text: bool) -> LabMatch:
    """Pick the family's code for a unit, with the conversion to that code's unit."""
    rows = _rows_of(family)
    if unit == "g/L" and family in _COUNT_FAMILIES and not for_text:
        unit = "10*9/L"
    if unit is None:
        row = rows[0]
        return LabMatch(family, row.loinc, row.ucum, row.display, alias)
    for row in rows:
        if row.ucum == unit:
            return LabMatch(family, row.loinc, row.ucum, row.display, alias, unit=unit)
    for row in rows:
        factor, offset = _factor(family, unit, row.ucum)
        if factor is not None:
            return LabMatch(
                family, row.loinc, row.ucum, row.display, alias, unit=unit, factor=factor, offset=offset
            )
    row = rows[0]
    return LabMatch(family, row.loinc, row.ucum, row.display, alias, unit=unit, factor=None, unit_ok=False)


def harmonise_column_name(name: str) -> LabMatch | None:
    """The lab a column name stands for ("glucose_mg_dl", "Créatinine (µmol/L)", "HbA1c_pct"), or None.

    Abbreviations of one or two letters (K, Na, Hb) are accepted only with a unit in the name.
    """
    names, abbreviations = _aliases()
    tokens = [t for t in re.split(r"[^0-9a-zµ]+", fold(name).replace("µ", "u")) if t]
    if not tokens:
        return None
    best: tuple[int, int, str, str] | None = None  # (length, start, family, alias)
    folded_abbr = {fold(a): (fam, a) for a, fam in abbreviations.items()}
    candidates = {**{k: (fam, k) for k, fam in names.items()}, **folded_abbr}
    for alias, (family, surface) in candidates.items():
        parts = [p for p in re.split(r"[^0-9a-z]+", alias) if p]
        if not parts:
            continue
        for i in range(len(tokens) - len(parts) + 1):
            if tokens[i : i + len(parts)] == parts:
                key = (len(" ".join(parts)), -i, family, surface)
                if best is None or key[:2] > best[:2]:
                    best = key
    if best is None:
        # "hba1c" spelled as one token with digits, "creat" prefixes...
        return None
    _length, neg_start, family, alias = best
    start = -neg_start
    consumed = set(range(start, start + len(alias.split()) if " " in alias else start + 1))
    rest = [t for i, t in enumerate(tokens) if i not in consumed]
    unit = _column_unit(rest)
    if len(alias) <= 2 and unit is None and len(tokens) > 1:
        return None
    if len(alias) <= 2 and unit is None and fold(name) != fold(alias):
        return None
    return _resolve(family, unit, alias, for_text=False)


def _column_unit(tokens: list[str]) -> str | None:
    for i in range(len(tokens)):
        for pattern, ucum in _COLUMN_UNITS:
            if tokens[i : i + len(pattern)] == list(pattern):
                return ucum
    return None


_VALUE = r"(?P<value>\d+(?:[.,]\d+)?)"
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(TEXT_UNITS, key=len, reverse=True))


@lru_cache(maxsize=1)
def _mention_re() -> re.Pattern:
    names, abbreviations = _aliases()
    long_names = sorted(names, key=len, reverse=True)
    # long names are matched on folded text; abbreviations on the original, case-sensitively
    return re.compile(
        r"(?<![\w\-])(?:(?P<abbr>"
        + "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
        + r")|(?i:(?P<name>"
        + "|".join(_accent_free(n) for n in long_names)
        + r")))(?![\w\-])"
        r"(?:\s*(?:\(\w+\))?\s*(?::|=|à|a|de|est\sà)?\s*"
        + _VALUE
        + r"\s?(?P<unit>"
        + _UNIT_ALT
        + r")?(?![\w/]))?"
    )


def _accent_free(folded: str) -> str:
    """A regex matching a folded name whatever the accents in the text."""
    variants = {"e": "[eéèêë]", "a": "[aàâä]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]"}
    return "".join(variants.get(ch, re.escape(ch)) for ch in folded)


def find_lab_mentions(text: str, require_value: bool = True) -> list[LabMatch]:
    """Lab mentions in a note, with the value and unit when written ("créatininémie 98 µmol/L").

    Without `require_value`, bare names count too (a panel such as "NFS" has no value). Short
    ambiguous abbreviations (TP, PAL, K, Na) are taken only with a value.
    """
    names, abbreviations = _aliases()
    out = []
    for m in _mention_re().finditer(text):
        alias = m.group("abbr") or m.group("name")
        family = abbreviations[alias] if m.group("abbr") else names.get(fold(alias))
        if family is None:
            continue
        value = m.group("value")
        if value is None and (require_value or (m.group("abbr") and len(alias) <= 3 and family != "cbc")):
            if not (not require_value and family == "cbc"):
                continue
        unit_text = m.group("unit")
        unit = TEXT_UNITS.get(unit_text) if unit_text else None
        if unit == "10*3/uL" and family not in _COUNT_FAMILIES:
            unit = None
        match = _resolve(family, unit, alias, for_text=True)
        end = m.end() if value is not None else m.end("abbr") if m.group("abbr") else m.end("name")
        out.append(
            LabMatch(
                **{
                    **match.__dict__,
                    "start": m.start(),
                    "end": end,
                    "unit_text": unit_text,
                    "value": float(value.replace(",", ".")) if value else None,
                }
            )
        )
    return out
