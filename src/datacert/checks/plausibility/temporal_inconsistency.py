"""temporal_inconsistency: future dates, dates before birth, ends before starts, age vs birth date."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Figure, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.plausibility._physiology import choose_unit, match_variable, normalise_name
from datacert.semantics import DATETIME_FORMATS, SemanticType, best_date_format, parse_date_expr

_BIRTH = re.compile(r"naiss|birth|(?:^|_)(dob|ddn)(?:_|$)")
_START = re.compile(
    r"(?:^|_)(admission|admis|adm|entree|entry|debut|start|begin|beginning|arrivee|arrival|"
    r"in|inclusion|enrolment|enrollment|onset)(?:_|$)"
)
_END = re.compile(
    r"(?:^|_)(sortie|discharge|discharged|fin|end|depart|departure|out|stop|exit|cloture|"
    r"closure)(?:_|$)"
)
_VISIT = re.compile(
    r"(?:^|_)(visite|visit|consultation|sejour|stay|encounter|exam|examen|prelevement|"
    r"sample|sampling|mesure|measure|inclusion)(?:_|$)"
)
_FILLER = re.compile(r"(?:^|_)(date|dt|d|jour|day|le|of|de|du|la)(?:_|$)")


@register
class TemporalInconsistency(Check):
    """Find dates that contradict time: in the future, before birth, ends before starts, wrong ages.

    Notes
    -----
    Birth dates are recognised by name (naissance, birth, DOB, DDN); start/end pairs by French
    and English names (admission/entrée/début/start vs sortie/discharge/fin/end) sharing the same
    remaining name, or the only start and end columns. The check never reads the clock: "the
    future" is after `reference_date` (a parameter, ISO date) or, by default, after the latest
    admission or visit date of the data itself, ignoring dates more than a year beyond their 99th
    percentile (a typing slip in the year must not become the reference). Dates other than
    admissions/visits may follow that reference by up to a year (a stay can end after the last
    admission). An age column (years) must equal the completed years between birth and the visit
    date within `age_tolerance_years`. Dates stored as text are read with the column's best format.
    """

    id = "temporal_inconsistency"
    dimension = "plausibility"
    needs = Needs(column_types=(SemanticType.DATE, SemanticType.DATETIME))
    params = (
        Param(
            "reference_date",
            None,
            "date after which a value is in the future (default: the latest plausible date)",
            type="date",
            nullable=True,
        ),
        Param("future_grace_days", 366, "days after the reference date still accepted", low=0),
        Param(
            "age_tolerance_years",
            1.0,
            "years by which a stated age may differ from the one computed from dates",
            low=0,
        ),
    )
    kahn = "plausibility.temporal"
    remedy = Remedy("range_to_missing", 62)
    figure = Figure("distribution", priority=4)

    def run(self, data, profile, params):
        dates, formats = _date_frame(data)
        if dates.width == 0:
            return CheckResult.not_applicable("needs a date column that can be read as dates")
        names = {c: normalise_name(c) for c in dates.columns}
        birth = next((c for c in dates.columns if _BIRTH.search(names[c])), None)
        starts = [c for c in dates.columns if c != birth and _START.search(names[c])]
        ends = [c for c in dates.columns if c != birth and c not in starts and _END.search(names[c])]
        pairs = _pairs(starts, ends, names)
        visit = _visit_column(data, dates.columns, birth, starts, names)
        findings: list = []
        evidence: dict[str, Any] = {
            "date_columns": dates.columns,
            "birth_column": birth,
            "start_end_pairs": [list(p) for p in pairs],
            "visit_column": visit,
            "parsed_from_text": formats,
        }
        checked = 0
        # 1. the future
        reference, basis, grace_columns = self._reference(dates, params, starts, visit)
        evidence.update(
            {"reference_date": reference.isoformat() if reference else None, "reference_basis": basis}
        )
        if reference is not None:
            for c in dates.columns:
                limit = reference
                if basis == "data" and c not in grace_columns:
                    limit = reference + timedelta(days=int(params["future_grace_days"]))
                rows = _positions(dates, pl.col(c) > pl.lit(limit))
                checked += 1
                if rows.size:
                    findings.append(
                        self.finding(
                            "error",
                            f"{plural(int(rows.size), 'date')} in {c!r} lie in the future of the data.",
                            columns=[c],
                            rows=rows,
                            evidence={
                                "numerator": int(rows.size),
                                "denominator": _count(dates, c),
                                "kind": "future",
                                "reference_date": reference.isoformat(),
                                "reference_basis": basis,
                                "limit": limit.isoformat(),
                            },
                            remedy=f"Correct the year of these dates in {c!r} at the source, or set them to missing.",
                        )
                    )
        # 2. before birth
        if birth is not None:
            for c in dates.columns:
                if c == birth:
                    continue
                rows = _positions(dates, pl.col(c) < pl.col(birth))
                checked += 1
                if rows.size:
                    findings.append(
                        self.finding(
                            "error",
                            f"{plural(int(rows.size), 'record')} have {c!r} before the birth date {birth!r}.",
                            columns=[birth, c],
                            rows=rows,
                            evidence={
                                "numerator": int(rows.size),
                                "denominator": _count_both(dates, birth, c),
                                "kind": "before_birth",
                            },
                            remedy=f"Check {birth!r} and {c!r} against the source record (swapped day and month, "
                            "wrong year) and correct them.",
                        )
                    )
        # 3. end before start
        for start, end in pairs:
            rows = _positions(dates, pl.col(end) < pl.col(start))
            checked += 1
            if rows.size:
                findings.append(
                    self.finding(
                        "error",
                        f"{plural(int(rows.size), 'record')} end ({end!r}) before they start ({start!r}).",
                        columns=[start, end],
                        rows=rows,
                        evidence={
                            "numerator": int(rows.size),
                            "denominator": _count_both(dates, start, end),
                            "kind": "end_before_start",
                        },
                        remedy=f"Check {start!r} and {end!r} against the source (swapped columns, wrong year) "
                        "and correct them.",
                    )
                )
        # 4. age against birth date and visit date
        age = _age_column(data, profile)
        evidence["age_column"] = age
        if age is not None and birth is not None and visit is not None:
            checked += 1
            finding = self._age_finding(data, dates, age, birth, visit, params)
            if finding is not None:
                findings.append(finding)
        numerator = sum(f.row_count for f in findings)
        evidence.update({"numerator": numerator, "denominator": data.n_rows, "comparisons": checked})
        return CheckResult.fired(findings, evidence)

    def _reference(self, dates: pl.DataFrame, params, starts: list[str], visit: str | None):
        given = params.get("reference_date")
        if given:
            return date.fromisoformat(str(given)[:10]), "parameter", set(dates.columns)
        anchors = list(dict.fromkeys(starts + ([visit] if visit else [])))
        if not anchors:
            return None, "no admission or visit date to anchor the present", set()
        days = np.concatenate([dates.get_column(c).drop_nulls().cast(pl.Int32).to_numpy() for c in anchors])
        if days.size == 0:
            return None, "no admission or visit date to anchor the present", set()
        ceiling = np.quantile(days, 0.99) + 366
        latest = int(days[days <= ceiling].max())
        return date(1970, 1, 1) + timedelta(days=latest), "data", set(anchors)

    def _age_finding(self, data, dates, age, birth, visit, params):
        years = (pl.col(visit) - pl.col(birth)).dt.total_days() / 365.25
        frame = dates.select(years.alias("expected")).with_columns(
            data.frame.get_column(age).cast(pl.Float64).alias("age")
        )
        valid = pl.col("expected").is_not_null() & pl.col("age").is_not_null() & (pl.col("expected") >= 0)
        mismatch = valid & (
            (pl.col("age") - pl.col("expected").floor()).abs() > params["age_tolerance_years"]
        )
        rows = frame.select(mismatch.fill_null(False).arg_true()).to_series().to_numpy()
        compared = int(frame.select(valid.sum()).item())
        if not rows.size:
            return None
        share = rows.size / max(compared, 1)
        severity = "warning" if share > 0.5 else "error"
        message = (
            f"{plural(int(rows.size), 'record')} have an age in {age!r} that disagrees with {birth!r} "
            f"and {visit!r}."
        )
        if share > 0.5:
            message = (
                f"Most records have an age in {age!r} that disagrees with {birth!r} and {visit!r}: the age "
                "was probably taken at another date."
            )
        return self.finding(
            severity,
            message,
            columns=[age, birth, visit],
            rows=rows,
            evidence={
                "numerator": int(rows.size),
                "denominator": compared,
                "share": share,
                "kind": "age_mismatch",
                "tolerance_years": params["age_tolerance_years"],
            },
            remedy=f"Recompute {age!r} from {birth!r} and {visit!r}, or correct the dates at the source.",
        )


def _date_frame(data) -> tuple[pl.DataFrame, dict[str, str]]:
    """Every date column as a polars Date column (text dates parsed with their best format)."""
    schema = data.schema
    exprs, formats = [], {}
    for c in data.columns:
        dtype = schema[c]
        if dtype == pl.Date:
            exprs.append(pl.col(c))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(c).dt.date().alias(c))
        elif dtype == pl.String and data.semantic_types.get(c) in (SemanticType.DATE, SemanticType.DATETIME):
            fmt, share = best_date_format(data.frame.get_column(c))
            if fmt is None or share < 0.5:
                continue
            formats[c] = fmt
            parsed = parse_date_expr(pl.col(c), fmt)
            exprs.append((parsed.dt.date() if fmt in DATETIME_FORMATS else parsed).alias(c))
    if not exprs:
        return pl.DataFrame(), formats
    return data.frame.select(exprs), formats


def _pairs(starts: list[str], ends: list[str], names: dict[str, str]) -> list[tuple[str, str]]:
    """Start/end columns that share their name once the start/end word and fillers are removed."""

    def stem(column: str, word: re.Pattern[str]) -> str:
        text = word.sub("_", names[column])
        return _FILLER.sub("_", _FILLER.sub("_", text)).strip("_")

    pairs = []
    used: set[str] = set()
    for s in starts:
        for e in ends:
            if e not in used and stem(s, _START) == stem(e, _END):
                pairs.append((s, e))
                used.add(e)
                break
    if not pairs and len(starts) == 1 and len(ends) == 1:
        pairs.append((starts[0], ends[0]))
    return pairs


def _visit_column(data, columns: list[str], birth, starts, names) -> str | None:
    """The date a record describes: the time role, else an admission, else a visit-like date."""
    if data.roles.time in columns and data.roles.time != birth:
        return data.roles.time
    if starts:
        return starts[0]
    visits = [c for c in columns if c != birth and _VISIT.search(names[c])]
    if visits:
        return visits[0]
    others = [c for c in columns if c != birth]
    return others[0] if len(others) == 1 else None


def _age_column(data, profile) -> str | None:
    """A column recognised as age in years (by name, and by values in the plausible range)."""
    for c in data.columns:
        if not data.schema[c].is_numeric():
            continue
        variable = match_variable(c)
        if variable is None or variable.key != "age":
            continue
        unit, _ = choose_unit(variable, c, profile.column(c)["q50"])
        if unit is not None and unit.name == "years":
            return c
    return None


def _positions(frame: pl.DataFrame, predicate: pl.Expr) -> np.ndarray:
    return frame.select(predicate.fill_null(False).arg_true()).to_series().to_numpy()


def _count(frame: pl.DataFrame, column: str) -> int:
    return int(frame.get_column(column).count())


def _count_both(frame: pl.DataFrame, a: str, b: str) -> int:
    return int(frame.select((pl.col(a).is_not_null() & pl.col(b).is_not_null()).sum()).item())
