"""Declared Table Schema: loading and validation, type override, --schema on the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

import datacert
from datacert.dataset import build_dataset
from datacert.declared_schema import SchemaFileError, load_table_schema, parse_table_schema
from datacert.io import InputError, from_object
from datacert.semantics import SemanticType


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_json_and_yaml(tmp_path):
    body = {
        "fields": [
            {
                "name": "age",
                "type": "integer",
                "unit": "years",
                "constraints": {"minimum": 0, "maximum": 120, "required": True},
            },
            {"name": "sexe", "type": "string", "constraints": {"enum": ["F", "M"]}},
            {"name": "entree", "type": "date", "format": "%d/%m/%Y"},
        ],
        "primaryKey": ["age"],
    }
    from_json = load_table_schema(_write(tmp_path, "s.json", json.dumps(body)))
    from_yaml = load_table_schema(
        _write(
            tmp_path,
            "s.yaml",
            "fields:\n"
            "  - {name: age, type: integer, unit: years,\n"
            "     constraints: {minimum: 0, maximum: 120, required: true}}\n"
            "  - {name: sexe, type: string, constraints: {enum: [F, M]}}\n"
            "  - {name: entree, type: date, format: '%d/%m/%Y'}\n"
            "primaryKey: [age]\n",
        )
    )
    assert from_json.fields == from_yaml.fields and from_json.primary_key == from_yaml.primary_key
    age = from_json.field("age")
    assert (age.type, age.unit, age.minimum, age.maximum, age.required) == ("integer", "years", 0, 120, True)
    assert from_json.field("sexe").enum == ("F", "M")
    assert from_json.primary_key == ("age",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{}", "non-empty 'fields'"),
        ('{"fields": [{"type": "number"}]}', "needs a 'name'"),
        ('{"fields": [{"name": "a", "type": "float"}]}', "unknown type 'float'"),
        ('{"fields": [{"name": "a", "constraints": {"minimun": 1}}]}', "unknown constraint 'minimun'"),
        ('{"fields": [{"name": "a", "constraints": {"pattern": "("}}]}', "not a valid regular expression"),
        ('{"fields": [{"name": "a", "constraints": {"maximum": "lots"}}]}', "must be a number"),
        ('{"fields": [{"name": "a"}, {"name": "a"}]}', "twice"),
        ('{"fields": [{"name": "a"}], "primaryKey": "b"}', "primaryKey"),
        ('{"fields": [', "not valid JSON"),
    ],
)
def test_invalid_schemas_raise_one_clear_sentence(tmp_path, text, words):
    with pytest.raises(SchemaFileError) as caught:
        load_table_schema(_write(tmp_path, "bad.json", text))
    assert isinstance(caught.value, InputError)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_table_schema(tmp_path / "nope.yaml")


def test_declared_types_override_inference():
    frame = pl.DataFrame(
        {"code": [1, 2, 3, 1] * 10, "flag": ["1", "0", "1", "0"] * 10, "free": ["a", "b"] * 20}
    )
    schema = parse_table_schema(
        {
            "fields": [
                {"name": "code", "type": "string"},
                {"name": "flag", "type": "boolean"},
                {"name": "free", "type": "number"},
            ]
        }
    )
    plain = build_dataset(from_object(frame))
    declared = build_dataset(from_object(frame), declared_schema=schema)
    assert plain.semantic_types["code"] == SemanticType.INTEGER_CATEGORY
    assert declared.semantic_types["code"] == SemanticType.CATEGORY
    assert declared.semantic_types["flag"] == SemanticType.BOOLEAN
    assert declared.semantic_types["free"] == SemanticType.CONTINUOUS
    assert declared.declared_schema is schema


def test_api_schema_limits_reach_out_of_range(clean_frame):
    schema = {"fields": [{"name": "age", "type": "integer", "constraints": {"maximum": 60}}]}
    certificate = datacert.check(clean_frame, target="outcome", schema=schema)
    ages = [f for f in certificate.findings if f.check == "out_of_range" and f.columns == ("age",)]
    assert ages and ages[0].evidence["limit_kind"] == "declared"
    expected = clean_frame.with_row_index().filter(pl.col("age") > 60).get_column("index").to_list()
    assert list(ages[0].rows) == expected


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "datacert", *args], capture_output=True, text=True)


def test_cli_schema_option(tmp_path, clean_frame):
    data = tmp_path / "d.csv"
    clean_frame.write_csv(data)
    good = _write(
        tmp_path,
        "s.json",
        json.dumps({"fields": [{"name": "site", "type": "string", "constraints": {"enum": ["A", "B"]}}]}),
    )
    out = tmp_path / "c.json"
    run = _cli("check", str(data), "--target", "outcome", "--schema", str(good), "--json", str(out))
    assert run.returncode in (0, 3, 4), run.stderr
    findings = json.loads(out.read_text())["findings"]
    assert any(f["check"] == "schema_violation" and f["columns"] == ["site"] for f in findings)
    bad = _write(tmp_path, "bad.json", '{"fields": []}')
    run = _cli("check", str(data), "--schema", str(bad))
    assert run.returncode == 2
    assert "fields" in run.stderr
