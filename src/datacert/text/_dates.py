"""Dates in French (and ISO/English numeric) clinical text: find them, read them, write them back.

Dates are found by a few explicit patterns rather than a general date parser: `dateparser` is
noisy on clinical text and edsnlp's `eds.dates` costs ~8 ms per note (reference §1.4, §2.2).
Each match keeps enough of its surface format (separator, padding, year width, month spelling)
for a shifted date to be written back the way the original was written.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# month spellings seen in notes: full, abbreviated (with or without the dot), with or without accents
_MONTH_FORMS: dict[int, tuple[str, ...]] = {
    1: ("janvier", "janv", "jan"),
    2: ("février", "fevrier", "févr", "fevr", "fév", "fev"),
    3: ("mars",),
    4: ("avril", "avr"),
    5: ("mai",),
    6: ("juin",),
    7: ("juillet", "juil"),
    8: ("août", "aout"),
    9: ("septembre", "sept", "sep"),
    10: ("octobre", "oct"),
    11: ("novembre", "nov"),
    12: ("décembre", "decembre", "déc", "dec"),
}
MONTH_OF: dict[str, int] = {form: m for m, forms in _MONTH_FORMS.items() for form in forms}
_FULL_FOLDED = {
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
}
_MONTH_ALT = "|".join(sorted(MONTH_OF, key=len, reverse=True))

_MONTH_CUES = (
    "jan",
    "fév",
    "fev",
    "mars",
    "avr",
    "mai",
    "juin",
    "juil",
    "août",
    "aout",
    "sep",
    "oct",
    "nov",
    "déc",
    "dec",
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"

# day/month/year with one separator used twice; 2- or 4-digit year
NUMERIC_DMY = re.compile(
    rf"(?<![\w/.\-])(?P<d>{_DAY})(?P<sep>[/.\-])(?P<m>{_MON})(?P=sep)(?P<y>(?:18|19|20)\d{{2}}|\d{{2}})(?![\w/]|[.\-]\d)"
)
ISO_YMD = re.compile(
    r"(?<![\w/.\-])(?P<y>(?:18|19|20)\d{2})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?!(?!T\d)[\w/]|[.\-]\d)"
)
# month/year ("03/2021"): a date element without the day
NUMERIC_MY = re.compile(r"(?<![\w/.\-])(?P<m>0?[1-9]|1[0-2])/(?P<y>(?:18|19|20)\d{2})(?![\w/]|[.\-]\d)")
# day/month without a year needs a trigger word ("le 12/03"), ratios and pressures look the same
NUMERIC_DM = re.compile(
    r"(?i:\b(?:le|du|au|depuis "
    r"le|jusqu'au)\s+)(?P<d>0[1-9]|[12]\d|3[01])/(?P<m>0[1-9]|1[0-2])(?![\w/]|[.\-]\d)"
)
WRITTEN = re.compile(
    rf"(?<![\w])(?:(?P<d>1er|{_DAY})\s+)?(?P<mon>(?i:{_MONTH_ALT}))(?P<dot>\.)?(?:\s+(?P<y>(?:18|19|20)\d{{2}}))?(?![\w])"
)

PATTERNS = (
    ("iso", ISO_YMD),
    ("dmy", NUMERIC_DMY),
    ("written", WRITTEN),
    ("my", NUMERIC_MY),
    ("dm", NUMERIC_DM),
)


@dataclass(frozen=True)
class DateMatch:
    """One date in a text, its value and how it was written."""

    start: int
    end: int
    kind: str  # iso | dmy | my | dm | written
    day: int | None
    month: int
    year: int | None
    fmt: tuple  # surface details needed to write a shifted date back


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def _year_of(text: str) -> int:
    value = int(text)
    if len(text) == 2:
        value += 2000 if value <= 30 else 1900
    return value


def find_dates(text: str) -> list[DateMatch]:
    """Every date in `text`, longest first when two patterns overlap, in text order."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    lowered = text.lower()
    has_month = any(form in lowered for form in _MONTH_CUES)
    for kind, pattern in PATTERNS:
        if kind == "written" and not has_month:
            continue
        for m in pattern.finditer(text):
            start, end = (m.start("d"), m.end()) if kind == "dm" else (m.start(), m.end())
            if any(start < e and s < end for s, e in taken):
                continue
            match = _read(kind, m, start, end)
            if match is not None:
                found.append(match)
                taken.append((start, end))
    return sorted(found, key=lambda d: d.start)


def _read(kind: str, m: re.Match, start: int, end: int) -> DateMatch | None:
    groups = m.groupdict()
    if kind == "written":
        if groups["d"] is None and groups["y"] is None:
            return None  # a bare month name ("mars") is not a date
        surface = groups["mon"]
        month = MONTH_OF.get(surface.lower())
        if month is None:
            return None
        if groups["dot"] and _fold(surface) in _FULL_FOLDED:
            end -= 1  # a sentence full stop after a full month name
        day = None if groups["d"] is None else (1 if groups["d"] == "1er" else int(groups["d"]))
        year = None if groups["y"] is None else int(groups["y"])
        style = (
            "upper"
            if surface.isupper() and len(surface) > 1
            else ("title" if surface[0].isupper() else "lower")
        )
        fmt: tuple[object, ...] = (
            surface.lower(),
            style,
            bool(groups["dot"]) and end == m.end(),
            groups["d"] == "1er",
            groups["d"] is not None and len(groups["d"]) == 2 and groups["d"].startswith("0"),
        )
        return DateMatch(start, end, kind, day, month, year, fmt)
    day = int(groups["d"]) if groups.get("d") else None
    month = int(groups["m"])
    year = _year_of(groups["y"]) if groups.get("y") else None
    if day is not None and year is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            return None
    fmt = (
        groups.get("sep") or ("-" if kind == "iso" else "/"),
        bool(groups.get("d")) and len(groups["d"]) == 2,
        len(groups["m"]) == 2,
        len(groups["y"]) if groups.get("y") else 0,
    )
    return DateMatch(start, end, kind, day, month, year, fmt)


def shift(match: DateMatch, days: int) -> str:
    """The date moved by `days`, written in the same format as the original."""
    year = match.year if match.year is not None else 2001
    day = match.day if match.day is not None else 15
    try:
        value = dt.date(year, match.month, day) + dt.timedelta(days=days)
    except ValueError:
        value = dt.date(year, match.month, 28) + dt.timedelta(days=days)
    return render(match, value)


def render(match: DateMatch, value: dt.date) -> str:
    """Write `value` in the surface format of `match` (elements missing there stay missing)."""
    if match.kind == "written":
        surface, style, dot, first, padded = match.fmt
        month = _month_like(surface, value.month)
        if style == "upper":
            month = month.upper()
        elif style == "title":
            month = month.capitalize()
        parts = []
        if match.day is not None:
            parts.append(
                "1er" if value.day == 1 and first else (f"{value.day:02d}" if padded else str(value.day))
            )
        parts.append(month + ("." if dot and _fold(month) not in _FULL_FOLDED else ""))
        if match.year is not None:
            parts.append(str(value.year))
        return " ".join(parts)
    sep, pad_day, pad_month, year_width = match.fmt
    day = f"{value.day:02d}" if pad_day else str(value.day)
    month = f"{value.month:02d}" if pad_month else str(value.month)
    year = str(value.year) if year_width == 4 else f"{value.year % 100:02d}"
    if match.kind == "iso":
        return f"{value.year}-{value.month:02d}-{value.day:02d}"
    if match.kind == "my":
        return f"{month}/{year}"
    if match.kind == "dm":
        return f"{day}/{month}"
    return f"{day}{sep}{month}{sep}{year}"


def _month_like(surface: str, month: int) -> str:
    """The spelling of `month` in the same style (full or abbreviated, accented or not)."""
    forms = _MONTH_FORMS[month]
    accented = surface != _fold(surface)
    full = surface in {f[0] for f in _MONTH_FORMS.values()} or surface in {"fevrier", "aout", "decembre"}
    if full:
        name = forms[0]
        return name if accented or name == _fold(name) else _fold(name)
    abbreviations = {
        1: "janv",
        2: "févr",
        3: "mars",
        4: "avr",
        5: "mai",
        6: "juin",
        7: "juil",
        8: "août",
        9: "sept",
        10: "oct",
        11: "nov",
        12: "déc",
    }
    name = abbreviations[month]
    return name if accented else _fold(name)
