"""De-identify clinical notes: mask identifiers with their label, or replace them with surrogates.

Notes
-----
Pseudonymisation is deterministic and consistent: every surrogate is drawn from a random
generator seeded by a SHA-256 hash of (fixed salt, group, label, folded original), so the same
person gets the same surrogate in every note of a patient (the group, e.g. `--group patient_id`)
and across runs, while different patients get unrelated surrogates. Dates are shifted by one
offset per group (±1 to 365 days, never 0), which preserves the intervals between a patient's
dates and the surface format of each date ("3 mars 2021" stays "D mois YYYY"). Ages over 89 are
written "90+" (HIPAA Safe Harbor groups them as 90 or older). Without a group, each note is its
own group. Nothing here logs or returns the identifiers found: spans carry offsets and labels.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stdnum import luhn

from datacert.text._dates import find_dates, shift
from datacert.text._resources import city_list, first_name_list, surname_list
from datacert.text.phi import HOSPITAL_RE, Span, detect_many, fold

SALT = b"datacert/deid/v1"
MODES = ("mask", "pseudonymise")
_STREET_WORD = re.compile(
    r"(?i)\b(rue|avenue|av\.|bd|boulevard|chemin|allée|allee|place|impasse|quai|route|cours|"
    r"square|passage|voie|sentier|résidence|lotissement|cité|hameau|chaussée|faubourg)\b"
)
_STREET_NAMES = (
    "des Tilleuls",
    "de la Fontaine",
    "du Marché",
    "des Écoles",
    "de la Poste",
    "du Stade",
    "des Vignes",
    "de l'Église",
    "du Lavoir",
    "des Jardins",
    "de la Forge",
    "du Moulin Vert",
)


@dataclass(frozen=True)
class DeidResult:
    """De-identified notes (None stays None) and, per note, the spans found in the ORIGINAL text."""

    texts: list[str | None]
    spans: list[list[Span]]


def _rng(group: str, label: str, key: str) -> random.Random:
    digest = hashlib.sha256(
        SALT + b"\x1f" + group.encode() + b"\x1f" + label.encode() + b"\x1f" + key.encode()
    ).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def date_offset(group: str) -> int:
    """The per-group date shift in days (never 0)."""
    days = _rng(group, "DATE", "offset").randint(1, 365)
    return days if _rng(group, "DATE", "sign").random() < 0.5 else -days


def deidentify(
    texts: Sequence[str | None], groups: Sequence[str] | None = None, mode: str = "mask"
) -> DeidResult:
    """Detect identifiers in every note and mask or pseudonymise them.

    `groups` (same length as `texts`) names the patient of each note; surrogates and date
    shifts are consistent within a group. Without groups each note is its own group.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if groups is not None and len(groups) != len(texts):
        raise ValueError("groups must have one entry per note")
    out_texts: list[str | None] = []
    out_spans: list[list[Span]] = []
    found = detect_many(texts)
    for i, text in enumerate(texts):
        if not text:
            out_texts.append(text)
            out_spans.append([])
            continue
        spans = found[i]
        group = f"row:{i}" if groups is None or groups[i] is None else str(groups[i])
        out_texts.append(apply(text, spans, mode, group))
        out_spans.append(spans)
    return DeidResult(out_texts, out_spans)


def apply(text: str, spans: Sequence[Span], mode: str, group: str) -> str:
    """Replace each span of `text` (sorted, non-overlapping) by its mask or surrogate."""
    parts = []
    last = 0
    for span in spans:
        parts.append(text[last : span.start])
        original = text[span.start : span.end]
        parts.append(f"[{span.label}]" if mode == "mask" else surrogate(original, span.label, group))
        last = span.end
    parts.append(text[last:])
    return "".join(parts)


def surrogate(original: str, label: str, group: str) -> str:
    """A realistic replacement for `original`, the same for the same (group, label, original)."""
    if label in ("DATE", "DATE_NAISSANCE"):
        return _shift_date(original, group)
    if label == "AGE":
        return re.sub(r"\d+", "90+", original, count=1)
    rng = _rng(group, _family(label), fold(original))
    maker = _MAKERS.get(label)
    return maker(original, rng) if maker else f"[{label}]"


def _family(label: str) -> str:
    return "NAME" if label in ("NOM", "PRENOM") else label


def _shift_date(original: str, group: str) -> str:
    found = [d for d in find_dates(original) if d.start == 0 and d.end == len(original)]
    if not found:  # day/month without a year is only read after a trigger word
        found = [d for d in find_dates("le " + original) if d.start == 3]
    return shift(found[0], date_offset(group)) if found else "[DATE]"


def _cased(value: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return value.upper()
    if like.islower():
        return value.lower()
    return value


def _name(original: str, rng: random.Random, pool: Sequence[str]) -> str:
    return _cased(rng.choice(pool), original)


def _digits_like(original: str, rng: random.Random, keep: int = 0) -> str:
    """Same layout as `original`, its digits after the first `keep` ones redrawn."""
    out, seen = [], 0
    for ch in original:
        if ch.isdigit():
            out.append(ch if seen < keep else str(rng.randint(0, 9)))
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _phone(original: str, rng: random.Random) -> str:
    digits = re.sub(r"\D", "", original)
    keep = (
        2
        if digits.startswith("0") and not digits.startswith("00")
        else (3 if original.startswith("+") else 5)
    )
    return _digits_like(original, rng, keep)


def _nir(original: str, rng: random.Random) -> str:
    compact = re.sub(r"[^0-9ABab]", "", original)
    sex = compact[:1] if compact[:1] in "12" else "1"
    body = (
        f"{sex}{rng.randint(30, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    value = body + f"{97 - int(body) % 97:02d}"
    if len(compact) == 13:
        value = body
    out, chars = [], iter(value)
    for ch in original:
        out.append(next(chars, "") if ch.isalnum() else ch)
    return "".join(out) + "".join(chars)


def _rpps(original: str, rng: random.Random) -> str:
    body = "10" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    value = body + luhn.calc_check_digit(body)
    out, chars = [], iter(value)
    for ch in original:
        out.append(next(chars, "") if ch.isdigit() else ch)
    return "".join(out)


def _mail(original: str, rng: random.Random) -> str:
    first = fold(rng.choice(first_name_list())).replace(" ", "")
    last = fold(rng.choice(surname_list())).replace(" ", "")
    return f"{first}.{last}@example.org"


def _url(original: str, rng: random.Random) -> str:
    token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    return f"https://www.example.org/{token}"


def _zip(original: str, rng: random.Random) -> str:
    return f"{rng.randint(1, 95):02d}{rng.randint(0, 999):03d}"


def _address(original: str, rng: random.Random) -> str:
    kind = _STREET_WORD.search(original)
    street = kind.group() if kind else "rue"
    number = str(rng.randint(1, 150)) if original[:1].isdigit() else ""
    name = rng.choice(_STREET_NAMES) if rng.random() < 0.5 else rng.choice(surname_list())
    return f"{number + ' ' if number else ''}{street} {name}"


def _hospital(original: str, rng: random.Random) -> str:
    m = HOSPITAL_RE.match(original)
    trigger = m.group("trig") if m else "hôpital"
    city = rng.choice(city_list())
    return (
        f"{trigger} de {city}"
        if trigger.isupper() or fold(trigger).startswith("centre")
        else f"{trigger} {rng.choice(('Saint-', 'Sainte-'))}{rng.choice(first_name_list()).split('-')[0]}"
    )


_MAKERS = {
    "NOM": lambda o, r: _name(o, r, surname_list()),
    "PRENOM": lambda o, r: _name(o, r, first_name_list()),
    "VILLE": lambda o, r: _cased(r.choice(city_list()), o),
    "ZIP": _zip,
    "TEL": _phone,
    "SECU": _nir,
    "RPPS": _rpps,
    "IPP": lambda o, r: _digits_like(o, r),
    "NDA": lambda o, r: _digits_like(o, r),
    "MAIL": _mail,
    "URL": _url,
    "ADRESSE": _address,
    "HOPITAL": _hospital,
}
