"""schema_violation: values that break a declared Table Schema."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, clean_twins, planted

from datacert.checks import run_checks
from datacert.dataset import Dataset, build_dataset
from datacert.declared_schema import parse_table_schema
from datacert.findings import Status
from datacert.io import from_object
from datacert.profile import compute_profile

SCHEMA = {
    "fields": [
        {
            "name": "patient",
            "type": "string",
            "constraints": {"required": True, "unique": True, "pattern": "P[0-9]{4}"},
        },
        {"name": "sexe", "type": "string", "constraints": {"enum": ["F", "M"]}},
        {"name": "stade", "type": "integer", "constraints": {"enum": [1, 2, 3, 4]}},
        {"name": "poids", "type": "number", "unit": "kg"},
        {
            "name": "admission",
            "type": "date",
            "constraints": {"minimum": "2024-01-01", "maximum": "2024-12-31"},
        },
        {"name": "code", "type": "string", "constraints": {"minLength": 3, "maxLength": 3}},
    ],
    "primaryKey": "patient",
}


def _frame(n: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(8)
    return pl.DataFrame(
        {
            "patient": [f"P{i:04d}" for i in range(n)],
            "sexe": rng.choice(["F", "M"], n),
            "stade": rng.integers(1, 5, n),
            "poids": [f"{v:.1f}" for v in rng.normal(70, 8, n)],
            "admission": [
                f"2024-{m:02d}-{d:02d}"
                for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 29, n), strict=True)
            ],
            "code": rng.choice(["ABC", "DEF"], n),
        }
    )


def _run(frame: pl.DataFrame, schema=SCHEMA):
    declared = parse_table_schema(schema) if schema is not None else None
    data = build_dataset(from_object(frame), declared_schema=declared)
    profile = compute_profile(data.frame, dict(data.semantic_types))
    (outcome,) = run_checks(data, profile, {}, only=["schema_violation"])
    return outcome


def _put(frame: pl.DataFrame, column: str, row: int, value) -> pl.DataFrame:
    values = frame.get_column(column).to_list()
    values[row] = value
    return frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))


def test_fires_per_constraint_with_right_rows():
    frame = _frame()
    frame = _put(frame, "patient", 2, None)  # required (and primary key)
    frame = _put(frame, "patient", 6, "P0005")  # unique (and primary key)
    frame = _put(frame, "patient", 8, "X-12")  # pattern
    frame = _put(frame, "sexe", 10, "Homme")  # enum
    frame = _put(frame, "stade", 12, 7)  # enum (integers)
    frame = _put(frame, "poids", 14, "lourd")  # type number
    frame = _put(frame, "admission", 16, "2023-05-01")  # date range
    frame = _put(frame, "admission", 18, "pas de date")  # type date
    frame = _put(frame, "code", 20, "ABCD")  # maxLength
    outcome = _run(frame)
    got = {(f.columns, f.evidence["constraint"]): f.rows for f in outcome.findings}
    assert got == {
        (("patient",), "required"): (2,),
        (("patient",), "unique"): (5, 6),
        (("patient",), "pattern"): (8,),
        (("sexe",), "enum"): (10,),
        (("stade",), "enum"): (12,),
        (("poids",), "type"): (14,),
        (("admission",), "range"): (16,),
        (("admission",), "type"): (18,),
        (("code",), "length"): (20,),
        (("patient",), "primaryKey"): (2, 5, 6),
    }
    assert all(f.severity == "error" for f in outcome.findings)


def test_missing_and_undeclared_columns():
    frame = _frame().drop("code").with_columns(pl.lit(1).alias("extra"))
    schema = {**SCHEMA, "fields": SCHEMA["fields"] + [{"name": "must", "constraints": {"required": True}}]}
    outcome = _run(frame, schema)
    got = {(f.columns, str(f.severity)) for f in outcome.findings}
    assert got == {(("code",), "warning"), (("must",), "error"), (("extra",), "info")}


def test_not_applicable_without_a_declared_schema():
    assert _run(_frame(), None).status == Status.NOT_APPLICABLE


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("schema_violation")
def planted_schema_violation() -> Case:
    from datacert.dataset import build_dataset
    from datacert.declared_schema import parse_table_schema
    from datacert.io import from_object

    schema = {"fields": [{"name": "sexe", "type": "string", "constraints": {"enum": ["F", "M"]}}]}
    sexe = ["F", "M"] * 20
    sexe[10] = "Homme"
    frame = pl.DataFrame({"sexe": sexe, "age": list(range(40, 80))})
    return Case(build_dataset(from_object(frame), declared_schema=parse_table_schema(schema)), ("sexe",))


@clean_twins("schema_violation")
def clean_schema_violation() -> tuple[Dataset, ...]:
    from datacert.dataset import build_dataset
    from datacert.declared_schema import parse_table_schema
    from datacert.io import from_object

    return (build_dataset(from_object(_frame()), declared_schema=parse_table_schema(SCHEMA)),)
