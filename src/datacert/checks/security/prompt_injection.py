"""prompt_injection: free text that holds instructions aimed at a language model."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.text.injection import FAMILIES, STRONG, family_pattern


@register
class PromptInjection(Check):
    """Find notes that carry instructions for a language model (FR and EN), graded by strength.

    Notes
    -----
    Pattern families (override, exfiltration, role markers, behaviour change, output control,
    hidden characters; see `datacert.text.injection`) run vectorised in polars. A note is
    critical when it tries to cancel the instructions or extract data, or when two families
    match; one weaker family alone is an error. Clinical phrasing such as "le patient ignore
    les consignes" does not match: the override family needs a qualifier addressed to a model.
    """

    id = "prompt_injection"
    dimension = "security"
    needs = Needs(roles=("text",))
    params = (Param("families", tuple(FAMILIES), "pattern families looked for", choices=tuple(FAMILIES)),)
    remedy = Remedy("neutralise_text", 6)

    def run(self, data, profile, params):
        schema = data.schema
        columns = [c for c in data.roles.text if c in schema and schema[c] == pl.String]
        if not columns:
            return CheckResult.not_applicable("the text columns are not stored as text")
        families = [f for f in params["families"] if f in FAMILIES]
        if not families:
            return CheckResult.quiet(
                {"numerator": 0, "denominator": data.n_rows * len(columns), "threshold": 0}
            )
        # one pass with every family together finds the few candidate notes; the families are then
        # told apart on those notes only (clean columns cost one regex pass, not six)
        anything = "|".join(f"(?:{family_pattern(f)})" for f in families)
        candidates = data.frame.select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("\x1frow"), *columns
        ).filter(pl.any_horizontal([pl.col(c).str.contains(anything).fill_null(False) for c in columns]))
        hits = candidates.select(
            [pl.col("\x1frow")]
            + [
                pl.col(c).str.contains(family_pattern(f)).fill_null(False).alias(f"{c}\x1f{f}")
                for c in columns
                for f in families
            ]
        )
        row_of = hits.get_column("\x1frow").to_numpy()
        findings = []
        total = 0
        for column in columns:
            flags = {f: hits.get_column(f"{column}\x1f{f}").to_numpy() for f in families}
            counts = {f: int(v.sum()) for f, v in flags.items()}
            if not any(counts.values()):
                continue
            n_families = np.sum([v.astype(np.int8) for v in flags.values()], axis=0)
            strong = np.zeros(hits.height, dtype=bool)
            for f in families:
                if f in STRONG:
                    strong |= flags[f]
            critical = row_of[np.flatnonzero(strong | (n_families >= 2))]
            anything_rows = row_of[np.flatnonzero(n_families >= 1)]
            error = np.setdiff1d(anything_rows, critical)
            total += int(anything_rows.size)
            for severity, rows in (("critical", critical), ("error", error)):
                if not rows.size:
                    continue
                local = np.isin(row_of, rows)
                here = {f: int(flags[f][local].sum()) for f in families if flags[f][local].any()}
                verb = "contains" if rows.size == 1 else "contain"
                findings.append(
                    self.finding(
                        severity,
                        f"{plural(int(rows.size), 'note')} of {column!r} {verb} instructions aimed at a language model"
                        + (" (override or data extraction)." if severity == "critical" else "."),
                        columns=[column],
                        rows=rows,
                        evidence={
                            "numerator": len(rows),
                            "denominator": data.n_rows,
                            "threshold": 0,
                            "rows_per_family": here,
                        },
                        remedy="Review these notes; remove or quote the instruction text before the data reaches a "
                        "language model, and trace where it was injected.",
                    )
                )
        return CheckResult.fired(
            findings, {"numerator": total, "denominator": data.n_rows * len(columns), "threshold": 0}
        )
