"""The JSON Schema of a scoring profile, and one clear sentence for the first thing it refuses.

The schema says what each entry may hold (types, ranges, known names, required entries); it is
generated with the checks of this build, so an indicator or a gate that names an unknown check
is refused by the same rule as a misspelt measure. `schema_problem` turns jsonschema's most
relevant error into a sentence naming the entry, the indicator or gate it sits in, and the
allowed values or range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from datacert.findings import DIMENSIONS

MEASURES = ("row_share", "column_share", "rate", "check_rate", "worst_severity")
GATE_KINDS = ("blocking", "fixable")
ROLE_NAMES = ("target", "id", "group", "time", "split", "sensitive", "text")
SEVERITIES = ("info", "warning", "error", "critical")


def _number(what: str, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number", "description": what}
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


def _names(noun: str, names: Sequence[str]) -> dict[str, Any]:
    return {"enum": list(names), "description": noun}


def _closed(properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def profile_schema(checks: Sequence[str]) -> dict[str, Any]:
    """The Draft 2020-12 schema of a merged profile, for the checks registered in this build."""
    check = _names("check", sorted(checks))
    severity = _names("severity", SEVERITIES)
    indicator_fields: dict[str, Any] = {
        "id": {"type": "string", "description": "id"},
        "check": check,
        "dimension": _names("dimension", DIMENSIONS),
        "measure": _names("measure", MEASURES),
        "good": _number("good anchor"),
        "bad": _number("bad anchor"),
        "weight": _number("weight", 0),
        "min_severity": severity,
        "enabled": {"type": "boolean", "description": "enabled flag"},
    }
    condition = _closed(
        {
            "min_severity": severity,
            "rate_at_least": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "rate_at_least",
            },
            "evidence_at_least": {
                "type": "object",
                "additionalProperties": _number("evidence bar"),
                "description": "evidence_at_least",
            },
            "evidence_absent": {
                "type": "array",
                "items": {"type": "string"},
                "description": "evidence_absent",
            },
        }
    )
    gate = _closed(
        {
            "id": {"type": "string", "description": "id"},
            "kind": _names("kind", GATE_KINDS),
            "checks": {
                "type": "array",
                "items": check,
                "minItems": 1,
                "description": "list of checks it watches",
            },
            "when": {"type": "array", "items": condition, "description": "conditions"},
            "reason": {"type": "string", "pattern": r"\S", "description": "reason sentence"},
            "enabled": {"type": "boolean", "description": "enabled flag"},
        },
        required=("id", "kind", "checks", "reason"),
    )
    indicator = _closed(indicator_fields, required=("id", "check", "measure", "good", "bad"))
    default_indicator = _closed({k: v for k, v in indicator_fields.items() if k not in ("id", "check")})
    share = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "datacert scoring profile",
        **_closed(
            {
                "name": {"type": "string", "minLength": 1, "description": "name"},
                "version": {"type": ["string", "number"], "description": "version"},
                "title": {"type": "string", "description": "title"},
                "description": {"type": "string", "description": "description"},
                "extends": {"type": "string", "description": "extends"},
                "dimensions": {
                    "type": "object",
                    "propertyNames": _names("dimension", DIMENSIONS),
                    "additionalProperties": _number("dimension weight", 0),
                    "description": "dimensions",
                },
                "indicators": {"type": "array", "items": indicator, "description": "indicators"},
                "default_indicator": default_indicator,
                "gates": {"type": "array", "items": gate, "description": "gates"},
                "floors": _closed(
                    {
                        "overall": _number("overall floor", 0, 100),
                        "dimension": _number("dimension floor", 0, 100),
                        "reject_overall": _number("reject_overall floor", 0, 100),
                        "min_coverage_for_overall": _number("min_coverage_for_overall floor", 0, 1),
                        "coverage": {
                            "type": "object",
                            "propertyNames": _names("dimension", DIMENSIONS),
                            "additionalProperties": {**share, "description": "coverage floor"},
                            "description": "coverage floors",
                        },
                    }
                ),
                "required_roles": {
                    "type": "array",
                    "items": _names("role", ROLE_NAMES),
                    "description": "required_roles",
                },
                "bootstrap": _closed(
                    {
                        "replicates": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 10_000,
                            "description": "bootstrap replicates",
                        },
                        "seed": {"type": "integer", "minimum": 0, "description": "bootstrap seed"},
                        "level": _number("bootstrap level", 0.5, 0.999),
                    }
                ),
            }
        ),
    }


def schema_problem(raw: Mapping[str, Any], checks: Sequence[str]) -> str | None:
    """The first problem the profile schema finds in `raw`, as one sentence; None when it conforms."""
    validator = jsonschema.Draft202012Validator(profile_schema(checks))
    error = best_match(validator.iter_errors(raw))
    return None if error is None else _sentence(error, raw)


def _owner(error: ValidationError, raw: Mapping[str, Any]) -> str:
    """'The profile', "The profile's indicator 'x'", "The profile's floors", ...: where the error sits."""
    path = list(error.absolute_path)
    if len(path) >= 2 and path[0] in ("indicators", "gates") and isinstance(path[1], int):
        entry = raw[path[0]][path[1]]
        ident = entry.get("id") if isinstance(entry, Mapping) else None
        return f"The profile's {path[0][:-1]} {ident!r}"
    if path and path[0] in ("floors", "bootstrap", "default_indicator", "dimensions"):
        return f"The profile's {path[0]}"
    return "The profile"


def _listing(values: Sequence[Any]) -> str:
    text = [str(v) for v in values]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " or " + text[-1]


def _of(owner: str, what: str) -> str:
    """ "The profile's overall floor", "The good anchor of the profile's indicator 'x'"."""
    if not owner.startswith(("The profile's indicator", "The profile's gate")):
        return f"The profile's {what}"  # the description names its section ("overall floor")
    return f"The {what} of the {owner.removeprefix('The ')}"


def _sentence(error: ValidationError, raw: Mapping[str, Any]) -> str:
    owner = _owner(error, raw)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    what = schema.get("description") or (str(error.absolute_path[-1]) if error.absolute_path else "entry")
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(schema.get("properties") or {}))
        return f"{owner} has an unknown entry {extra[0]!r}."
    if kind == "required":
        missing = [k for k in schema.get("required", []) if k not in value]
        return f"{owner} lacks its {missing[0]!r} entry."
    if kind == "enum":
        names = schema["enum"]
        if len(names) <= 3:
            return f"{_of(owner, what)} must be {_listing(names)}, not {value!r}."
        shown = ", ".join(map(str, names[:12])) + (", ..." if len(names) > 12 else "")
        return f"{owner} names an unknown {what} {value!r} (known: {shown})."
    if kind in ("minimum", "maximum", "type") and schema.get("type") in (
        "number",
        "integer",
        ["number", "null"],
    ):
        low, high = schema.get("minimum"), schema.get("maximum")
        noun = "a whole number" if schema.get("type") == "integer" else "a number"
        if low is not None and high is not None:
            span = f" between {low:g} and {high:g}"
        elif low is not None:
            span = f" of at least {low:g}"
        else:
            span = ""
        return f"{_of(owner, what)} must be {noun}{span}, not {value!r}."
    if kind == "minItems":
        return f"{owner} must give its {what}."
    if kind == "pattern" or kind == "minLength":
        return f"{owner} needs a non-empty {what}."
    if kind == "type":
        expected = schema.get("type")
        nouns = {"object": "a mapping", "array": "a list", "string": "a text", "boolean": "true or false"}
        kinds = [expected] if isinstance(expected, str) else list(expected or [])
        wanted = " or ".join(nouns.get(k, k) for k in kinds)
        return f"{_of(owner, what)} must be {wanted}, not {value!r}."
    return f"{owner}: {error.message}."
