"""schema_violation: values that break a declared Table Schema (type, required, unique, enum, pattern...).

Declared `minimum`/`maximum` of numeric fields are judged by out_of_range (they override the
physiological knowledge base there); date bounds, which out_of_range does not handle, are here.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Param
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.semantics import DATETIME_FORMATS, best_date_format, parse_date_expr, parse_number_expr

_REMEDY = "Correct the values at the source, or fix the schema if the declaration is wrong."


@register
class SchemaViolation(Check):
    """Find values that break the Table Schema declared with --schema.

    Notes
    -----
    Each declared field is checked for presence in the table, its type (numbers, integers,
    booleans, dates readable as such), and its constraints: required (no missing or empty
    value), unique (every member of every repeated value reported), enum, pattern (anchored, as
    in Table Schema), minLength/maxLength and date minimum/maximum; the primaryKey must be
    unique and complete. One vectorised expression per field and constraint. Severity error:
    the data breaks a contract its producer declared.
    """

    id = "schema_violation"
    dimension = "conformance"
    params = (
        Param("report_undeclared_columns", True, "also report columns the declared schema does not name"),
    )
    kahn = "conformance.relational"

    def run(self, data, profile, params):
        schema_decl = data.declared_schema
        if schema_decl is None:
            return CheckResult.not_applicable("no declared schema was given (--schema FILE)")
        findings = []
        columns = set(data.columns)
        checked = 0
        for field in schema_decl.fields:
            if field.name not in columns:
                severity = "error" if field.required or field.name in schema_decl.primary_key else "warning"
                findings.append(
                    self.finding(
                        severity,
                        f"Column {field.name!r} is declared in the schema but missing from the table.",
                        columns=[field.name],
                        evidence={"constraint": "field", "numerator": 1, "denominator": 1},
                        remedy="Add the column to the export, or remove it from the schema.",
                    )
                )
                continue
            checked += 1
            findings += self._field_findings(data, field)
        if schema_decl.primary_key and all(c in columns for c in schema_decl.primary_key):
            findings += self._key_findings(data, list(schema_decl.primary_key))
        undeclared = [c for c in data.columns if schema_decl.field(c) is None]
        if undeclared and params["report_undeclared_columns"]:
            findings.append(
                self.finding(
                    "info",
                    f"{plural(len(undeclared), 'column')} of the table are not declared in the schema.",
                    columns=undeclared,
                    evidence={
                        "constraint": "field",
                        "numerator": len(undeclared),
                        "denominator": data.n_columns,
                    },
                    remedy="Declare these columns in the schema, or drop them from the export.",
                )
            )
        return CheckResult.fired(
            findings,
            {
                "fields_declared": len(schema_decl.fields),
                "fields_checked": checked,
                "numerator": sum(f.row_count for f in findings),
                "denominator": data.n_rows * max(checked, 1),
            },
        )

    def _field_findings(self, data, field):
        column = field.name
        dtype = data.schema[column]
        col = pl.col(column)
        present = col.is_not_null()
        if dtype == pl.String:
            present = present & (col.str.strip_chars() != "")
        out = []
        count = int(data.frame.select(present.sum()).item())

        def add(constraint, bad: pl.Expr, message: str, declared=None, denominator=count):
            rows = data.frame.select(bad.fill_null(False).arg_true()).to_series().to_numpy()
            if rows.size:
                evidence = {"constraint": constraint, "numerator": int(rows.size), "denominator": denominator}
                if declared is not None:
                    evidence["declared"] = declared
                out.append(
                    self.finding(
                        "error",
                        message.format(n=plural(int(rows.size), "value"), c=column),
                        columns=[column],
                        rows=rows,
                        evidence=evidence,
                        remedy=_REMEDY,
                    )
                )

        if field.required:
            add(
                "required",
                ~present,
                "{n} of {c!r} are missing, but the schema declares it required.",
                denominator=data.n_rows,
            )
        typed, type_bad = _typed(data, field, dtype)
        if type_bad is not None:
            add("type", present & type_bad, "{n} of {c!r} are not of the declared type.", field.type)
        if field.unique:
            repeated = present & col.is_duplicated()
            add("unique", repeated, "{n} of {c!r} repeat another value, but the schema declares it unique.")
        if field.enum is not None:
            allowed = [str(v) for v in field.enum]
            as_text = _as_text(col, dtype)
            add(
                "enum",
                present & ~as_text.is_in(allowed),
                "{n} of {c!r} are not among the declared values.",
                list(field.enum),
            )
        if field.pattern is not None and dtype == pl.String:
            try:
                bad = present & ~col.str.contains(f"^(?:{field.pattern})$")
                add("pattern", bad, "{n} of {c!r} do not match the declared pattern.", field.pattern)
            except pl.exceptions.ComputeError:
                pass  # a Python-only regex feature: the loader accepted it, the engine cannot run it
        if dtype == pl.String and (field.min_length is not None or field.max_length is not None):
            length = col.str.len_chars()
            bad = pl.lit(False)
            if field.min_length is not None:
                bad = bad | (length < field.min_length)
            if field.max_length is not None:
                bad = bad | (length > field.max_length)
            add(
                "length",
                present & bad,
                "{n} of {c!r} have a length outside the declared limits.",
                [field.min_length, field.max_length],
            )
        if field.type in ("date", "datetime") and typed is not None and (field.minimum or field.maximum):
            bad = pl.lit(False)
            low, high = _as_date(field.minimum), _as_date(field.maximum)
            if low is not None:
                bad = bad | (typed < pl.lit(low))
            if high is not None:
                bad = bad | (typed > pl.lit(high))
            add(
                "range",
                present & bad,
                "{n} of {c!r} fall outside the declared date range.",
                [field.minimum, field.maximum],
            )
        return out

    def _key_findings(self, data, key: list[str]):
        frame = data.frame
        missing = frame.select(pl.any_horizontal([pl.col(c).is_null() for c in key]).arg_true()).to_series()
        repeated = frame.select(pl.struct(key).is_duplicated().arg_true()).to_series()
        rows = np.union1d(missing.to_numpy(), repeated.to_numpy())
        if not rows.size:
            return []
        return [
            self.finding(
                "error",
                f"{plural(int(rows.size), 'record')} break the declared primary key "
                f"({', '.join(repr(c) for c in key)}): missing or repeated.",
                columns=key,
                rows=rows,
                evidence={
                    "constraint": "primaryKey",
                    "numerator": int(rows.size),
                    "denominator": data.n_rows,
                    "missing": int(missing.len()),
                    "repeated": int(repeated.len()),
                },
                remedy="Give every record a complete, unique key; remove duplicated records.",
            )
        ]


def _as_text(col: pl.Expr, dtype) -> pl.Expr:
    if dtype.is_float():
        # 3.0 must match an enum value written 3
        return (
            pl.when(col == col.round(0))
            .then(col.cast(pl.Int64).cast(pl.String))
            .otherwise(col.cast(pl.String))
        )
    return col.cast(pl.String).str.strip_chars() if dtype == pl.String else col.cast(pl.String)


def _typed(data, field, dtype) -> tuple[pl.Expr | None, pl.Expr | None]:
    """The column read as its declared type, and where the reading fails (None: nothing to test)."""
    col = pl.col(field.name)
    kind = field.type
    if kind in ("number", "integer", "year"):
        if dtype.is_numeric():
            number = col.cast(pl.Float64)
        elif dtype == pl.String:
            number = parse_number_expr(col)
        else:
            return None, pl.lit(True)
        bad = number.is_null()
        if kind in ("integer", "year"):
            bad = bad | (number != number.round(0))
        if kind == "year":
            bad = bad | (number < 0) | (number > 9999)
        return number, bad
    if kind == "boolean":
        if dtype == pl.Boolean:
            return col, None
        if dtype.is_numeric():
            return col, ~col.is_in([0, 1])
        if dtype == pl.String:
            words = list(field.true_values) + list(field.false_values)
            return col, ~col.str.strip_chars().is_in(words)
        return None, pl.lit(True)
    if kind in ("date", "datetime"):
        if dtype == pl.Date:
            return col, None
        if isinstance(dtype, pl.Datetime):
            return col.dt.date(), None
        if dtype != pl.String:
            return None, pl.lit(True)
        fmt = field.format if field.format and field.format not in ("default", "any") else None
        if fmt is None:
            fmt, _ = best_date_format(data.frame.get_column(field.name))
        if fmt is None:
            return None, pl.lit(True)
        if fmt in DATETIME_FORMATS or kind == "datetime":
            parsed = col.str.strip_chars().str.strptime(pl.Datetime("us"), fmt, strict=False)
            return parsed.dt.date(), parsed.is_null()
        parsed = parse_date_expr(col, fmt)
        return parsed, parsed.is_null()
    return None, None


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None
