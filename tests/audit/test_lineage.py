"""Lineage: a derived table's certificate leads back to the raw file, as PROV-JSON and SVG."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from datacert.cli import app


def test_certificates_state_their_own_lineage(pipeline):
    clean = json.loads(pipeline.path("clean.json").read_text())
    assert clean["lineage"]["steps"][0]["command"] == "prequalify"
    assert clean["lineage"]["source"]["fingerprint"] == clean["prequalification"]["input_fingerprint"]
    assert clean["lineage"]["table"] == clean["dataset"]["fingerprint"]
    actions = [o["action"] for o in clean["lineage"]["steps"][0]["operations"]]
    assert actions[:1] == ["deduplicate"] and "impute" in actions
    raw = json.loads(pipeline.path("raw.json").read_text())
    assert raw["lineage"] == {"source": {"fingerprint": raw["dataset"]["fingerprint"], "path": "raw.csv"},
                              "steps": [], "table": raw["dataset"]["fingerprint"]}  # fmt: skip


def test_lineage_from_a_derived_table_back_to_the_raw_file(pipeline, tmp_path):
    runner = CliRunner()
    batch = str(pipeline.path("batch.json"))
    store = ["--store", str(pipeline.path(".datacert"))]
    text = runner.invoke(app, ["lineage", batch, *store])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith("raw.csv (raw file") and "apply" in text.output and "check" in lines[-2]

    prov = runner.invoke(app, ["lineage", batch, "--format", "prov-json", *store])
    document = json.loads(prov.output)
    assert {"entity", "activity", "agent", "used", "wasGeneratedBy", "wasDerivedFrom"} <= set(document)
    raw_entities = [e for e in document["entity"].values() if e.get("dc:role") == "raw"]
    assert [e["prov:label"] for e in raw_entities] == ["raw.csv"]
    labels = sorted(a["prov:label"] for a in document["activity"].values())
    assert labels == ["datacert apply", "datacert check", "datacert prequalify"]

    out = tmp_path / "lineage.svg"
    assert runner.invoke(app, ["lineage", batch, "--format", "svg", "--out", str(out), *store]).exit_code == 0
    svg = out.read_text()
    assert svg.startswith("<svg") and "raw.csv" in svg and "datacert apply" in svg

    from prov.model import ProvDocument

    ProvDocument.deserialize(content=prov.output, format="json")  # the prov package reads it back


def test_lineage_without_a_log_uses_the_certificate(pipeline, tmp_path):
    lonely = tmp_path / "clean.json"
    lonely.write_bytes(pipeline.path("clean.json").read_bytes())
    result = CliRunner().invoke(app, ["lineage", str(lonely), "--store", str(tmp_path / "none")])
    assert (
        result.exit_code == 0
        and "datacert prequalify" in result.output
        and "no recorded event" in result.output
    )


def test_compare_and_report_link_each_certificate_to_its_lineage(pipeline):
    result = CliRunner().invoke(
        app,
        ["compare", str(pipeline.path("clean.json")), str(pipeline.path("batch.json")), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    sides = json.loads(result.output)
    assert (
        sides["a"]["lineage"].startswith("raw.csv sha256:")
        and "prequalify (deduplicate" in sides["a"]["lineage"]
    )
    assert "checked as received" in sides["b"]["lineage"]
    report = pipeline.path("clean.html").read_text()
    assert 'id="lineage"' in report and "datacert prequalify" in report
    assert 'id="energy"' in report and "this assay" in report
