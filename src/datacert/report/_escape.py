"""Escaping of data (column names, values, messages quoting them) for every text renderer.

Data is hostile until shown otherwise: a column named `<script>`, `**bold**` or "\\x1b]8;;http://x\\x07"
must reach a Markdown viewer or a terminal as the characters it is made of, never as markup or
as a control sequence. Control characters (C0, DEL, C1, which include ESC, BEL and the OSC
introducer), line and paragraph separators and the bidirectional overrides that can reorder a
line (Trojan Source) are shown as visible `\\xNN` / `\\uNNNN` escapes.
"""

from __future__ import annotations

import re
from typing import Any

_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(value: Any) -> str:
    """One line of plain text: every control or direction character becomes a visible escape."""
    return _INVISIBLE.sub(_visible, str(value))


# characters that open markup in the middle of a line; every line a renderer writes starts with its
# own prefix ("- ", "| ", "# "), so the line-start markers (#, >, +, -, 1.) cannot be reached by data
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown(value: Any) -> str:
    """Text for a Markdown paragraph or table cell: no HTML, no emphasis, no links, no line breaks.

    HTML-significant characters become entities (Markdown passes raw HTML through), Markdown
    punctuation is backslash-escaped, and control characters are made visible.
    """
    text = plain(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_code(value: Any) -> str:
    """Text inside a Markdown code span: backticks cannot close it, HTML cannot open."""
    text = plain(value).replace("`", "'")
    return f"`{text}`"


def terminal(value: Any) -> str:
    """Text for rich console output: no rich markup (`[bold]`), no escape sequences."""
    from rich.markup import escape

    return escape(plain(value))
