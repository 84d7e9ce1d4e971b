"""formula_injection: cells a spreadsheet would execute as a formula (CSV injection)."""

from __future__ import annotations

import polars as pl

from datacert.checks._base import Check, CheckResult, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural, positions_where

# A cell is dangerous when a spreadsheet reads it as a formula: it starts with = or @, or with
# + or - followed by something that is not a plain number or phone number (OWASP CSV injection).
FORMULA_PATTERN = r"^[\t\r ]*(=|@|[+\-][^0-9\s.,]|[+\-][0-9.,\s+\-*/^]*[A-Za-z(!|'\"])"


@register
class FormulaInjection(Check):
    """Find text cells that start like a spreadsheet formula (=, +, -, @ followed by a formula).

    Notes
    -----
    Opened in Excel or LibreOffice, `=HYPERLINK(...)` or `=cmd|...` runs or exfiltrates; data
    shared with clinicians as spreadsheets must not carry them. Negative numbers and
    international phone numbers (+33 6 ...) are not flagged.
    """

    id = "formula_injection"
    dimension = "security"
    kahn = "conformance.value"
    remedy = Remedy("neutralise_formulas", 5, automatic=True)

    def run(self, data, profile, params):
        schema = data.schema
        columns = [c for c in data.columns if schema[c] == pl.String]
        if not columns:
            return CheckResult.quiet({"numerator": 0, "denominator": 0, "threshold": 0})
        hits = data.frame.select(
            [pl.col(c).str.contains(FORMULA_PATTERN).sum().alias(c) for c in columns]
        ).row(0, named=True)
        findings = []
        for c in columns:
            if not hits[c]:
                continue
            rows = positions_where(data.frame, pl.col(c).str.contains(FORMULA_PATTERN))
            findings.append(
                self.finding(
                    "error",
                    f"{plural(int(rows.size), 'cell')} of {c!r} start like a spreadsheet formula.",
                    columns=[c],
                    rows=rows,
                    evidence={"numerator": int(rows.size), "denominator": data.n_rows, "threshold": 0},
                    remedy="Prefix these cells with a single quote or strip the leading =, +, -, @ before "
                    "sharing the data as a spreadsheet.",
                )
            )
        return CheckResult.fired(
            findings, {"numerator": sum(hits.values()), "denominator": data.n_rows * len(columns)}
        )

    def correction(self, findings, data, plan):
        """Neutralise the cells that start a formula (a leading apostrophe), in every flagged column."""
        columns = sorted({c for f in findings for c in f.columns})
        if columns:
            plan.add_step("neutralise_formulas", columns=columns)
        return bool(columns)
