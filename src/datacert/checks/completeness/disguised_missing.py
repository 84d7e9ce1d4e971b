"""disguised_missing: codes such as -999, 9999, "NA", "inconnu" or 1900-01-01 that stand for missing."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from datacert.checks._base import Check, CheckResult, Figure, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._text_patterns import (
    MISSING_LITERALS,
    MISSING_TOKENS,
    SENTINEL_DATES,
    fold,
    string_columns,
)
from datacert.checks._util import plural
from datacert.findings import Severity
from datacert.semantics import SemanticType, parse_number_expr

# Numbers that data-entry systems use for "unknown"; being one of them raises the prior, it
# never suffices alone: the value must also be a repeated, isolated spike.
KNOWN_NUMERIC: frozenset[float] = frozenset(
    {
        9.0,
        99.0,
        999.0,
        9999.0,
        99999.0,
        999999.0,
        9.9,
        99.9,
        999.9,
        9999.9,
        9.99,
        99.99,
        999.99,
        88.0,
        888.0,
        8888.0,
        77.0,
        777.0,
        7777.0,
        98.0,
        998.0,
        9998.0,
        -1.0,
        -9.0,
        -99.0,
        -999.0,
        -9999.0,
        -99999.0,
        -8.0,
        -88.0,
        -888.0,
        -7.0,
        -77.0,
        -777.0,
        -98.0,
        -998.0,
    }
)
# Spellings of sentinel dates found in text columns; 1970-01-01 is left to the date spike test.
TEXT_SENTINEL_DATES: frozenset[str] = frozenset(
    {
        "1900-01-01",
        "01/01/1900",
        "1899-12-30",
        "30/12/1899",
        "0000-00-00",
        "00/00/0000",
        "9999-12-31",
        "31/12/9999",
        "2999-12-31",
        "31/12/2999",
        "1800-01-01",
        "01/01/1800",
    }
)
NUMERIC_KINDS = {SemanticType.CONTINUOUS, SemanticType.COUNT, SemanticType.INTEGER_CATEGORY}


@register
class DisguisedMissing(Check):
    """Find values that stand for "missing" but look like data (-999, 9999, "NA", "inconnu", 1900-01-01).

    Notes
    -----
    Numbers: a value is a sentinel when it is repeated, lies outside the robust range of the other
    values (beyond `fence_iqr` interquartile ranges of their quartiles, or is impossible in sign:
    0 or a negative code in an otherwise positive column) and stands apart from them (no other value
    beyond it, few values in the same tail). Belonging to the usual code list (-999, 99, 9999, 99.9…)
    lowers the bar; an unusual repeated value needs a stronger spike. The profile's top values and
    quartiles select candidates; only candidate columns are read again.
    Text: folded values (accents, case, spaces) that are missing tokens ("NA", "?", "inconnu", "non
    renseigné"). Dates: placeholder dates (1900-01-01, 1970-01-01, 9999-12-31…) whose count is a
    Poisson outlier against the density of the other dates within a year around them.
    Never a sentinel: a level of a small code set (at most 12 levels) unless it is a known code
    set apart from the others (0-3 and 9, not the 1 of 0/0.5/1); a year inside 1800-2100 in a year
    column; any value of a numeric column declared as `--time`.
    """

    id = "disguised_missing"
    dimension = "completeness"
    governance = ("missingness",)
    needs = Needs(min_rows=20)
    params = (
        Param(
            "fence_iqr",
            3.0,
            "interquartile ranges beyond the quartiles where a repeated value is a sentinel candidate",
            low=0,
        ),
        Param("min_count", 3, "repeats a value needs before it can be a sentinel", low=1),
        Param("min_count_known", 2, "repeats a well-known missing code (-999, 9999...) needs", low=1),
        Param(
            "error_share",
            0.01,
            "share of records holding sentinels from which the finding is an error",
            low=0,
            high=1,
        ),
        Param(
            "date_p_value",
            1e-6,
            "Poisson tail probability below which a repeated date is a placeholder",
            low=0,
            high=1,
        ),
        Param("max_findings", 100, "findings reported at most", low=1),
    )
    kahn = "completeness"
    remedy = Remedy("sentinel_to_missing", 45, automatic=True)
    figure = Figure("distribution", priority=3)
    cost = "linear"

    def run(self, data, profile, params):
        schema = data.schema
        types = data.semantic_types
        excluded = {data.roles.id, data.roles.group, data.roles.split} - {None}
        if data.roles.time and schema[data.roles.time].is_numeric():
            excluded.add(data.roles.time)  # a declared time's tail is follow-up, never a missing code
        counts = profile.stat("count")
        findings = []
        numeric = [
            c
            for c in data.columns
            if c not in excluded and schema[c].is_numeric() and types.get(c) in NUMERIC_KINDS
        ]
        for column, sentinels, reasons in _numeric_sentinels(data, profile, numeric, params):
            findings.append(self._finding(data, column, sentinels, reasons, counts[column], "number", params))
        texts = [c for c in string_columns(data, include_text=False) if c not in excluded]
        tokens = _text_sentinels(data, profile, texts)
        codes = _numeric_text_sentinels(data, [c for c in texts if types.get(c) in NUMERIC_KINDS], params)
        for column in [c for c in texts if c in tokens or c in codes]:
            reasons = {s: "missing token" for s in tokens.get(column, [])}
            reasons.update({s: "numeric missing code written as text" for s in codes.get(column, [])})
            findings.append(
                self._finding(data, column, sorted(reasons), reasons, counts[column], "text", params)
            )
        dates = [
            c
            for c in data.columns
            if c not in excluded and (schema[c] == pl.Date or isinstance(schema[c], pl.Datetime))
        ]
        for column, sentinels in _date_sentinels(data, profile, dates, params).items():
            reasons = {s: "placeholder date spike" for s in sentinels}
            findings.append(self._finding(data, column, sentinels, reasons, counts[column], "date", params))
        position = {c: i for i, c in enumerate(data.columns)}
        findings.sort(key=lambda f: (-f.row_count, position[f.columns[0]]))
        evidence = {
            "numerator": len(findings),
            "denominator": len(numeric) + len(texts) + len(dates),
            "columns_tested": {"numeric": len(numeric), "text": len(texts), "date": len(dates)},
        }
        return CheckResult.fired(findings[: params["max_findings"]], evidence)

    def _finding(self, data, column, sentinels, reasons, count, kind, params):
        values = _typed(sentinels, data.schema[column])
        positions = (
            data.frame.select(pl.col(column).is_in(values).fill_null(False).arg_true()).to_series().to_numpy()
        )
        hits = int(positions.size)
        rate = hits / count if count else 0.0
        severity = Severity.ERROR if rate >= params["error_share"] else Severity.WARNING
        per_value = (
            data.frame.select(
                pl.col(column).filter(pl.col(column).is_in(values)).value_counts(sort=True, name="n")
            )
            .to_series()
            .to_list()
        )
        listed = [_plain(s) for s in values]  # in the column's own type, ready for a recode
        return self.finding(
            severity,
            f"Column {column!r} uses "
            f"{'a code that stands' if len(sentinels) == 1 else plural(len(sentinels), 'code') + ' that stand'}"  # noqa: E501
            f" for a missing value in {rate:.1%} of its records.",
            columns=[column],
            rows=positions,
            evidence={
                "sentinels": listed,
                "kind": kind,
                "numerator": hits,
                "denominator": count,
                "rate": rate,
                "threshold": params["error_share"],
                "counts": {str(_plain(item[column])): int(item["n"]) for item in per_value},
                "reasons": {str(v): reasons[s] for v, s in zip(listed, sentinels, strict=True)},
            },
            remedy=f"Recode {', '.join(repr(v) for v in listed)} in {column!r} as missing, then "
            "treat the column like any other missing data (imputation with an indicator).",
        )

    def correction(self, findings, data, plan):
        """Turn the sentinel codes the findings name into missing values."""
        sentinels = _sentinels(findings)
        if sentinels:
            plan.add_step("sentinel_to_missing", sentinels=sentinels)
        return bool(sentinels)


def _numeric_sentinels(data, profile, columns: list[str], params: Mapping[str, Any]):
    """Yield (column, sentinel values, reason per value) for numeric columns.

    Three stages, each on fewer columns: the profile says which columns have values beyond the
    fences, an impossible zero or negative, or a listed code at an extreme; one engine pass counts
    the values of those columns that are out there; only columns with a repeated one are read.
    """
    if not columns:
        return
    table = profile.columns.filter(pl.col("name").is_in(columns)).select(
        "name", "count", "min", "max", "q05", "q25", "q75", "q95", "zero_count", "negative_count"
    )
    k = params["fence_iqr"]
    # vectorised over columns first: most columns of a wide table have nothing to look at
    arr = {c: table.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy() for c in table.columns[1:]}
    iqr = arr["q75"] - arr["q25"]
    fallback = (arr["q95"] - arr["q05"]) / 2.44
    iqr = np.where((iqr <= 0) & np.isfinite(fallback), fallback, iqr)
    iqr = np.maximum(np.nan_to_num(iqr), 0.0)
    low, high = arr["q25"] - k * iqr, arr["q75"] + k * iqr
    count, zeros, negatives = (np.nan_to_num(arr[c]) for c in ("count", "zero_count", "negative_count"))
    with np.errstate(invalid="ignore"):
        below = arr["min"] < low
        above = arr["max"] > high
        zero_rule = (
            (zeros >= params["min_count"]) & (negatives == 0) & (arr["q25"] > 0) & (arr["q25"] >= 0.75 * iqr)
        )
        negative_rule = (negatives > 0) & (negatives * 2 <= count) & (arr["q25"] >= 0)
        listed = np.isin(arr["min"], list(KNOWN_NUMERIC)) | np.isin(arr["max"], list(KNOWN_NUMERIC))
        listed &= iqr > 0
    look = np.flatnonzero(
        (count > 0) & np.isfinite(arr["q25"]) & (below | above | zero_rule | negative_rule | listed)
    )
    names = table.get_column("name").to_list()
    selectors: dict[str, pl.Expr] = {}
    for j in look.tolist():
        x = pl.col(names[j]).cast(pl.Float64)
        parts = []
        if below[j]:
            parts.append(x < low[j])
        if above[j]:
            parts.append(x > high[j])
        if zero_rule[j]:
            parts.append(x == 0)
        if negative_rule[j]:
            parts.append(x < 0)
        if listed[j]:
            parts.append(x.is_in([v for v in (arr["min"][j], arr["max"][j]) if v in KNOWN_NUMERIC]))
        selectors[names[j]] = pl.any_horizontal(parts)
    if not selectors:
        return
    counted = data.frame.select(
        [
            pl.col(c).cast(pl.Float64).filter(sel).value_counts(name="n").implode().alias(c)
            for c, sel in selectors.items()
        ]
    ).row(0, named=True)
    counts = profile.stat("count")
    for name in selectors:
        # a pair of equal values is only worth a look when the value itself is suspicious
        candidates = [
            float(item[name])
            for item in counted[name] or ()
            if item["n"] * 2 <= counts[name]
            and math.isfinite(item[name])
            and (
                item["n"] >= params["min_count"]
                or (
                    item["n"] >= params["min_count_known"]
                    and (item[name] in KNOWN_NUMERIC or item[name] == 0)
                )
            )
        ]
        if candidates:
            confirmed = _confirm_numeric(data, name, sorted(candidates), params)
            if confirmed:
                yield name, sorted(confirmed), confirmed


def _spread(q05, q25, q75, q95) -> float:
    """Interquartile range, or a range from the 5-95 % quantiles when the quartiles coincide."""
    iqr = (q75 or 0.0) - (q25 or 0.0)
    if iqr <= 0 and q95 is not None and q05 is not None:
        iqr = (q95 - q05) / 2.44  # the 5-95 % range of a normal is 2.44 times its IQR
    return max(iqr, 0.0)


def _confirm_numeric(
    data, column: str, candidates: list[float], params: Mapping[str, Any]
) -> dict[float, str]:
    """Test each candidate against the other values of the column (read only for candidate columns)."""
    x = data.frame.get_column(column).cast(pl.Float64).drop_nulls().to_numpy()
    return _confirm_values(x[np.isfinite(x)], candidates, params)


def _numeric_text_sentinels(data, columns: list[str], params: Mapping[str, Any]) -> dict[str, list[str]]:
    """Numeric codes (-999, 9999...) in columns of numbers stored as text, in their written spellings."""
    out: dict[str, list[str]] = {}
    for c in columns:
        parsed = parse_number_expr(pl.col(c).cast(pl.String))
        x = data.frame.select(parsed).to_series().drop_nulls().to_numpy()
        x = x[np.isfinite(x)]
        if x.size < 20:
            continue
        q05, q25, q75, q95 = np.percentile(x, [5, 25, 75, 95])
        iqr = _spread(q05, q25, q75, q95)
        k = params["fence_iqr"]
        values, counts = np.unique(x, return_counts=True)
        known = np.isin(values, list(KNOWN_NUMERIC))
        odd = (values < q25 - k * iqr) | (values > q75 + k * iqr) | known | (values == 0)
        keep = (
            odd
            & (counts * 2 <= x.size)
            & (
                (counts >= params["min_count"])
                | ((counts >= params["min_count_known"]) & (known | (values == 0)))
            )
        )
        candidates = values[keep].tolist()
        confirmed = _confirm_values(x, candidates, params) if candidates else {}
        if confirmed:
            spellings = (
                data.frame.select(pl.col(c).cast(pl.String).filter(parsed.is_in(list(confirmed))).unique())
                .to_series()
                .to_list()
            )
            out[c] = sorted(spellings)
    return out


def _confirm_values(x: np.ndarray, candidates: list[float], params: Mapping[str, Any]) -> dict[float, str]:
    """Which candidate values are isolated, repeated spikes against the other values of x."""
    is_candidate = np.isin(x, np.asarray(candidates))
    rest = x[~is_candidate]
    if rest.size < 10:
        return {}
    q25, q75 = np.percentile(rest, [25, 75])
    q05, q95 = np.percentile(rest, [5, 95])
    iqr = _spread(q05, q25, q75, q95)
    if iqr <= 0:
        return {}
    k = params["fence_iqr"]
    low, high = q25 - k * iqr, q75 + k * iqr
    rest_min, rest_max = float(rest.min()), float(rest.max())
    confirmed: dict[float, str] = {}
    levels = np.unique(x)
    small_code_set = levels.size <= MAX_CODE_LEVELS
    for v in candidates:
        c = int(np.count_nonzero(x == v))
        if small_code_set and not _detached_code(levels, v):
            continue  # the top or bottom level of a small graded code (0/0.5/1, stage 1-4) is data
        if _inside_year_support(x, v):
            continue  # the first or last years of a recruitment are data, not codes
        if v < rest_min:
            gap, tail = (rest_min - v) / iqr, int(np.count_nonzero(rest < low))
        elif v > rest_max:
            gap, tail = (v - rest_max) / iqr, int(np.count_nonzero(rest > high))
        else:
            continue  # other values lie beyond it: part of the distribution, not a spike
        far = v < low or v > high
        known = v in KNOWN_NUMERIC
        impossible = (v == 0 and rest_min > 0) or (v < 0 and rest_min >= 0)
        reason = None
        if far and (known or impossible) and c >= params["min_count_known"] and c >= tail:
            reason = "known missing code, far outside the other values"
        elif far and c >= params["min_count"] and c >= 2 * max(tail, 1):
            reason = "repeated value far outside the other values"
        elif impossible and gap >= 0.75 and c >= params["min_count"]:
            reason = "impossible value (zero or negative) set apart from the other values"
        elif known and gap >= 1.0 and c >= params["min_count_known"]:
            reason = "known missing code set apart from the other values"
        if reason:
            confirmed[v] = reason
    return confirmed


MAX_CODE_LEVELS = 12


def _detached_code(levels: np.ndarray, v: float) -> bool:
    """In a small code set, a level is a missing code only when it is a known code (9, 99, -1...)
    set apart from the others by more than twice their usual step (0-3 and 9, not 0/0.5/1)."""
    if v not in KNOWN_NUMERIC:
        return False
    others = levels[levels != v]
    if others.size < 2:
        return False
    step = float(np.median(np.diff(others)))
    gap = float(np.min(np.abs(others - v)))
    return step > 0 and gap > 2 * step


def _inside_year_support(x: np.ndarray, v: float) -> bool:
    """A year column (integers, nearly all in 1800-2100) never has a sentinel inside that range."""
    if not 1800 <= v <= 2100 or v != round(v):
        return False
    years = (x >= 1800) & (x <= 2100) & (x == np.round(x))
    return bool(years.mean() >= 0.95)


def _text_sentinels(data, profile, columns: list[str]) -> dict[str, list[str]]:
    """Missing tokens in text columns: folded top values, plus one exact-match pass for rarer ones."""
    if not columns:
        return {}
    found: dict[str, set[str]] = {c: set() for c in columns}
    literals = list(MISSING_LITERALS) + sorted(TEXT_SENTINEL_DATES)
    for c in columns:
        for value, _ in profile.top_values.get(c) or ():
            if isinstance(value, str) and (
                fold(value) in MISSING_TOKENS or value.strip() in TEXT_SENTINEL_DATES
            ):
                found[c].add(value)
    schema = data.schema
    exprs = [
        (pl.col(c) if schema[c] == pl.String else pl.col(c).cast(pl.String)).is_in(literals).any().alias(c)
        for c in columns
    ]
    any_hit = data.frame.select(exprs).row(0, named=True)
    hit_columns = [c for c in columns if any_hit[c]]
    if hit_columns:
        values = data.frame.select(
            [
                (pl.col(c) if schema[c] == pl.String else pl.col(c).cast(pl.String))
                .filter(pl.col(c).cast(pl.String).is_in(literals))
                .unique()
                .implode()
                .alias(c)
                for c in hit_columns
            ]
        ).row(0, named=True)
        for c in hit_columns:
            found[c].update(v for v in values[c] if v is not None)
    return {c: sorted(v) for c, v in found.items() if v}


def _date_sentinels(data, profile, columns: list[str], params: Mapping[str, Any]) -> dict[str, list[dt.date]]:
    """Placeholder dates whose count is far above the density of the dates around them."""
    sentinel_days = {dt.date.fromisoformat(s) for s in SENTINEL_DATES}
    out: dict[str, list[dt.date]] = {}
    for c in columns:
        tops = [(v, n) for v, n in (profile.top_values.get(c) or ()) if v is not None and n >= 2]
        hits = [(v, n) for v, n in tops if (v.date() if isinstance(v, dt.datetime) else v) in sentinel_days]
        if not hits:
            continue
        days = data.frame.select(pl.col(c).cast(pl.Date).cast(pl.Int32).drop_nulls()).to_series().to_numpy()
        confirmed = []
        for value, n in hits:
            day = value.date() if isinstance(value, dt.datetime) else value
            ordinal = (day - dt.date(1970, 1, 1)).days
            near = np.count_nonzero((np.abs(days - ordinal) <= 365) & (days != ordinal))
            expected = near / 730.0
            if stats.poisson.sf(n - 1, expected) < params["date_p_value"]:
                confirmed.append(value)
        if confirmed:
            out[c] = sorted(confirmed)
    return out


def _typed(values: list[Any], dtype: pl.DataType) -> list[Any]:
    """Sentinels in the column's own type, so that the membership test compares like with like."""
    if dtype.is_integer():
        return [int(v) for v in values]
    return list(values)


def _plain(value: Any) -> Any:
    """Sentinels as JSON-ready values: dates as ISO text, integral floats kept as floats."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _sentinels(findings) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in findings:
        found = f.evidence.get("sentinels")
        if isinstance(found, Mapping):
            for c, values in found.items():
                out.setdefault(c, []).extend(v for v in values if v not in out.get(c, []))
        elif isinstance(found, list):
            for c in f.columns:
                out.setdefault(c, []).extend(v for v in found if v not in out.get(c, []))
    return out
