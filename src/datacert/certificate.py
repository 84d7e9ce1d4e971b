"""The certificate of analysis: what was checked, what was found, the scores and the verdict.

`to_dict()` is the contract's JSON (keys sorted); everything but `run` is deterministic for the
same input, options and version. A certificate is data: it holds the report's figure data, never
the table, so `from_json` gives back everything the report draws.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datacert._version import __version__
from datacert.findings import Finding, to_plain

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Certificate:
    """A finished certificate. Renderers format it; nothing here computes statistics."""

    dataset: Mapping[str, Any]
    verdict: str
    reasons: Sequence[str]
    scores: Mapping[str, Any]
    findings: Sequence[Finding]
    remedies: Sequence[Mapping[str, Any]]
    checks: Sequence[Mapping[str, Any]]
    profile: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    run: Mapping[str, Any] = field(default_factory=dict)
    # plot data for the report (datacert.figures): plain, bounded data computed during the assay
    figures: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def exit_code(self) -> int:
        from datacert.scoring import exit_code_for

        return exit_code_for(self.verdict)

    @property
    def not_tested(self) -> list[Mapping[str, Any]]:
        """Checks that did not run, with why: what the verdict is not based on."""
        return [c for c in self.checks if c["status"] in ("not_applicable", "error")]

    def to_dict(self, include_run: bool = True) -> dict[str, Any]:
        out = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "datacert", "version": __version__},
            "dataset": to_plain(self.dataset),
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "scores": to_plain(self.scores),
            "findings": [f.to_dict() for f in self.findings],
            "remedies": to_plain(list(self.remedies)),
            "checks": to_plain(list(self.checks)),
            "profile": to_plain(self.profile),
            "options": to_plain(self.options),
            **to_plain(dict(self.extra)),
        }
        if self.figures:
            out["figures"] = to_plain(dict(self.figures))
        if include_run:
            out["run"] = to_plain(self.run)
        return out

    def to_json(self, include_run: bool = True) -> str:
        return json.dumps(self.to_dict(include_run), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def to_html(self, redact: bool = False) -> str:
        from datacert.report import render_html

        return render_html(self, redact=redact)

    def to_text(self, color: bool = False) -> str:
        from datacert.report import render_text

        return render_text(self, color=color)

    def to_markdown(self) -> str:
        from datacert.report import render_markdown

        return render_markdown(self)

    def _repr_html_(self) -> str:
        return self.to_html()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Certificate:
        known = {
            "schema_version",
            "tool",
            "dataset",
            "verdict",
            "reasons",
            "scores",
            "findings",
            "remedies",
            "checks",
            "profile",
            "options",
            "run",
            "figures",
        }
        return cls(
            dataset=data["dataset"],
            verdict=data["verdict"],
            reasons=data.get("reasons", []),
            scores=data.get("scores", {}),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            remedies=data.get("remedies", []),
            checks=data.get("checks", []),
            profile=data.get("profile", {}),
            options=data.get("options", {}),
            extra={k: v for k, v in data.items() if k not in known},
            run=data.get("run", {}),
            figures=data.get("figures", {}),
        )

    @classmethod
    def from_json(cls, text: str) -> Certificate:
        return cls.from_dict(json.loads(text))
