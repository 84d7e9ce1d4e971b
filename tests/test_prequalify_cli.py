"""`datacert prequalify` and `datacert apply` on the command line: outputs, exit codes, refusals."""

from __future__ import annotations

import json

import polars as pl
from tests.test_prequalify_run import cohort
from typer.testing import CliRunner

from datacert.cli import app

runner = CliRunner()


def test_prequalify_writes_outputs_and_exits_with_the_verdict_after(tmp_path):
    source = tmp_path / "cohort.csv"
    cohort().write_csv(source)
    before = source.read_bytes()
    out, plan, cert = tmp_path / "clean.parquet", tmp_path / "plan.json", tmp_path / "cert.json"
    result = runner.invoke(
        app,
        [
            "prequalify",
            str(source),
            "--target",
            "y",
            "--id",
            "record_id",
            "--out",
            str(out),
            "--plan",
            str(plan),
            "--json",
            str(cert),
            "--html",
            str(tmp_path / "r.html"),
            "--budget",
            "5",
        ],
    )
    data = json.loads(cert.read_text())
    assert result.exit_code == {"release": 0, "prequalify": 3, "reject": 4}[data["verdict"]]
    assert "before" in result.stdout and "after" in result.stdout
    assert data["prequalification"]["after"]["verdict"] == data["verdict"]
    html = (tmp_path / "r.html").read_text()
    assert (
        "Pre-qualification: before and after" in html
        and data["prequalification"]["output_fingerprint"] in html
    )
    assert source.read_bytes() == before  # the input is never modified
    clean = pl.read_parquet(out)
    assert clean.height == json.loads(plan.read_text())["output"]["rows"]

    replayed = tmp_path / "replayed.parquet"
    applied = runner.invoke(app, ["apply", str(plan), str(source), "--out", str(replayed)])
    assert applied.exit_code == 0, applied.stdout
    assert pl.read_parquet(replayed).equals(clean)

    cohort().drop("sbp").write_csv(tmp_path / "other.csv")
    refused = runner.invoke(
        app, ["apply", str(plan), str(tmp_path / "other.csv"), "--out", str(tmp_path / "x.parquet")]
    )
    assert refused.exit_code == 2 and "schema" in refused.stderr


def test_bad_input_and_overwrite_are_refused(tmp_path):
    source = tmp_path / "cohort.csv"
    cohort(60).write_csv(source)
    same = runner.invoke(app, ["prequalify", str(source), "--out", str(source)])
    assert same.exit_code == 2 and "inputs are never modified" in same.stderr
    missing = runner.invoke(
        app, ["prequalify", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.parquet")]
    )
    assert missing.exit_code == 2
    bad_role = runner.invoke(
        app, ["prequalify", str(source), "--target", "outcome", "--out", str(tmp_path / "o.parquet")]
    )
    assert bad_role.exit_code == 2 and "not in the table" in bad_role.stderr
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("steps:\n  - action: impute\n    method: magic\n")
    bad_recipe = runner.invoke(
        app, ["prequalify", str(source), "--recipe", str(recipe), "--out", str(tmp_path / "o.parquet")]
    )
    assert bad_recipe.exit_code == 2 and "method must be one of" in bad_recipe.stderr
    assert not (tmp_path / "o.parquet").exists()
    not_plan = runner.invoke(app, ["apply", str(source), str(source), "--out", str(tmp_path / "p.parquet")])
    assert not_plan.exit_code == 2
