"""type_mismatch: numbers or dates stored as text, or mixed types in one column."""

from __future__ import annotations

import polars as pl

from datacert.checks._base import Check, CheckResult
from datacert.checks._registry import register
from datacert.checks._util import plural, positions_where
from datacert.semantics import best_date_format, parse_date_expr, parse_number_expr


@register
class TypeMismatch(Check):
    """Find text columns that mostly hold numbers or dates, and the values that do not fit.

    Notes
    -----
    A lab value column with one "<5" or "NA" is read as text and silently dropped or label-encoded
    by most pipelines. The check measures, in one pass over all text columns, the share of values
    that read as numbers (decimal comma accepted) or dates (ISO, French numeric and written).
    """

    id = "type_mismatch"
    dimension = "conformance"
    params = {"min_share": 0.8}

    def run(self, data, profile, params):
        schema = data.schema
        text_roles = set(data.roles.text)
        columns = [c for c in data.columns if schema[c] == pl.String and c not in text_roles]
        if not columns:
            return CheckResult.quiet({"numerator": 0, "denominator": 0, "threshold": params["min_share"]})
        frame = data.frame
        shares = frame.select(
            [parse_number_expr(pl.col(c)).is_not_null().sum().alias(c) for c in columns]
        ).row(0, named=True)
        counts = profile.stat("count")
        findings = []
        for c in columns:
            count = counts[c] or 0
            if not count:
                continue
            number_share = shares[c] / count
            kind, parsed = "number", parse_number_expr(pl.col(c))
            if number_share < params["min_share"]:
                fmt, date_share = best_date_format(frame.get_column(c))
                if fmt is None or date_share < params["min_share"]:
                    continue
                kind, parsed, number_share = "date", parse_date_expr(pl.col(c), fmt), date_share
            bad = positions_where(frame, pl.col(c).is_not_null() & parsed.is_null())
            if bad.size == 0:
                message = f"Column {c!r} holds {kind}s stored as text."
                severity = "info"
                remedy = f"Convert {c!r} to a {kind} column."
            else:
                examples = (frame[bad[:200]].get_column(c).value_counts(sort=True).head(5).get_column(c).to_list())
                message = (f"Column {c!r} holds {kind}s stored as text, with {plural(int(bad.size), 'value')} "
                           f"that are not {kind}s.")
                severity = "warning"
                remedy = (f"Convert {c!r} to a {kind} column; decide what the non-{kind} values mean "
                          "(missing codes, censored values such as '<5') before converting.")
            evidence = {"numerator": int(bad.size), "denominator": count, "threshold": params["min_share"],
                        "parsed_share": number_share, "kind": kind}
            if bad.size and not data.roles.sensitive and c not in data.roles.columns():
                evidence["odd_values"] = examples
            findings.append(self.finding(severity, message, columns=[c], rows=bad, evidence=evidence, remedy=remedy))
        return CheckResult.fired(findings, {"numerator": len(findings), "denominator": len(columns)})
