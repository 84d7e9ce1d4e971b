"""phi_in_text: free-text columns that hold personal identifiers (names, dates, NIR, phones...)."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.text import LABELS


@register
class PhiInText(Check):
    """Find notes in the text columns that contain personal identifiers, and which kinds.

    Notes
    -----
    Uses the detector of `datacert.text.phi`, the one `datacert text deid` uses (rules for the
    forms of NIR, RPPS, phones, e-mail/URL, IPP/NDA, dates, addresses, ZIP + city, hospitals,
    names and ages over 89, then the shipped CRF for names and places without a trigger); a
    note is marked when any span is found. Each note is scanned in Python (the validators cannot
    run inside a vectorised engine); above `max_rows` notes a seeded sample is screened and the
    evidence says so. Evidence counts notes per label, never the values found.
    """

    id = "phi_in_text"
    dimension = "privacy"
    governance = ("personal_data",)
    needs = Needs(roles=("text",))
    params = (
        Param("labels", tuple(LABELS), "identifier kinds looked for", choices=tuple(LABELS)),
        Param("max_rows", 50_000, "text values scanned at most (a seeded sample beyond)", low=1),
        Param("seed", 0, "seed of the sample", low=0),
    )
    remedy = Remedy("redact_text", 34)
    cost = "linear"

    def run(self, data, profile, params):
        schema = data.schema
        columns = [c for c in data.roles.text if c in schema and schema[c] == pl.String]
        if not columns:
            return CheckResult.not_applicable("the text columns are not stored as text")
        from datacert.text.phi import detect_many  # the detector's patterns: only for text columns

        wanted = set(params["labels"])
        n = data.n_rows
        positions = np.arange(n)
        sampled = n > params["max_rows"]
        if sampled:
            rng = np.random.default_rng(params["seed"])
            positions = np.sort(rng.choice(n, size=params["max_rows"], replace=False))
        findings = []
        total_rows = 0
        for column in columns:
            series = data.frame.get_column(column)
            values = (series.gather(positions) if sampled else series).to_list()
            rows: list[int] = []
            per_label: dict[str, int] = {}
            unique = list(dict.fromkeys(t for t in values if t))  # copy-pasted notes are scanned once
            seen = {
                text: frozenset(s.label for s in spans if s.label in wanted)
                for text, spans in zip(unique, detect_many(unique), strict=True)
            }
            for position, text in zip(positions.tolist(), values, strict=True):
                if not text:
                    continue
                labels = seen[text]
                if labels:
                    rows.append(position)
                    for label in labels:
                        per_label[label] = per_label.get(label, 0) + 1
            if not rows:
                continue
            total_rows += len(rows)
            evidence = {
                "numerator": len(rows),
                "denominator": len(values),
                "threshold": 0,
                "rows_per_label": dict(sorted(per_label.items())),
            }
            if sampled:
                evidence["sampled_rows"] = len(values)
            kinds = ", ".join(sorted(per_label, key=lambda k: (-per_label[k], k))[:5])
            findings.append(
                self.finding(
                    "error",
                    f"{plural(len(rows), 'note')} of {column!r} "
                    f"{'contains' if len(rows) == 1 else 'contain'} "
                    f"personal identifiers ({kinds}).",
                    columns=[column],
                    rows=rows,
                    evidence=evidence,
                    remedy="De-identify the column before training: `datacert text deid FILE "
                    f"--column {column} "
                    f"--mode pseudonymise --group <patient column> --out <file>`.",
                )
            )
        evidence = {"numerator": total_rows, "denominator": len(positions) * len(columns), "threshold": 0}
        if sampled:
            evidence["sampled_rows"] = len(positions)
        return CheckResult.fired(findings, evidence)
