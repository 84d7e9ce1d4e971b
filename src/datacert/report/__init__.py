"""Renderers: format a finished Certificate as text, JSON, HTML or Markdown. No statistics here."""

from datacert.report._html import render_html
from datacert.report._markdown import render_markdown
from datacert.report._text import render_text

__all__ = ["render_html", "render_markdown", "render_text"]
