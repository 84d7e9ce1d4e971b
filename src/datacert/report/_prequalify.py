"""The plain-text summary of a pre-qualification: verdict and scores before and after, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_prequalify_text(section: Mapping[str, Any], explanation: Sequence[str]) -> str:
    """The before/after table of a certificate's `prequalification` section, then the explanation."""
    before, after = section["before"], section["after"]
    lines = [
        "Pre-qualification",
        "",
        f"{'':<18}{'before':>6}{'after':>12}",
        f"{'verdict':<12}{before['verdict']:>12}{after['verdict']:>12}",
    ]
    for key in ["overall"] + [k for k in after["scores"] if k != "overall"]:
        b, a = before["scores"].get(key), after["scores"].get(key)
        if b is None and a is None:
            continue
        lines.append(f"{key[:18]:<18}{_score(b):>6}{_score(a):>12}")
    lines += ["", *[f"- {line}" for line in explanation]]
    return "\n".join(lines) + "\n"
