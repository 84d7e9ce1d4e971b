"""`datacert compare`: scores with intervals, verdicts, findings diff, and per-column shift with BH FDR."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from datacert.compare import compare, distribution_shift
from datacert.roles import Roles


def _tables(n: int = 300):
    rng = np.random.default_rng(1)
    a = pl.DataFrame(
        {
            "age": rng.normal(60, 10, n),
            "crp": rng.lognormal(1, 1, n),
            "sex": rng.choice(["F", "M"], n),
            "y": rng.integers(0, 2, n),
        }
    )
    b = pl.DataFrame(
        {
            "age": rng.normal(66, 10, n),
            "crp": rng.lognormal(1, 1, n),
            "sex": rng.choice(["F", "M"], n, p=[0.8, 0.2]),
            "y": rng.integers(0, 2, n),
        }
    )
    return a, pl.concat([b, b.head(15)])


def test_shift_flags_only_the_planted_columns():
    a, b = _tables()
    shift = distribution_shift(a, b)
    by = {r["column"]: r for r in shift["columns"]}
    assert {c for c, r in by.items() if r["shifted"]} == {"age", "sex"}
    assert by["age"]["test"] == "ks" and by["age"]["smd"] < -0.3  # B is older: A - B < 0
    assert by["sex"]["test"] == "chi2" and by["sex"]["smd"] > 0.3
    assert not by["crp"]["shifted"] and not by["y"]["shifted"]
    for r in shift["columns"]:
        assert r["q_value"] >= r["p_value"] - 1e-15  # BH adjusts upwards
    same = distribution_shift(a, a)
    assert same["shifted"] == 0


def test_compare_tables_reports_scores_verdicts_findings_and_shift(tmp_path):
    a, b = _tables()
    a.write_csv(tmp_path / "a.csv")
    b.write_csv(tmp_path / "b.csv")
    result = compare(tmp_path / "a.csv", tmp_path / "b.csv", Roles.build(target="y"))
    data = result.to_dict()
    assert data["a"]["name"] == "a.csv" and data["b"]["verdict"] in ("prequalify", "reject")
    assert {x["check"] for x in data["findings"]["only_in_b"]} >= {"duplicate_rows"}
    uniq = next(r for r in data["scores"] if r["dimension"] == "uniqueness")
    assert uniq["b"] < uniq["a"] and uniq["separated"] is True
    assert data["shift"]["shifted"] == 2
    html = result.to_html()
    assert html.startswith("<!doctype html>") and 'id="shift"' in html and "<svg" in html
    assert "duplicate_rows" in result.to_text() and "| uniqueness |" in result.to_markdown()
    assert json.loads(result.to_json()) == json.loads(result.to_json())


def test_cli_compare_certificates(tmp_path):
    import datacert

    a, b = _tables(120)
    for name, frame in (("a", a), ("b", b)):
        (tmp_path / f"{name}.json").write_text(datacert.check(frame, target="y").to_json())
    out = tmp_path / "cmp.html"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "datacert",
            "compare",
            str(tmp_path / "a.json"),
            str(tmp_path / "b.json"),
            "--format",
            "json",
            "--html",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["shift"] is None
    assert any("needs both tables" in n for n in data["notes"])
    assert data["a"]["name"] == "a.json" and out.read_text().count("<tr>") > 10


@pytest.mark.parametrize("missing", ["nope.csv"])
def test_cli_compare_bad_input_exits_2(tmp_path, missing):
    run = subprocess.run(
        [sys.executable, "-m", "datacert", "compare", str(tmp_path / missing), str(tmp_path / missing)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "does not exist" in run.stderr
