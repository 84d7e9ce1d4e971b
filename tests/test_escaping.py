"""Hostile column names and values reach every renderer as characters, never as markup or escapes."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from datacert.cli import app
from datacert.report._escape import markdown, plain, terminal

runner = CliRunner()

HOSTILE = [
    "<script>alert(1)</script>",
    "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07",  # OSC 8 hyperlink, BEL-terminated
    "\x1b[31mred\x1b[0m",  # CSI colour
    "\x1b]0;title\x1b\\",  # OSC window title, ST-terminated
    "bell\x07",
    "**bold** _it_",
    "[link](javascript:alert(1))",
    "a|b",
    "`tick`",
    "\u202eevil\u202c",  # right-to-left override
    "[bold red]rich[/]",
    "[/]",  # an unmatched rich closing tag raises in rich's markup parser
    "{{ 7*7 }}",
    '=HYPERLINK("http://x")',
    "nul\x00byte",
    "c1\x9bcontrol",
    "line\nbreak",
]
FORBIDDEN = ["\x1b", "\x07", "\x00", "\x9b", "\u202e", "<script>"]


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.csv"
    corpus = [h for h in HOSTILE if "\x00" not in h]  # a NUL makes the file binary: refused, exit 2
    names = [f"{h}{i}" for i, h in enumerate(corpus)] + ["outcome"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for r in range(40):
            row = [
                corpus[(r + i) % len(corpus)] if i % 2 else str(r * (i + 1) % 17) for i in range(len(corpus))
            ]
            writer.writerow([*row, str(r % 2)])
    return path


def _clean(text: str, markup: bool = True) -> None:
    for bad in FORBIDDEN if markup else FORBIDDEN[:-1]:
        assert bad not in text, f"{bad!r} reached the output"


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_check_output_escapes_hostile_names(hostile_csv, tmp_path, fmt):
    md = tmp_path / "c.md"
    result = runner.invoke(
        app, ["check", str(hostile_csv), "--target", "outcome", "--format", fmt, "--md", str(md)]
    )
    assert result.exit_code in (0, 3, 4), result.stderr
    _clean(result.stdout, markup=fmt == "md")  # `<script>` is inert text on a terminal
    _clean(result.stderr, markup=False)
    _clean(md.read_text())
    assert "&lt;script&gt;" in md.read_text()


def test_html_and_json_keep_hostile_names_safe(hostile_csv, tmp_path):
    html, js = tmp_path / "r.html", tmp_path / "c.json"
    result = runner.invoke(
        app, ["check", str(hostile_csv), "--target", "outcome", "--html", str(html), "--json", str(js)]
    )
    assert result.exit_code in (0, 3, 4), result.stderr
    assert "<script>alert(1)" not in html.read_text()
    cert = json.loads(js.read_text())  # JSON keeps the exact names, escaped by the JSON encoder
    assert "<script>alert(1)</script>0" in cert["dataset"]["semantic_types"]
    assert "\x1b" not in js.read_text()


def test_compare_output_escapes_hostile_names(hostile_csv):
    for fmt in ("text", "md"):
        result = runner.invoke(app, ["compare", str(hostile_csv), str(hostile_csv), "--format", fmt])
        assert result.exit_code == 0, result.stderr
        _clean(result.stdout, markup=fmt == "md")


def test_error_messages_quote_hostile_names_on_one_line(hostile_csv):
    result = runner.invoke(app, ["check", str(hostile_csv), "--target", "\x1b[31mnope\nsecond"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr


@pytest.mark.parametrize("name", HOSTILE)
def test_every_escape_is_visible_and_inert(name):
    for escaped in (plain(name), markdown(name), terminal(name)):
        _clean(escaped, markup=escaped is not plain(name) and escaped is not terminal(name))
        assert "\n" not in escaped
    _clean(markdown(name))
    assert "<" not in markdown(name) and "|" not in markdown(name).replace("\\|", "")
