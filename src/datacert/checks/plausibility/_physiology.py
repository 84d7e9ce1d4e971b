"""The physiological-limits knowledge base: load it, recognise a column's variable and unit.

The data lives in `datacert/knowledge/physiological_limits.yaml` (see its header for the rules).
Names are normalised once (accents, case, camelCase, punctuation) and matched as whole tokens,
so that `age` matches `Age (ans)` and `patient_age` but never `stage` or `dosage`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import datacert.knowledge as knowledge

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LITERAL = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")  # a spelling: a literal sequence of tokens


@dataclass(frozen=True)
class Unit:
    """One unit of a variable with its three tiers of limits (see the knowledge file's header)."""

    name: str
    aliases: frozenset[str]
    hint_source: str | None  # the hint's regular expression, compiled on first use (`hint`)
    hint_only: bool
    typical: tuple[float, float]  # where the median of a column in this unit lies (unit choice)
    disease: tuple[float, float]  # values documented in real patients, pathology included
    hard: tuple[float, float]  # beyond these a value is impossible
    usual: tuple[float, float] | None = None  # reference interval of healthy adults, when curated

    @property
    def hint(self) -> re.Pattern[str] | None:
        """The unit's name hint as a token pattern (None when the unit has none)."""
        return _compiled(self.hint_source) if self.hint_source is not None else None

    @property
    def soft(self) -> tuple[float, float]:
        """Former name of the disease range, kept for callers that still use it."""
        return self.disease


@dataclass(frozen=True)
class Variable:
    key: str
    label: str
    pattern_source: str  # regular expressions compiled on first use (`pattern`, `exclude`)
    exclude_source: str | None
    units: tuple[Unit, ...]
    source: str
    group: str = ""
    loinc: str | None = None
    names: tuple[str, ...] = ()  # French and English names
    abbreviations: tuple[str, ...] = ()
    spellings: tuple[str, ...] = ()  # every token sequence that names it in a column
    first_tokens: frozenset[str] = frozenset()  # a name holds one of these to match (`match_variable`)

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.pattern_source)

    @property
    def exclude(self) -> re.Pattern[str] | None:
        return _compiled(self.exclude_source) if self.exclude_source is not None else None

    def unit_named(self, declared: str) -> Unit | None:
        """The unit a declared unit string names (UCUM or common spelling), if any."""
        wanted = declared.strip().lower().replace(" ", "")
        for unit in self.units:
            if wanted == unit.name.lower() or wanted in unit.aliases:
                return unit
        return None


@lru_cache(maxsize=262_144)
def normalise_name(name: str) -> str:
    """'Glycémie (mg/dL)' -> 'glycemie_mg_dl'; 'HeartRate' -> 'heart_rate'; 'µmol' -> 'umol'.

    Cached: several checks recognise the same names, and wide tables have up to 100,000 of them
    (a cache smaller than the table's width is emptied by each pass before any name comes back).
    """
    text = _CAMEL.sub("_", str(name)).replace("%", "_pct_")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("µ", "u").replace("μ", "u"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("_", text.lower()).strip("_")


def _tokens(words: list[str]) -> str:
    """A pattern (as source) matching any of `words` as whole tokens of a normalised name."""
    return r"(?:^|_)(?:" + "|".join(words) + r")(?:_|$)"


@cache
def _compiled(source: str) -> re.Pattern[str]:
    """A knowledge pattern compiled once, when first needed: compiling all 179 variables' patterns
    and their units' hints when the module loaded cost every run 0.05 s CPU (0.065 -> 0.012 s to
    import it), and a table's names reach only a few of them."""
    return re.compile(source)


def _pair(values: Any) -> tuple[float, float]:
    low, high = values
    return float(low), float(high)


def _spellings(item: dict[str, Any]) -> tuple[str, ...]:
    """Column spellings of a variable: its patterns, plus its names and unambiguous abbreviations
    normalised like column names ('Pression artérielle systolique' -> pression_arterielle_systolique)."""
    names = [n for lang in ("en", "fr") for n in (item.get("names") or {}).get(lang, ())]
    words = [str(p) for p in item.get("patterns", ())]
    words += [normalise_name(n) for n in names + list(item.get("abbreviations", ()))]
    spellings = tuple(dict.fromkeys(w for w in words if w))
    for word in spellings:
        if not _LITERAL.fullmatch(word):  # `match_variable` filters on first tokens
            raise ValueError(f"physiological limits: {item['key']} spelling {word!r} is not a token sequence")
    return spellings


def _unit(u: dict[str, Any]) -> Unit:
    return Unit(
        name=u["name"],
        aliases=frozenset(str(a).lower().replace(" ", "") for a in u.get("aliases", ())),
        hint_source=_tokens([u["hint"]]) if u.get("hint") else None,
        hint_only=bool(u.get("hint_only", False)),
        typical=_pair(u["typical"]),
        disease=_pair(u["disease"]),
        hard=_pair(u["hard"]),
        usual=_pair(u["usual"]) if u.get("usual") else None,
    )


@lru_cache(maxsize=1)
def load_variables() -> tuple[Variable, ...]:
    """The curated variables, in file order (specific before general), read on first use.

    Not when the module is imported: `normalise_name` is imported by every run (site inference),
    and parsing the 110 KB file cost 0.08 s CPU of runs that never match a variable (the spine).
    """
    raw = knowledge.load("physiological_limits")
    variables = []
    for item in raw["variables"]:
        spellings = _spellings(item)
        names = (item.get("names") or {}).get("en", []) + (item.get("names") or {}).get("fr", [])
        variables.append(
            Variable(
                key=item["key"],
                label=item["label"],
                pattern_source=_tokens(list(spellings)),
                exclude_source=_tokens(item["exclude"]) if item.get("exclude") else None,
                units=tuple(_unit(u) for u in item["units"]),
                source=" ".join(str(item["source"]).split()),
                group=str(item.get("group", "")),
                loinc=str(item["loinc"]) if item.get("loinc") else None,
                names=tuple(names),
                abbreviations=tuple(item.get("abbreviations", ())),
                spellings=spellings,
                first_tokens=frozenset(p.split("_")[0] for p in spellings),
            )
        )
    return tuple(variables)


@lru_cache(maxsize=1)
def _first_tokens() -> frozenset[str]:
    """The first token of every spelling (spellings are literal token sequences): a name can
    match a variable only if it holds one of them, a set test instead of a regex on wide tables."""
    return frozenset(t for v in load_variables() for t in v.first_tokens)


@lru_cache(maxsize=262_144)
def match_variable(column: str) -> Variable | None:
    """The curated variable a column name stands for, or None."""
    name = normalise_name(column)
    tokens = name.split("_")
    if _first_tokens().isdisjoint(tokens):
        return None
    for variable in load_variables():
        # a spelling is a literal token sequence, so a name without its first token cannot match:
        # the same answer as the pattern, without compiling the patterns of unrelated variables
        if variable.first_tokens.isdisjoint(tokens):
            continue
        if variable.pattern.search(name) and not (variable.exclude and variable.exclude.search(name)):
            return variable
    return None


def variable_by_key(key: str) -> Variable:
    for variable in load_variables():
        if variable.key == key:
            return variable
    raise KeyError(key)


def choose_unit(
    variable: Variable, column: str, median: float | None, declared: str | None = None
) -> tuple[Unit | None, str]:
    """The unit of a column and how it was chosen: 'declared', 'name' or 'values' (or None, why)."""
    if declared:
        unit = variable.unit_named(declared)
        if unit is not None:
            return unit, "declared"
    name = normalise_name(column)
    for unit in variable.units:
        if unit.hint is not None and unit.hint.search(name):
            return unit, "name"
    if median is None:
        return None, "no values"
    for unit in variable.units:
        if not unit.hint_only and unit.typical[0] <= median <= unit.typical[1]:
            return unit, "values"
    return None, "the typical value fits none of the known units"
