"""type_mismatch: numbers or dates stored as text, or mixed types in one column."""

from __future__ import annotations

import polars as pl

from datacert.checks._base import Check, CheckResult, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural, positions_where
from datacert.semantics import best_date_format, parse_date_expr, parse_number_expr, sample_rows


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
    sample_cpu_seconds = 0.1
    dimension = "conformance"
    params = (
        Param(
            "min_share",
            0.8,
            "share of values that must parse as numbers or dates to call it a mismatch",
            low=0,
            high=1,
        ),
    )
    kahn = "conformance.value"
    remedy = Remedy("convert_type", 40, automatic=True)

    def run(self, data, profile, params):
        schema = data.schema
        text_roles = set(data.roles.text)
        columns = [c for c in data.columns if schema[c] == pl.String and c not in text_roles]
        if not columns:
            return CheckResult.quiet({"numerator": 0, "denominator": 0, "threshold": params["min_share"]})
        frame = data.frame
        # decide the kind on an evenly spaced sample; parse full columns only for the candidates
        sample = sample_rows(frame.select(columns))
        number_shares = sample.select(
            [
                (parse_number_expr(pl.col(c)).is_not_null().sum() / pl.col(c).count().clip(1)).alias(c)
                for c in columns
            ]
        ).row(0, named=True)
        findings = []
        for c in columns:
            if not (profile.column(c)["count"] or 0):
                continue
            if number_shares[c] >= params["min_share"]:
                kind, parsed, parsed_share = "number", parse_number_expr(pl.col(c)), number_shares[c]
            else:
                fmt, date_share = best_date_format(sample.get_column(c))
                if fmt is None or date_share < params["min_share"]:
                    continue
                kind, parsed, parsed_share = "date", parse_date_expr(pl.col(c), fmt), date_share
            count = profile.column(c)["count"]
            bad = positions_where(frame, pl.col(c).is_not_null() & parsed.is_null())
            if bad.size == 0:
                message = f"Column {c!r} holds {kind}s stored as text."
                severity = "info"
                remedy = f"Convert {c!r} to a {kind} column."
            else:
                examples = (
                    frame[bad[:200]].get_column(c).value_counts(sort=True).head(5).get_column(c).to_list()
                )
                message = (
                    f"Column {c!r} holds {kind}s stored as text, with {plural(int(bad.size), 'value')} "
                    f"that are not {kind}s."
                )
                severity = "warning"
                remedy = (
                    f"Convert {c!r} to a {kind} column; decide what the non-{kind} values mean "
                    "(missing codes, censored values such as '<5') before converting."
                )
            evidence = {
                "numerator": int(bad.size),
                "denominator": count,
                "threshold": params["min_share"],
                "parsed_share_in_sample": parsed_share,
                "kind": kind,
            }
            if bad.size:  # codes such as '<5' or 'NR'; the redacted report drops them
                evidence["odd_values"] = examples
            findings.append(
                self.finding(severity, message, columns=[c], rows=bad, evidence=evidence, remedy=remedy)
            )
        return CheckResult.fired(findings, {"numerator": len(findings), "denominator": len(columns)})

    def correction(self, findings, data, plan):
        """Convert text columns that hold numbers or dates (in the date format most values follow)."""
        conversions: dict[str, str] = {}
        for f in findings:
            for c in f.columns:
                if c in plan.dropped or data.schema.get(c) != pl.String:
                    continue
                if f.evidence.get("kind") == "date":
                    fmt, _ = best_date_format(data.frame.get_column(c))
                    if fmt:
                        conversions[c] = fmt
                else:
                    conversions[c] = "number"
        if conversions:
            plan.add_step("convert_type", columns=conversions)
        return bool(conversions)
