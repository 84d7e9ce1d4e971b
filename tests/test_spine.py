"""End-to-end behaviour of `datacert check`: certificate contract, determinism, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

import datacert
from datacert.demo import PLANTED, demo_frame, demo_roles


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "datacert", *args], capture_output=True, text=True, cwd=cwd)


def test_api_returns_certificate_with_contract_fields(clean_frame, certificate_validator):
    cert = datacert.check(clean_frame, target="outcome")
    data = json.loads(cert.to_json())
    certificate_validator.validate(data)
    assert data["verdict"] in ("release", "prequalify", "reject")
    assert data["dataset"]["rows"] == 300
    assert data["dataset"]["roles"]["target"] == "outcome"
    assert data["dataset"]["inferred"]["id"]["column"] == "record_id"
    assert list(data) == sorted(data)


def test_clean_table_is_released(clean_frame):
    cert = datacert.check(clean_frame, target="outcome")
    assert [f.check for f in cert.findings if f.severity in ("error", "critical")] == []
    assert cert.verdict == "release"


def test_certificate_is_deterministic_apart_from_run(tmp_path):
    frame = demo_frame()
    frame.write_csv(tmp_path / "demo.csv")
    a = datacert.check(tmp_path / "demo.csv", target="readmission_30j").to_json(include_run=False)
    b = datacert.check(tmp_path / "demo.csv", target="readmission_30j").to_json(include_run=False)
    assert a == b


def test_fingerprint_does_not_depend_on_file_format(tmp_path):
    frame = demo_frame().drop("date_naissance", "date_admission", "date_sortie")
    frame.write_csv(tmp_path / "t.csv")
    frame.write_parquet(tmp_path / "t.parquet")
    a = datacert.check(tmp_path / "t.csv").dataset["fingerprint"]
    b = datacert.check(tmp_path / "t.parquet").dataset["fingerprint"]
    assert a == b


def test_demo_certificate_finds_planted_defects():
    cert = datacert.check(demo_frame(), **demo_roles().to_dict())
    fired = {f.check for f in cert.findings}
    assert {
        "duplicate_rows",
        "constant_columns",
        "missing_values",
        "formula_injection",
        "type_mismatch",
        "empty_rows",
    } <= fired
    dup = next(f for f in cert.findings if f.check == "duplicate_rows")
    assert set(range(10)) <= set(dup.rows) and set(range(590, 600)) <= set(dup.rows)
    assert cert.verdict != "release"


def test_every_planted_demo_defect_is_found_where_it_was_planted():
    cert = datacert.check(demo_frame(), **demo_roles().to_dict())
    for planted in PLANTED:
        for column in planted.columns or (None,):
            assert any(
                (column is None or column in f.columns) and set(planted.rows) <= set(f.rows)
                for f in cert.findings
            ), (planted.description, column)


def test_not_applicable_checks_are_listed_with_reason(clean_frame):
    cert = datacert.check(clean_frame.drop("record_id"))
    statuses = {c["check"]: c for c in cert.checks}
    assert statuses["duplicate_ids"]["status"] == "not_applicable"
    assert "id" in statuses["duplicate_ids"]["reason"]


def test_cli_exit_codes_and_outputs(tmp_path):
    frame = demo_frame()
    src = tmp_path / "demo.csv"
    frame.write_csv(src)
    before = src.read_bytes()
    out_json, out_html = tmp_path / "c.json", tmp_path / "r.html"
    result = run_cli(
        "check", str(src), "--target", "readmission_30j", "--json", str(out_json), "--html", str(out_html)
    )
    assert result.returncode in (3, 4), result.stderr
    cert = json.loads(out_json.read_text())
    assert {"prequalify": 3, "reject": 4}[cert["verdict"]] == result.returncode
    assert out_html.read_text().startswith("<!doctype html>")
    assert src.read_bytes() == before


def test_cli_json_format_prints_certificate(tmp_path, clean_frame):
    src = tmp_path / "clean.parquet"
    clean_frame.write_parquet(src)
    result = run_cli("check", str(src), "--target", "outcome", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "release"


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b'a,b\n1,"unterminated\n2,3\n', "truncated"),
        (b"a,b\n", "no data record"),
    ],
)
def test_cli_unreadable_input_exits_2_and_writes_nothing(tmp_path, content, expected):
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    out = tmp_path / "cert.json"
    result = run_cli("check", str(src), "--json", str(out))
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_unknown_role_column_exits_2(tmp_path, clean_frame):
    src = tmp_path / "clean.csv"
    clean_frame.write_csv(src)
    result = run_cli("check", str(src), "--target", "outcom")
    assert result.returncode == 2
    assert "outcome" in result.stderr


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("datacert ")
    assert "--target" in run_cli("check", "--help").stdout


def test_markdown_and_text_renderers(clean_frame):
    cert = datacert.check(clean_frame, target="outcome")
    assert "**Verdict: release**" in cert.to_markdown()
    assert "RELEASE" in cert.to_text()
    assert pl.DataFrame(clean_frame).height == 300


def test_text_columns_get_quality_facts_in_the_profile():
    cert = datacert.check(demo_frame(), **demo_roles().to_dict())
    facts = cert.profile["text"]["compte_rendu"]
    assert facts["notes"] == 600 and facts["empty_notes"] == 3
    assert facts["languages"]["fr"] > 400


def test_outputs_are_written_atomically_with_usual_permissions(tmp_path):
    from datacert.cli._output import write_atomic

    target = tmp_path / "sub" / "cert.json"
    write_atomic(target, "{}\n")
    write_atomic(target, '{"a": 1}\n')
    assert target.read_text() == '{"a": 1}\n'
    assert target.stat().st_mode & 0o044  # readable by group/others as umask allows, not 0600
    assert [p.name for p in target.parent.iterdir()] == ["cert.json"]  # no temporary file left behind


def test_quiet_checks_still_report_what_they_measured(clean_frame):
    cert = datacert.check(clean_frame, target="outcome")
    entry = next(c for c in cert.checks if c["check"] == "missing_values")
    assert entry["status"] == "quiet" and entry["evidence"]["numerator"] == 0
