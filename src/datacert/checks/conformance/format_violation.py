"""format_violation: values that break their column's format (dates, CIM-10, ATC, LOINC, NIR, RPPS...)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from stdnum import luhn, verhoeff
from stdnum.fr import nir

from datacert.checks._base import Check, CheckResult, Figure, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._text_patterns import MISSING_LITERALS, fold_name, string_columns
from datacert.checks._util import plural
from datacert.findings import Severity
from datacert.semantics import (
    DATE_FORMATS,
    DATETIME_FORMATS,
    SemanticType,
    best_date_format,
    parse_date_expr,
    sample_rows,
)

DETECTION_SAMPLE = 2_000
PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "NC", "PF", "WF")
# Postal code prefixes in use: metropolitan departments (Corsica is 20), overseas, Monaco, Pacific.
POSTAL_PREFIXES = frozenset(
    [f"{d:02d}" for d in range(1, 96)]
    + ["971", "972", "973", "974", "975", "976", "980", "984", "986", "987", "988"]
)


def _luhn(value: str) -> bool:
    return luhn.is_valid(value)


def _loinc(value: str) -> bool:
    body, check = value.split("-")
    return luhn.is_valid(body + check)  # LOINC's mod-10 check digit is Luhn's


def _snomed(value: str) -> bool:
    # Verhoeff check digit; the two digits before it are the partition (0x short, 1x long format)
    return verhoeff.is_valid(value) and value[-3] in "01" and value[-2] in "012345"


def _nir(value: str) -> bool:
    return len(value) == 13 or nir.is_valid(value)  # 13 characters: the key was not recorded


def _rpps(value: str) -> bool:
    return luhn.is_valid(value[-11:])  # a 12-character IdNat_PS is '8' + RPPS


def _finess(value: str) -> bool:
    return not value[:2].isdigit() or luhn.is_valid(value)  # Luhn is unverified for Corsica (2A/2B)


def _postal(value: str) -> bool:
    return (
        value[:2] in POSTAL_PREFIXES if not value.startswith(("97", "98")) else value[:3] in POSTAL_PREFIXES
    )


def _phone(value: str) -> bool:
    import phonenumbers  # loaded on the first phone number: most tables hold none

    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return False
        if phonenumbers.is_valid_number(number):
            return True
        if value.lstrip().startswith("+") or value.lstrip().startswith("00"):
            return False  # international form: the region does not matter
    return False


@dataclass(frozen=True)
class CodeFormat:
    """A coded value: how its column is named, its shape, how its text is normalised, its check."""

    kind: str
    label: str
    name_hint: re.Pattern[str]
    shape: str  # regex on the normalised value (full match)
    detect: str | None  # stricter regex that recognises the kind by content alone
    strip: str  # characters removed before the shape test (regex class)
    upper: bool
    validator: Callable[[str], bool] | None
    pad: int = 0  # integer storage lost leading zeros: pad to this width


FORMATS: tuple[CodeFormat, ...] = (
    CodeFormat(
        "nir",
        "NIR (social security) numbers",
        re.compile(
            r"(^|_)(nir|nss|secu|securite_sociale|insee|ins|"
            r"num_ss|no_ss|n_ss|matricule)($|_)"
        ),
        r"^[1-478]\d{4}(\d{2}|2[AB])\d{6}(\d{2})?$",
        r"^[1-478]\d{4}(\d{2}|2[AB])\d{8}$",
        r"[\s.\-]",
        True,
        _nir,
    ),
    CodeFormat(
        "rpps",
        "RPPS numbers",
        re.compile(r"(^|_)(rpps|idnat|idnat_ps|id_nat_ps|ps_id)($|_)"),
        r"^8?\d{11}$",
        None,
        r"[\s.\-]",
        False,
        _rpps,
    ),
    CodeFormat(
        "finess",
        "FINESS numbers",
        re.compile(r"finess"),
        r"^(\d{2}|2[AB])\d{7}$",
        None,
        r"[\s.\-]",
        True,
        _finess,
        pad=9,
    ),
    CodeFormat(
        "loinc", "LOINC codes", re.compile(r"loinc"), r"^\d{1,6}-\d$", r"^\d{3,6}-\d$", r"\s", False, _loinc
    ),
    CodeFormat(
        "snomed",
        "SNOMED CT identifiers",
        re.compile(r"(^|_)(snomed|sct|sctid|snomed_ct)($|_)|snomed"),
        r"^[1-9]\d{5,17}$",
        None,
        r"\s",
        False,
        _snomed,
    ),
    CodeFormat(
        "atc",
        "ATC codes",
        re.compile(r"(^|_)atc($|_)"),
        r"^[ABCDGHJLMNPRSV](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$",
        r"^[A-Z]\d{2}[A-Z]{2}\d{2}$",
        r"\s",
        True,
        None,
    ),
    CodeFormat(
        "icd10",
        "CIM-10/ICD-10 codes",
        re.compile(
            r"(^|_)(cim|cim_?10|icd|icd_?10|diag|diagnostic|dp|dr|das"
            r"|code_diag)($|_)"
        ),
        r"^[A-Z]\d[0-9A-Z](\.?[0-9A-Z+]{1,4})?$",
        r"^[A-TV-Z]\d{2}(\.?[\d+]{1,3})?$",
        r"\s",
        True,
        None,
    ),
    CodeFormat(
        "postal_code",
        "postal codes",
        re.compile(
            r"(^|_)(cp|code_?postal|codepostal|postal|zip|zip_?code|"
            r"cp_(residence|domicile|patient)|postcode)($|_)"
        ),
        r"^\d{5}$",
        None,
        r"\s",
        False,
        _postal,
        pad=5,
    ),
    CodeFormat(
        "phone",
        "phone numbers",
        re.compile(r"(^|_)(tel|telephone|phone|portable|mobile|gsm|fax|tel_\w+)($|_)"),
        r"^(\+|00|0|\()[\d\s.\-()/]{7,20}$",
        r"^(\+33|0033|0)[\s.\-]?[1-9]([\s.\-]?\d{2}){4}$",
        "",
        False,
        _phone,
    ),
)
NUMERIC_KINDS = {"nir", "rpps", "finess", "snomed", "postal_code"}  # codes that survive integer storage
DATE_NAME = re.compile(r"(^|_)(date|dt|ddn|naissance|dob|jour|admission|sortie|entree|deces|visite)($|_)|^d_")


@register
class FormatViolation(Check):
    """Find values that break the format of their column: dates and clinical or French codes.

    Notes
    -----
    A column's kind is recognised by its name (nir, rpps, finess, loinc, snomed, atc, cim10/diag,
    code_postal, tel...) when at least half of a sample of its values has the kind's shape, or, for
    the unambiguous shapes, by its content (80 % of a sample of values
    match NIR, LOINC, ATC level 5, CIM-10 or a French phone number). The format test is one
    vectorised regular expression over the column; check digits (NIR key mod 97 with Corsica,
    RPPS/FINESS Luhn, LOINC mod 10, SNOMED CT Verhoeff) and phone numbers (`phonenumbers`) are
    validated with python-stdnum and phonenumbers on the distinct values only (at most
    `max_distinct_validated` of them, evenly spaced, beyond which the evidence says so: about 12 µs
    per NIR, 40 µs per phone number). Text dates are tested against the format that reads most of
    the column.
    """

    id = "format_violation"
    dimension = "conformance"
    needs = Needs(
        column_types=(
            SemanticType.CATEGORY,
            SemanticType.IDENTIFIER,
            SemanticType.DATE,
            SemanticType.DATETIME,
            SemanticType.COUNT,
            SemanticType.INTEGER_CATEGORY,
        )
    )
    params = (
        Param(
            "detect_share",
            0.8,
            "share of values that must match a format before the column is taken to use it",
            low=0,
            high=1,
        ),
        Param(
            "name_shape_share",
            0.5,
            "share of matches needed when only the column name suggests the format",
            low=0,
            high=1,
        ),
        Param(
            "error_share", 0.05, "share of violating values from which the finding is an error", low=0, high=1
        ),
        Param("max_findings", 100, "findings reported at most", low=1),
        Param("max_distinct_validated", 200_000, "distinct values validated per column at most", low=1),
    )
    kahn = "conformance.value"
    remedy = Remedy("format_to_missing", 43)
    figure = Figure("distribution", priority=5)
    cost = "linear"

    def run(self, data, profile, params):
        schema = data.schema
        excluded = set(data.roles.text)
        strings = string_columns(data, include_text=False)
        integers = [c for c in data.columns if schema[c].is_integer() and c not in excluded]
        recognised: dict[str, tuple[CodeFormat, str]] = {}
        integer_set = set(integers)
        for c in strings + integers:
            name = fold_name(c)
            for fmt in FORMATS:
                if fmt.name_hint.search(name) and (c not in integer_set or fmt.kind in NUMERIC_KINDS):
                    recognised[c] = (fmt, "name")
                    break
        # a name alone is not enough: most values must have the shape ('dr' may be a 0/1 retinopathy flag)
        recognised = _confirm_by_shape(data, recognised, params)
        undecided = [c for c in strings if c not in recognised]
        recognised.update(_recognise_by_content(data, undecided, params))
        dates = [
            c
            for c in strings
            if c not in recognised
            and (
                data.semantic_types.get(c) in (SemanticType.DATE, SemanticType.DATETIME)
                or DATE_NAME.search(fold_name(c))
            )
        ]
        findings = []
        for c, (fmt, how) in recognised.items():
            finding = self._code_finding(data, c, fmt, how, params)
            if finding is not None:
                findings.append(finding)
        for c in dates:
            finding = self._date_finding(data, c, params)
            if finding is not None:
                findings.append(finding)
        findings.sort(key=lambda f: (-f.row_count, f.columns))
        tested = {c: fmt.kind for c, (fmt, _) in recognised.items()} | dict.fromkeys(dates, "date")
        return CheckResult.fired(
            findings[: params["max_findings"]],
            {"numerator": len(findings), "denominator": len(tested), "columns_tested": tested},
        )

    def _code_finding(self, data, column: str, fmt: CodeFormat, how: str, params: Mapping[str, Any]):
        normal = _normalised(column, data.schema[column], fmt)
        present = pl.col(column).is_not_null() & ~pl.col(column).cast(pl.String).str.strip_chars().is_in(
            MISSING_LITERALS
        )
        frame = data.frame.select(normal.alias("v"), present.alias("present"))
        bad_shape = pl.col("present") & ~pl.col("v").str.contains(fmt.shape)
        stats = frame.select(pl.col("present").sum().alias("n"), bad_shape.sum().alias("shape")).row(
            0, named=True
        )
        n_present = int(stats["n"])
        if not n_present:
            return None
        invalid_values: list[str] = []
        validated = sampled_from = None
        if fmt.validator is not None:
            distinct = (
                frame.filter(pl.col("present") & pl.col("v").str.contains(fmt.shape))
                .get_column("v")
                .unique()
                .sort()
            )
            cap = params["max_distinct_validated"]
            if distinct.len() > cap:  # evenly spaced over the sorted distinct values: deterministic
                sampled_from = distinct.len()
                distinct = distinct.gather((np.arange(cap) * (sampled_from / cap)).astype(np.int64))
            validated = distinct.len()
            invalid_values = [v for v in distinct.to_list() if not fmt.validator(v)]
        bad = bad_shape | (pl.col("present") & pl.col("v").is_in(invalid_values))
        rows = frame.select(bad.fill_null(False).arg_true()).to_series().to_numpy()
        if rows.size == 0:
            return None
        check_failures = int(rows.size) - int(stats["shape"])
        rate = rows.size / n_present
        what = "wrong format or check digit" if fmt.validator is not None else "wrong format"
        return self.finding(
            Severity.ERROR if rate >= params["error_share"] else Severity.WARNING,
            f"Column {column!r} holds {plural(int(rows.size), 'value')} that are not valid "
            f"{fmt.label} ({what}).",
            columns=[column],
            rows=rows,
            evidence={
                "kind": fmt.kind,
                "recognised_by": how,
                "numerator": int(rows.size),
                "denominator": n_present,
                "rate": rate,
                "threshold": params["error_share"],
                "format_failures": int(stats["shape"]),
                "check_digit_failures": check_failures,
                "distinct_invalid": len(invalid_values) + _distinct_count(frame, bad_shape),
                **(
                    {"distinct_validated": validated, "distinct_sampled_from": sampled_from}
                    if sampled_from
                    else {}
                ),
            },
            remedy=f"Correct the invalid {fmt.label} at the source (typing errors, truncated or "
            "padded values); "
            "set them to missing if they cannot be recovered.",
        )

    def _date_finding(self, data, column: str, params: Mapping[str, Any]):
        series = data.frame.get_column(column).cast(pl.String)
        fmt, share = best_date_format(sample_rows(series.to_frame()).to_series())
        if fmt is None or share < params["detect_share"]:
            return None
        present = (
            pl.col(column).is_not_null()
            & ~pl.col(column).str.strip_chars().is_in(MISSING_LITERALS)
            & (pl.col(column).str.strip_chars() != "")
        )
        frame = series.to_frame(column)
        parsed = parse_date_expr(pl.col(column), fmt)
        bad = present & parsed.is_null()
        rows = frame.select(bad.fill_null(False).arg_true()).to_series().to_numpy()
        if rows.size == 0:
            return None
        n_present = int(frame.select(present.sum()).item())
        others = [f for f in DATE_FORMATS + DATETIME_FORMATS if f != fmt]
        other_ok = frame.select(
            (
                bad & pl.any_horizontal([parse_date_expr(pl.col(column), f).is_not_null() for f in others])
            ).sum()
        ).item()
        rate = rows.size / n_present
        return self.finding(
            Severity.ERROR if rate >= params["error_share"] else Severity.WARNING,
            f"Column {column!r} holds {plural(int(rows.size), 'date')} that do not follow its format"
            f"{' (several date formats are mixed)' if other_ok else ''}.",
            columns=[column],
            rows=rows,
            evidence={
                "kind": "date",
                "format": fmt,
                "numerator": int(rows.size),
                "denominator": n_present,
                "rate": rate,
                "threshold": params["error_share"],
                "other_format": int(other_ok),
                "unreadable": int(rows.size - other_ok),
            },
            remedy=f"Rewrite the dates of {column!r} in one format ({fmt}); dates that read in no format "
            "(31/02, month 13) must be corrected at the source or set to missing.",
        )


def _normalised(column: str, dtype: pl.DataType, fmt: CodeFormat) -> pl.Expr:
    expr = pl.col(column).cast(pl.String)
    if fmt.pad and dtype.is_integer():
        expr = expr.str.zfill(fmt.pad)
    expr = expr.str.strip_chars()
    if fmt.strip:
        expr = expr.str.replace_all(fmt.strip, "")
    return expr.str.to_uppercase() if fmt.upper else expr


def _distinct_count(frame: pl.DataFrame, predicate: pl.Expr) -> int:
    return int(frame.select(pl.col("v").filter(predicate.fill_null(False)).n_unique()).item())


def _confirm_by_shape(
    data, recognised: dict[str, tuple[CodeFormat, str]], params: Mapping[str, Any]
) -> dict[str, tuple[CodeFormat, str]]:
    """Keep the name-recognised columns whose sampled values mostly have the expected shape."""
    if not recognised:
        return {}
    names = list(recognised)
    sample = sample_rows(data.frame.select(names), DETECTION_SAMPLE)
    schema = data.schema
    exprs = []
    for c in names:
        fmt = recognised[c][0]
        exprs.append(pl.col(c).is_not_null().sum().alias(f"{c}\x00n"))
        exprs.append(
            _normalised(c, schema[c], fmt).str.contains(fmt.shape).fill_null(False).sum().alias(f"{c}\x00ok")
        )
    counts = sample.select(exprs).row(0, named=True)
    return {
        c: v
        for c, v in recognised.items()
        if counts[f"{c}\x00n"] and counts[f"{c}\x00ok"] >= params["name_shape_share"] * counts[f"{c}\x00n"]
    }


def _recognise_by_content(
    data, columns: list[str], params: Mapping[str, Any]
) -> dict[str, tuple[CodeFormat, str]]:
    """Columns whose sampled values mostly have one unambiguous code shape."""
    patterns = {f.kind: f.detect for f in FORMATS if f.detect is not None}
    detectable = [f for f in FORMATS if f.kind in patterns]
    if not columns or not detectable:
        return {}
    sample = sample_rows(data.frame.select(columns), DETECTION_SAMPLE)
    exprs = []
    for c in columns:
        present = pl.col(c).cast(pl.String).is_not_null()
        exprs.append(present.sum().alias(f"{c}\x00n"))
        for f in detectable:
            value = _normalised(c, pl.String(), f)
            exprs.append(
                value.str.contains(patterns[f.kind]).fill_null(False).sum().alias(f"{c}\x00{f.kind}")
            )
    counts = sample.select(exprs).row(0, named=True)
    found: dict[str, tuple[CodeFormat, str]] = {}
    for c in columns:
        n = counts[f"{c}\x00n"]
        if not n:
            continue
        shares = {f.kind: counts[f"{c}\x00{f.kind}"] / n for f in detectable}
        best = max(detectable, key=lambda f: (shares[f.kind], -detectable.index(f)))
        if shares[best.kind] >= params["detect_share"]:
            found[c] = (best, "content")
    return found
