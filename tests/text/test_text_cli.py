"""`datacert text deid` and `datacert text normalize` end to end."""

import json

import polars as pl
from typer.testing import CliRunner

from datacert.cli import app

NOTES = [
    "Mme Jeanne DUPONT, née le 12/03/1958, tél. 06 12 34 56 78. HTA.",
    "Revue le 3 mars 2021, Mme DUPONT va bien. TP 78 %.",
    None,
]


def _input(tmp_path):
    path = tmp_path / "notes.csv"
    pl.DataFrame({"pid": ["a", "a", "b"], "note": NOTES}).write_csv(path)
    return path


def test_deid_mask_with_spans(tmp_path):
    path = _input(tmp_path)
    out, spans = tmp_path / "out.csv", tmp_path / "spans.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "text",
            "deid",
            str(path),
            "--column",
            "note",
            "--group",
            "pid",
            "--out",
            str(out),
            "--spans",
            str(spans),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out)
    assert frame.get_column("note")[0] == "Mme [PRENOM] [NOM], née le [DATE_NAISSANCE], tél. [TEL]. HTA."
    records = [json.loads(line) for line in spans.read_text().splitlines()]
    assert {tuple(sorted(r)) for r in records} == {("end", "label", "row", "start")}
    assert {"row": 0, "start": 4, "end": 10, "label": "PRENOM"} in records
    assert "DUPONT" not in spans.read_text() and "DUPONT" not in result.output


def test_deid_pseudonymise_parquet(tmp_path):
    path = _input(tmp_path)
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(
        app,
        [
            "text",
            "deid",
            str(path),
            "--column",
            "note",
            "--group",
            "pid",
            "--out",
            str(out),
            "--mode",
            "pseudonymise",
        ],
    )
    assert result.exit_code == 0, result.output
    notes = pl.read_parquet(out).get_column("note").to_list()
    assert "DUPONT" not in notes[0] and notes[2] is None


def test_normalize(tmp_path):
    path = _input(tmp_path)
    out = tmp_path / "norm.jsonl"
    result = CliRunner().invoke(app, ["text", "normalize", str(path), "--column", "note", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pl.read_ndjson(out).to_dicts()
    assert rows[0]["note_normalized"].endswith("hypertension artérielle.")
    offsets = json.loads(rows[0]["note_offsets"])
    n_start, n_end, o_start, o_end = offsets[0]
    assert NOTES[0][o_start:o_end] == "HTA"
    assert rows[0]["note_normalized"][n_start:n_end] == "hypertension artérielle"
    labs = json.loads(rows[1]["note_labs"])
    assert labs[0]["loinc"] == "5894-1" and labs[0]["value"] == 78.0


def test_bad_input_exits_2(tmp_path):
    path = _input(tmp_path)
    runner = CliRunner()
    for args in (
        ["text", "deid", str(path), "--column", "nope", "--out", str(tmp_path / "o.csv")],
        ["text", "deid", str(tmp_path / "missing.csv"), "--column", "note", "--out", str(tmp_path / "o.csv")],
        ["text", "deid", str(path), "--column", "note", "--out", str(path)],
        ["text", "normalize", str(path), "--column", "pid2", "--out", str(tmp_path / "o.csv")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
    assert not (tmp_path / "o.csv").exists()
