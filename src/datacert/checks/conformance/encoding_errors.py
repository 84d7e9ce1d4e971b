"""encoding_errors: mis-decoded text ("Ã©" for "é"), lost characters (U+FFFD) and control characters."""

from __future__ import annotations

import re

import ftfy

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._text_patterns import (
    CONTROL_PATTERN,
    MOJIBAKE_PATTERN,
    REPLACEMENT_PATTERN,
    as_text,
    string_columns,
)
from datacert.checks._util import plural
from datacert.findings import Severity
from datacert.semantics import SemanticType

KINDS = {
    "mojibake": MOJIBAKE_PATTERN,
    "replacement_char": REPLACEMENT_PATTERN,
    "control_chars": CONTROL_PATTERN,
}
ANY_PATTERN = "|".join(f"(?:{p})" for p in KINDS.values())
_ANY = re.compile(ANY_PATTERN)
MAX_REPAIR_PROBES = 2_000


@register
class EncodingErrors(Check):
    """Find text values damaged by a wrong character decoding, and column names damaged the same way.

    Notes
    -----
    Three patterns, tested in one regular-expression pass per text column (free text included):
    UTF-8 read as Latin-1/CP-1252 ("Ã©", "Ã¨", "â€™", "Â " for a no-break space), the replacement
    character U+FFFD (the original character is lost), and control characters other than tab and
    line breaks. For the flagged distinct values only, `ftfy.fix_text` tells how many can be
    repaired automatically.
    """

    id = "encoding_errors"
    dimension = "conformance"
    needs = Needs(column_types=(SemanticType.CATEGORY, SemanticType.TEXT, SemanticType.IDENTIFIER))
    params = (
        Param(
            "error_share",
            0.05,
            "share of damaged values in a column from which the finding is an error",
            low=0,
            high=1,
        ),
    )
    kahn = "conformance.value"
    remedy = Remedy("repair_encoding", 8)
    cost = "linear"

    def run(self, data, profile, params):
        findings = []
        header = [c for c in data.columns if _damaged(c)]
        if header:
            findings.append(
                self.finding(
                    Severity.WARNING,
                    f"{plural(len(header), 'column name')} {'is' if len(header) == 1 else 'are'} mis-decoded text.",
                    columns=header,
                    evidence={
                        "numerator": len(header),
                        "denominator": data.n_columns,
                        "repairable": sum(ftfy.fix_text(c, uncurl_quotes=False) != c for c in header),
                    },
                    remedy="Re-read the file as UTF-8, or rename the columns with ftfy.fix_text.",
                )
            )
        schema = data.schema
        columns = string_columns(data, include_text=True)
        if not columns:
            return CheckResult.fired(findings, {"numerator": len(findings), "denominator": 0})
        flagged = data.frame.select(
            [as_text(c, schema[c]).str.contains(ANY_PATTERN).sum().alias(c) for c in columns]
        ).row(0, named=True)
        hit = [c for c in columns if flagged[c]]
        counts = profile.stat("count")
        for c in hit:
            findings.append(self._column_finding(data, c, counts[c], params))
        return CheckResult.fired(
            findings, {"numerator": len(hit), "denominator": len(columns), "columns_tested": len(columns)}
        )

    def _column_finding(self, data, column, count, params):
        text = as_text(column, data.schema[column])
        per_kind = data.frame.select([text.str.contains(p).sum().alias(k) for k, p in KINDS.items()]).row(
            0, named=True
        )
        rows = (
            data.frame.select(text.str.contains(ANY_PATTERN).fill_null(False).arg_true())
            .to_series()
            .to_numpy()
        )
        damaged = (
            data.frame.select(
                text.filter(text.str.contains(ANY_PATTERN))
                .unique(maintain_order=True)
                .head(MAX_REPAIR_PROBES)
            )
            .to_series()
            .to_list()
        )
        repairable = sum(ftfy.fix_text(v, uncurl_quotes=False) != v for v in damaged)
        rate = len(rows) / count if count else 0.0
        kinds = {k: int(v) for k, v in per_kind.items() if v}
        names = {
            "mojibake": "mis-decoded accents",
            "replacement_char": "lost characters (U+FFFD)",
            "control_chars": "control characters",
        }
        return self.finding(
            Severity.ERROR if rate >= params["error_share"] else Severity.WARNING,
            f"Column {column!r} has {' and '.join(names[k] for k in kinds)} in {rate:.1%} of its values.",
            columns=[column],
            rows=rows,
            evidence={
                "counts": kinds,
                "numerator": len(rows),
                "denominator": count,
                "rate": rate,
                "threshold": params["error_share"],
                "distinct_damaged": len(damaged),
                "repairable_by_ftfy": repairable,
            },
            remedy=_remedy(kinds),
        )


def _damaged(value: str) -> bool:
    return _ANY.search(value) is not None


def _remedy(kinds: dict[str, int]) -> str:
    steps = []
    if "mojibake" in kinds:
        steps.append(
            "re-read the file as UTF-8 (it was decoded as Latin-1/CP-1252), or repair the values "
            "with ftfy.fix_text"
        )
    if "replacement_char" in kinds:
        steps.append("re-export from the source in UTF-8, since characters replaced by U+FFFD are lost")
    if "control_chars" in kinds:
        steps.append("strip the control characters")
    text = "; ".join(steps)
    return text[0].upper() + text[1:] + "."
