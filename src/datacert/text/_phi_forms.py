"""Identifier forms that real notes use and strict patterns miss: spaced or run-together digits, the
letter O for zero, loose date writings (years alone, month and year, numbers in words, day ranges),
foreign and oddly separated phone numbers, e-mail addresses with spaces.

Every finder returns (start, end, label) triples over the text it is given. Numbers are read on a
same-length view where an O or o touching a digit is read as 0, so offsets need no mapping.
Recall comes first (a de-identifier must not need a valid check digit), but each form is bounded
by what real notes write around it, so that lab tables, doses and scores stay readable.
"""

from __future__ import annotations

import datetime as dt
import re

Triple = tuple[int, int, str]

_O_AS_ZERO = re.compile(r"(?<=\d)[Oo](?![^\W\d_])|(?<![^\W\d_])[Oo](?=\d)")


def numeric_view(text: str) -> str:
    """`text` with every O/o that touches a digit (and no other letter) read as 0; same length."""
    if "o" not in text and "O" not in text:
        return text
    return _O_AS_ZERO.sub("0", text)


# --- digit runs: groups of digits joined by one space, dot or dash ----------------------------------
_DIGIT_RUN = re.compile(r"(?<![\w.,/:°+\-])\d+(?:[ .\-]\d+)*(?![\w/°]|[.,]\d)")
_NIR_BOUNDARIES = frozenset({1, 3, 5, 7, 10, 13, 15})
_IPP_CONTEXT = re.compile(
    r"(?i)(?:\bipp\b|\bip\b|\bnip\b|n°\s*id\b|\bid\b|identifiant|identification|patient|n°\s*d'id)[^\n\d]{0,30}$"
)
_NDA_CONTEXT = re.compile(
    r"(?i)(?:\bnda\b|s[ée]jour|dossier|venue|admission|hospitalisation|\bnas\b)[^\n\d]{0,30}$"
)
_SECU_CONTEXT = re.compile(
    r"(?i)(?:\bnir\b|s[ée]cu|\bnss\b|insee|assur[ée]|assurance|matricule|immatriculation|n°\s*d'id)[^\n\d]{0,30}$"
)


def _plausible_dmy(digits: str) -> bool:
    """ddmmyyyy, dmmyyyy or ddmmyy that reads as a calendar date."""
    for d_len, y_len in ((2, 4), (1, 4), (2, 2)):
        if len(digits) != d_len + 2 + y_len:
            continue
        day, month, year = int(digits[:d_len]), int(digits[d_len : d_len + 2]), digits[d_len + 2 :]
        full = int(year) if y_len == 4 else 2000 + int(year)
        if y_len == 4 and not 1900 <= full <= 2099:
            continue
        try:
            dt.date(full, month, day)
            return True
        except ValueError:
            continue
    return False


def digit_runs(text: str, line_ids: bool = True) -> list[Triple]:
    """NIR, compact and spaced dates, IPP/NDA read from runs of digits (text: the numeric view)."""
    out: list[Triple] = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        groups = re.split(r"[ .\-]", run)
        digits = "".join(groups)
        n = len(digits)
        if n < 6:
            continue
        start, end = m.start(), m.end()
        sizes = [len(g) for g in groups]
        if sizes[0] <= 2 and " " in run and "." not in run and "-" not in run:
            k = 1
            while k < len(groups) and sizes[k] == 1:
                k += 1
            if k >= 6:  # digits one by one, possibly followed by an ordinary number ("... 8 3 42 avenue")
                out += _spaced(text, start, groups[:k])
                continue
        if len(groups) > 1:
            bounds, at = set(), 0
            for s in sizes:
                at += s
                bounds.add(at)
            if n in (13, 15) and digits[0] in "12" and bounds <= _NIR_BOUNDARIES:
                out.append((start, end, "SECU"))
            elif (
                n in (13, 15) and digits[0] in "12" and _SECU_CONTEXT.search(text, max(0, start - 40), start)
            ):
                out.append((start, end, "SECU"))
            continue
        # one compact group
        if n in (13, 15) and digits[0] in "12":
            out.append((start, end, "SECU"))
        elif n in (13, 14, 15) and _SECU_CONTEXT.search(text, max(0, start - 40), start):
            out.append((start, end, "SECU"))
        elif n == 8 and _plausible_dmy(digits):
            out.append((start, end, "DATE"))
        elif 8 <= n <= 12 and line_ids and not (n == 10 and digits[0] == "0"):
            label = _id_label(text, start, out)
            if label:
                out.append((start, end, label))
    return out


def _id_label(text: str, start: int, found: list[Triple]) -> str | None:
    before = max(0, start - 45)
    if _NDA_CONTEXT.search(text, before, start):
        return "NDA"
    if _IPP_CONTEXT.search(text, before, start):
        return "IPP"
    line_start = text.rfind("\n", 0, start) + 1
    if any(f[2] == "IPP" and f[0] >= line_start for f in found):
        return "NDA"  # the second number of a "| IPP | NDA" row
    prefix = text[line_start:start].rstrip()
    if not prefix or prefix.endswith(("|", ":", ",", "-", "(")):
        return "IPP"
    return None


def _spaced(text: str, start: int, groups: list[str]) -> list[Triple]:
    """Digits written one by one ("1 8 9 4 2 ..."): a date, a NIR, or a date + NIR + date row."""
    digits = "".join(groups)
    # offsets of each digit in the text
    positions: list[int] = []
    at = start
    for g in groups:
        positions.extend(range(at, at + len(g)))
        at += len(g) + 1
    n = len(digits)

    def span(i: int, j: int, label: str) -> Triple:
        return (positions[i], positions[j - 1] + 1, label)

    if 6 <= n <= 8:
        return [span(0, n, "DATE")]
    if 9 <= n <= 11:
        label = _id_label(text, start, []) or "IPP"
        return [span(0, n, label)]
    if 12 <= n <= 15:
        return [span(0, n, "SECU")]
    # a row "date NIR birth-date" (or "NIR birth-date") written digit by digit: the cut that reads
    # the ends as calendar dates and leaves a NIR-long middle
    best: tuple[int, int] | None = None
    for head in (8, 7, 0):
        for tail in (8, 7, 0):
            middle = n - head - tail
            if not 12 <= middle <= 15:
                continue
            if (head and not _plausible_dmy(digits[:head])) or (
                tail and not _plausible_dmy(digits[n - tail :])
            ):
                continue
            best = (head, tail)
            break
        if best:
            break
    head, tail = best or (0, 0)
    out = []
    if head:
        out.append(span(0, head, "DATE"))
    out.append(span(head, n - tail, "SECU"))
    if tail:
        out.append(span(n - tail, n, "DATE_NAISSANCE"))
    return out


# a code alone on its line, letters and digits mixed ("28BG04493"): a stay or patient number
_LONE_CODE = re.compile(r"(?m)^[ \t]*(?P<v>(?=(?:[A-Z]*\d){4})(?=\d*[A-Z])[A-Z0-9]{7,14})[ \t]*$")


def lone_codes(text: str) -> list[Triple]:
    return [(m.start("v"), m.end("v"), "NDA") for m in _LONE_CODE.finditer(text)]


# --- phones ---------------------------------------------------------------------------------------
PHONE_LOOSE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)\d{1,3}[\s.\-]?(?:\(0?\d{0,4}\)[\s.\-]?)?\d(?:[\s.\-/]?\d){6,12}"  # +44 20 7946 0958
    r"|\(\d{1,4}\)[\s.\-]?\d(?:[\s.\-/]?\d){6,12}"  # (33) 1 45 ..., (205)-276-2043
    r"|0\d(?:[\s.\-/]?\d\d){4}"  # 06/28/42/50/36, 05.42.0924.67, 01 56 83 34 26ilig
    r")(?!\d)"
)


def loose_phones(text: str) -> list[Triple]:
    """Phone numbers in forms the validated French pattern leaves out (text: the numeric view)."""
    out = []
    for m in PHONE_LOOSE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if digits >= 9 and not in_number_row(text, m.start(), m.end()):
            out.append((m.start(), m.end(), "TEL"))
    return out


# --- e-mail with spaces or glued to a word ----------------------------------------------------------
# a dot is either plain or has a space before it ("medimail . com"); "x@y.fr. Vu" stays two sentences
MAIL_LOOSE = re.compile(
    r"[A-Za-z0-9._%+\-]+ ?@ ?[A-Za-z0-9\-]+(?:(?:\.| \. ?)[A-Za-z0-9\-]+)*(?:\.| \. ?)[a-z]{2,6}(?![A-Za-z])"
)


def loose_mails(text: str) -> list[Triple]:
    if "@" not in text:
        return []
    return [(m.start(), m.end(), "MAIL") for m in MAIL_LOOSE.finditer(text)]


# --- dates ----------------------------------------------------------------------------------------
_MONTHS = (
    r"janvier|janv|jan|février|fevrier|févr|fevr|fév|fev|mars|avril|avr|mai|juin|juillet|juil|août|aout"
    r"|septembre|sept|sep|octobre|oct|novembre|nov|décembre|decembre|déc|dec"
    r"|january|february|march|april|may|june|july|august|september|october|november|december"
)
_FULL_MONTHS = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre"
    r"|decembre"
)
_NUM_WORD = (
    r"(?:premier|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze"
    r"|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille|mil|et)"
)
_NUM_PHRASE = rf"{_NUM_WORD}(?:[\s\-]+{_NUM_WORD})*"
_WEEKDAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_YEAR_WORDS = (
    r"(?:deux\smille|mille\sneuf\scents?|mil\sneuf\scents?|dix[\s\-]neuf\scents?)(?:[\s\-]+"
    + _NUM_WORD
    + r")*"
)

_DATE_FORMS = [
    # 21|05|1956, 20 12 2003, 3.4.24, 2023/03/30
    re.compile(
        r"(?<![\w/.|\-])(?:0?[1-9]|[12]\d|3[01])(?P<s>[|.\-/])(?:0?[1-9]|1[0-2])(?P=s)(?:(?:19|20)\d\d|\d\d)(?![\w/|]|[.\-]\d)"
    ),
    re.compile(r"(?<![\w/.|\-])(?:0?[1-9]|[12]\d|3[01]) (?:0[1-9]|1[0-2]) (?:19|20)\d\d(?![\w/|]|[.\-]\d)"),
    re.compile(
        r"(?<![\w/.|\-])(?:19|20)\d\d(?P<s>[/.|])(?:0?[1-9]|1[0-2])(?P=s)(?:0?[1-9]|[12]\d|3[01])(?![\w/|])"
    ),
    # dec1993, 05nov, 12mars2020 (month glued to numbers)
    re.compile(
        rf"(?i)(?<![\w])(?:\d{{1,2}}(?:{_MONTHS})\.?(?:\d{{2,4}})?|(?:{_MONTHS})\.?\d{{2,4}})(?![\w])"
    ),
    # Sept 01,2026 / March 3, 2021
    re.compile(rf"(?i)(?<![\w])(?:{_MONTHS})\.?\s\d{{1,2}}(?:er)?,\s?(?:19|20)\d\d(?![\w])"),
    # 2013 janvier
    re.compile(rf"(?i)(?<![\w/.\-])(?:19|20)\d\d\s(?:{_FULL_MONTHS})(?![\w])"),
    # décembre 93, mars 1982, juillet 98
    re.compile(rf"(?i)(?<![\w])(?:{_MONTHS})\.?\s(?:(?:19|20)\d\d|'?\d\d)(?![\w,.]\d|\w)"),
    # en mars, fin septembre, début juin, mi-août
    re.compile(
        rf"(?i)(?<![\w])(?:(?<=en\s)|(?<=depuis\s)|(?<=fin\s)|(?<=début\s)|(?<=debut\s)|(?<=mi-)|(?<=courant\s)|(?<=jusqu'en\s))"
        rf"(?:{_FULL_MONTHS})(?![\w])"
    ),
    re.compile(rf"(?i)(?<![\w])(?:fin|début|debut|mi)[\s\-](?:{_FULL_MONTHS})(?![\w])"),
    # de jan à fév 2007: a bare month opening a range
    re.compile(rf"(?i)(?<=\bde\s)(?:{_MONTHS})\.?(?=\s(?:à|a|au)\s)"),
    # 07 2002 after a time word
    re.compile(r"(?i)(?<=\ben\s)(?:0[1-9]|1[0-2])[\s/.](?:19|20)\d\d(?![\w/]|[.\-]\d)"),
    # jeudi dix-sept octobre deux mille dix-huit, vingt quatre aout deux mille dix-sept, le 3 mars deux mille
    re.compile(
        rf"(?i)(?<![\w])(?:{_WEEKDAY}\s)?(?:{_NUM_PHRASE}|\d{{1,2}}(?:er)?)\s(?:{_FULL_MONTHS})"
        rf"(?:\s(?:{_YEAR_WORDS}|(?:19|20)\d\d))?(?![\w])"
    ),
    # deux mille dix sept (a year in words)
    re.compile(rf"(?i)(?<![\w])(?:{_YEAR_WORDS})(?![\w])"),
]
# what each form needs before it is worth running: digits, a month word, a number word, a slash
_FORM_CUES = (
    "num",
    "num",
    "num",
    "month",
    "month",
    "month",
    "month",
    "month",
    "month",
    "month",
    "num",
    "month",
    "words",
)
assert len(_FORM_CUES) == len(_DATE_FORMS)
_YEAR_WORD_CUES = ("mille", "mil ", "cent")
_DM_CANDIDATE = re.compile(r"(?<![\w/.\-])(?:0?[1-9]|[12]\d|3[01])/(?:0[1-9]|1[0-2])(?![\w/]|[.\-]\d)")
_DM_CONTEXT = re.compile(r"(?i)(?:\(|-\s|\bet\s|\bau\s|\bdu\s|\ble\s)$")
_YEAR = re.compile(
    r"(?<![\w.,°/:+])(?P<y>(?:19|20)\d\d)(?![\w°%/]|[.,]\d|\s?(?i:mg|µg|g|ml|ui|kg|cm|mm|µ|mmol|µmol|l|h|cp)(?![^\W\d_]))"
)
_YEAR_RANGE = re.compile(
    r"(?<![\w.,°/:+\-])(?P<a>(?:19|20)\d\d)\s?-\s?(?P<b>(?:19|20)\d\d)(?![\w°%/]|[.,]\d)"
)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)?")
_DAY_BEFORE = re.compile(
    r"(?i)(?:\bdu|\bles?|\bentre|\bwe\sdu|\bweek-end\sdu)\s+(?P<d>\d{1,2}(?:er)?)\s*(?:au|et|-|à)\s*$"
)


def loose_dates(text: str) -> list[Triple]:
    """Dates in the forms listed above, years alone, and day ranges ("du 18 au 29/03").

    Month-word forms run only in windows around a month word and the other forms only when their
    cue is in the note: each full-text pass costs tens of microseconds on a short note.
    """
    out: list[Triple] = []
    lowered = text.lower()
    windows = _month_windows(text, lowered)
    words = any(cue in lowered for cue in _YEAR_WORD_CUES)
    for pattern, cue in zip(_DATE_FORMS, _FORM_CUES, strict=True):
        if cue == "num":
            out += [(m.start(), m.end(), "DATE") for m in pattern.finditer(text)]
        elif cue == "month":
            for start, end in windows:
                out += [(m.start(), m.end(), "DATE") for m in pattern.finditer(text, start, end)]
        elif cue == "words" and words:
            out += [(m.start(), m.end(), "DATE") for m in pattern.finditer(text)]
    if "/" in text:
        for m in _DM_CANDIDATE.finditer(text):
            if _DM_CONTEXT.search(text, max(0, m.start() - 4), m.start()):
                out.append((m.start(), m.end(), "DATE"))
    for m in _YEAR_RANGE.finditer(text):
        out.append((m.start("a"), m.end("a"), "DATE"))
        out.append((m.start("b"), m.end("b"), "DATE"))
    for m in _YEAR.finditer(text):
        if m.start() and text[m.start() - 1] == "-" and not _year_before(text, m.start() - 1):
            continue
        if _between_numbers(text, m.start(), m.end()):
            continue  # a cell of a table of numbers, not a year
        out.append((m.start(), m.end(), "DATE"))
    return out


_MONTH_STEMS = (
    "jan",
    "fev",
    "fév",
    "mar",
    "avr",
    "apr",
    "mai",
    "may",
    "juin",
    "jun",
    "juil",
    "jul",
    "ao",
    "sep",
    "oct",
    "nov",
    "dec",
    "déc",
)


def _month_windows(text: str, lowered: str) -> list[tuple[int, int]]:
    """Ranges around each month stem, widened to whitespace so that no word is cut at the edge
    (a few substring searches cost less than one case-insensitive pass of the month patterns)."""
    hits = []
    for stem in _MONTH_STEMS:
        at = lowered.find(stem)
        while at >= 0:
            hits.append(at)
            at = lowered.find(stem, at + 1)
    windows: list[tuple[int, int]] = []
    n = len(text)
    for at in sorted(hits):
        start = max(0, at - 80)
        end = min(n, at + 70)
        while end < n and not text[end].isspace():
            end += 1
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


def in_number_row(text: str, start: int, end: int) -> bool:
    """A match followed by one more bare number ("06 6246 77 36 96 0 3"): a row of a table."""
    return (
        re.match(r" \d", text[end : end + 2]) is not None
        and re.search(r"\d[ :]$", text[max(0, start - 2) : start]) is not None
    )


def _year_before(text: str, at: int) -> bool:
    return bool(re.search(r"(?:19|20)\d\d\s?$", text[max(0, at - 6) : at]))


def _between_numbers(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 8) : start].split()
    after = text[end : end + 8].split()
    left = bool(before) and _NUMBER_TOKEN.fullmatch(before[-1]) is not None and text[start - 1] == " "
    right = (
        bool(after) and _NUMBER_TOKEN.fullmatch(after[0]) is not None and end < len(text) and text[end] == " "
    )
    return left or right


def day_ranges(text: str, dates: list[tuple[int, int]]) -> list[Triple]:
    """The bare day that opens a range ending on a date: "du 18 au 29/03/2020", "les 18 et 19/01"."""
    out = []
    for start, _ in dates:
        m = _DAY_BEFORE.search(text, max(0, start - 25), start)
        if m:
            out.append((m.start("d"), m.end("d"), "DATE"))
    return out
