"""Renderers: format a finished Certificate as text, JSON, HTML or Markdown. No statistics here."""

from datacert.report._compare import render_compare_html, render_compare_markdown, render_compare_text
from datacert.report._html import render_html
from datacert.report._markdown import render_markdown
from datacert.report._prequalify import render_prequalify_text
from datacert.report._text import render_text

__all__ = [
    "render_compare_html",
    "render_compare_markdown",
    "render_compare_text",
    "render_html",
    "render_markdown",
    "render_prequalify_text",
    "render_text",
]
