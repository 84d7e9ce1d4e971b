"""A composed (NFC) view of a note with a map back to the original characters.

Detection runs on the composed view so that a name typed in decomposed form ("e" + combining acute)
matches the same patterns and lists as the composed one; spans found there are mapped back so that
they cover exactly the original characters, combining marks included. Hand-written because
`unicodedata` normalises whole strings and gives no offsets.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# one-for-one replacements that keep offsets: no-break and narrow spaces, typographic dashes
_SAME_LENGTH = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u2011": "-"})


@dataclass(frozen=True)
class View:
    """`text` is what detection reads; `starts[i]`/`ends[i]` bound, in the original, its character i."""

    text: str
    starts: tuple[int, ...] | None = None  # None: the view is the original, offsets are identical
    ends: tuple[int, ...] | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original range covered by view characters start..end (end exclusive, end > start)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _is_starter(char: str) -> bool:
    # Hangul vowel and trailing jamo compose with the previous jamo although their class is 0
    return unicodedata.combining(char) == 0 and not ("\u1160" <= char <= "\u11ff")


def composed_view(text: str) -> View:
    """The NFC form of `text` (with no-break spaces as spaces), and how to map offsets back."""
    flat = text.translate(_SAME_LENGTH)
    if unicodedata.is_normalized("NFC", flat):
        return View(flat)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(flat)
    i = 0
    while i < n:
        j = i + 1
        while j < n and not _is_starter(flat[j]):
            j += 1
        piece = flat[i:j]
        if j - i > 1 or not unicodedata.is_normalized("NFC", piece):
            piece = unicodedata.normalize("NFC", piece)
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return View("".join(out), tuple(starts), tuple(ends))
