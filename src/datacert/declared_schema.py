"""Declared schema: a Frictionless Table Schema (JSON or YAML) that states what the data should be.

Users pass it with `--schema FILE`. Its declared types override semantic inference, its
`minimum`/`maximum` become the limits of `out_of_range`, and its other constraints (required,
unique, enum, pattern, type, lengths) are checked by `schema_violation`. A custom `unit`
property per field selects the unit of a recognised clinical variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datacert.io import InputError, read_settings_file
from datacert.semantics import SemanticType

FIELD_TYPES = {
    "string",
    "number",
    "integer",
    "boolean",
    "date",
    "datetime",
    "time",
    "year",
    "yearmonth",
    "duration",
    "object",
    "array",
    "geopoint",
    "geojson",
    "any",
}
CONSTRAINTS = {
    "required",
    "unique",
    "minimum",
    "maximum",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "jsonSchema",
}
_TYPE_TO_SEMANTIC = {
    "number": SemanticType.CONTINUOUS,
    "integer": SemanticType.COUNT,
    "boolean": SemanticType.BOOLEAN,
    "date": SemanticType.DATE,
    "datetime": SemanticType.DATETIME,
    "year": SemanticType.COUNT,
}


class SchemaFileError(InputError):
    """The declared schema cannot be read or is not a valid Table Schema."""


@dataclass(frozen=True)
class DeclaredField:
    """One field of a Table Schema, with the constraints datacert checks."""

    name: str
    type: str = "any"
    format: str | None = None
    unit: str | None = None
    required: bool = False
    unique: bool = False
    minimum: Any = None
    maximum: Any = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    true_values: tuple[str, ...] = ("true", "True", "TRUE", "1")
    false_values: tuple[str, ...] = ("false", "False", "FALSE", "0")


@dataclass(frozen=True)
class DeclaredSchema:
    """The fields of a declared Table Schema, in declaration order."""

    fields: tuple[DeclaredField, ...]
    primary_key: tuple[str, ...] = ()
    path: str | None = None
    _by_name: Mapping[str, DeclaredField] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> DeclaredField | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def override_types(self, types: Mapping[str, SemanticType]) -> dict[str, SemanticType]:
        """Semantic types with the declared ones in place of what inference guessed."""
        out = dict(types)
        for f in self.fields:
            if f.name not in out:
                continue
            if f.type in _TYPE_TO_SEMANTIC:
                kind = _TYPE_TO_SEMANTIC[f.type]
                if f.type == "integer" and f.enum is not None:
                    kind = SemanticType.INTEGER_CATEGORY
                out[f.name] = kind
            elif f.type == "string" and out[f.name] not in (
                SemanticType.TEXT,
                SemanticType.IDENTIFIER,
                SemanticType.EMPTY,
            ):
                out[f.name] = SemanticType.CATEGORY
        return out


def load_table_schema(path: str | Path) -> DeclaredSchema:
    """Read and validate a Table Schema file (JSON or YAML); raise SchemaFileError with one sentence."""
    path = Path(path)
    raw = read_settings_file(path, SchemaFileError, f"The schema file {path.name!r}")
    return parse_table_schema(raw, source=path.name)


def parse_table_schema(raw: Any, source: str = "schema") -> DeclaredSchema:
    """Validate a Table Schema already read into Python objects."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("fields"), list) or not raw["fields"]:
        raise SchemaFileError(
            f"The schema {source!r} must be a mapping with a non-empty 'fields' list "
            "(Frictionless Table Schema)."
        )
    fields = []
    seen: set[str] = set()
    for i, item in enumerate(raw["fields"]):
        fields.append(_parse_field(item, i, source))
        if fields[-1].name in seen:
            raise SchemaFileError(f"The schema {source!r} declares the field {fields[-1].name!r} twice.")
        seen.add(fields[-1].name)
    key = raw.get("primaryKey") or ()
    key = (key,) if isinstance(key, str) else tuple(key)
    unknown_keys = [k for k in key if k not in seen]
    if unknown_keys:
        raise SchemaFileError(
            f"The schema {source!r} names {unknown_keys[0]!r} in primaryKey, which is not one of its fields."
        )
    return DeclaredSchema(fields=tuple(fields), primary_key=key, path=source)


def _parse_field(item: Any, index: int, source: str) -> DeclaredField:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"]:
        raise SchemaFileError(f"Field {index + 1} of the schema {source!r} needs a 'name' string.")
    name = item["name"]
    kind = str(item.get("type", "any"))
    if kind not in FIELD_TYPES:
        raise SchemaFileError(
            f"Field {name!r} of the schema {source!r} has unknown type {kind!r} "
            f"(expected one of {', '.join(sorted(FIELD_TYPES))})."
        )
    constraints = item.get("constraints") or {}
    if not isinstance(constraints, Mapping):
        raise SchemaFileError(f"The constraints of field {name!r} in {source!r} must be a mapping.")
    unknown = sorted(set(constraints) - CONSTRAINTS)
    if unknown:
        raise SchemaFileError(
            f"Field {name!r} of the schema {source!r} has unknown constraint {unknown[0]!r}."
        )
    for flag in ("required", "unique"):
        if flag in constraints and not isinstance(constraints[flag], bool):
            raise SchemaFileError(
                f"Constraint {flag!r} of field {name!r} in {source!r} must be true or false."
            )
    bounds = {}
    for bound in ("minimum", "maximum"):
        value = constraints.get(bound)
        if value is not None and not _valid_bound(value, kind):
            raise SchemaFileError(
                f"Constraint {bound!r} of field {name!r} in {source!r} must be a number "
                f"(or an ISO date for a date field), not {value!r}."
            )
        bounds[bound] = _bound(value, kind)
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if bound in constraints and bounds[inclusive] is None:
            bounds[inclusive] = _bound(constraints[bound], kind)
    enum = constraints.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise SchemaFileError(f"Constraint 'enum' of field {name!r} in {source!r} must be a non-empty list.")
    pattern = constraints.get("pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise SchemaFileError(
                f"Constraint 'pattern' of field {name!r} in {source!r} is not a valid "
                f"regular expression ({exc})."
            ) from None
    lengths = {}
    for length in ("minLength", "maxLength"):
        value = constraints.get(length)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise SchemaFileError(
                f"Constraint {length!r} of field {name!r} in {source!r} must be a non-negative integer."
            )
        lengths[length] = value
    unit = item.get("unit")
    extra = {}
    if "trueValues" in item:
        extra["true_values"] = tuple(str(v) for v in item["trueValues"])
    if "falseValues" in item:
        extra["false_values"] = tuple(str(v) for v in item["falseValues"])
    return DeclaredField(
        name=name,
        type=kind,
        format=item.get("format") if isinstance(item.get("format"), str) else None,
        unit=str(unit) if unit is not None else None,
        required=bool(constraints.get("required", False)),
        unique=bool(constraints.get("unique", False)),
        minimum=bounds["minimum"],
        maximum=bounds["maximum"],
        enum=tuple(enum) if enum is not None else None,
        pattern=str(pattern) if pattern is not None else None,
        min_length=lengths["minLength"],
        max_length=lengths["maxLength"],
        **extra,
    )


def _valid_bound(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if kind in ("date", "datetime") and isinstance(value, str):
        return bool(re.match(r"^\d{4}-\d{2}-\d{2}", value))
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return hasattr(value, "year")  # YAML reads unquoted ISO dates as date objects


def _bound(value: Any, kind: str) -> Any:
    """Numbers as numbers; date bounds kept as ISO text (compared by schema_violation)."""
    if value is None:
        return None
    if kind in ("date", "datetime"):
        return str(value)[:10] if kind == "date" else str(value)
    if isinstance(value, str):
        return float(value)
    return value
