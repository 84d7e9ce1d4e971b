"""Evidence packs for the demo, a real public table (scikit-learn's breast cancer) and a recorded pipeline."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from datacert.audit.art10 import NOT_COVERED, REQUIREMENTS
from datacert.audit.datasheet import TO_COMPLETE
from datacert.cli import app

ARTICLES = ["10(2)(a)", "10(2)(b)", "10(2)(c)", "10(2)(d)", "10(2)(e)", "10(2)(f)", "10(2)(g)", "10(2)(h)",
            "10(3)", "10(4)", "10(5)"]  # fmt: skip


def _validate_croissant(path) -> None:
    """mlcroissant (test extra) validates the file; it must report no error and no warning."""
    mlc = pytest.importorskip("mlcroissant")
    dataset = mlc.Dataset(jsonld=str(path))
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, (issues.errors, issues.warnings)
    assert dataset.metadata.record_sets[0].fields


def _check_matrix(rows: list[dict]) -> None:
    assert [r["article"] for r in rows] == ARTICLES == [q.article for q in REQUIREMENTS]
    for row in rows:
        assert row["status"] in ("covered", "partial", NOT_COVERED)
        if row["status"] == NOT_COVERED:
            assert row["not_covered_because"], row
        else:
            assert row["evidence"], row  # no row left empty


def test_evidence_pack_for_the_demo(tmp_path):
    from datacert.audit.signing import new_key_pair

    private, public = new_key_pair(tmp_path / "k")
    runner = CliRunner()
    printed = runner.invoke(app, ["check", "--demo", "--format", "json", "--sign", str(private)])
    assert printed.exit_code in (0, 3, 4)
    cert = tmp_path / "demo.json"
    cert.write_text(printed.stdout)  # the certificate printed on standard output is signed too
    assert runner.invoke(app, ["verify", str(cert), "--pub", str(public)]).exit_code == 0
    pack = tmp_path / "pack"
    result = runner.invoke(app, ["evidence", str(cert), "--out", str(pack), "--store", str(tmp_path / "log")])
    assert result.exit_code == 0, result.output
    expected = {"MANIFEST.json", "art10-matrix.json", "art10-matrix.md", "audit-log-excerpt.jsonl",
                "audit-log-verification.txt", "croissant.json", "datasheet.md", "index.html",
                "lineage.prov.json", "lineage.svg", "signatures.json"}  # fmt: skip
    assert expected <= {p.name for p in pack.iterdir()}
    assert (pack / "certificates" / "demo.json").is_file() and (pack / "reports" / "demo.html").is_file()
    rows = json.loads((pack / "art10-matrix.json").read_text())
    _check_matrix(rows)
    status = {r["article"]: r["status"] for r in rows}
    assert status["10(2)(f)"] in ("covered", "partial")  # the demo declares a sensitive attribute (sexe)
    setting = next(r for r in rows if r["article"] == "10(4)")
    shift = next(c for c in setting["checks"] if c["check"] == "distribution_shift")
    if shift["status"] in ("quiet", "fired"):
        assert setting["status"] == "partial" and "distribution shift across `site`" in setting["evidence"][0]
    else:
        assert setting["status"] == NOT_COVERED
    _validate_croissant(pack / "croissant.json")
    croissant = json.loads((pack / "croissant.json").read_text())
    assert (
        croissant["rai:dataCollection"] == TO_COMPLETE
        and "sexe" in croissant["rai:personalSensitiveInformation"]
    )
    sheet = (pack / "datasheet.md").read_text()
    assert (
        "## Motivation" in sheet
        and "## Maintenance" in sheet
        and TO_COMPLETE in sheet
        and "*measured" in sheet
    )
    html = (pack / "index.html").read_text()
    assert "@media print" in html and "art. 10" in html and "<svg" in html and "at stake" in html
    assert json.loads((pack / "signatures.json").read_text())[0]["valid"] is True
    manifest = json.loads((pack / "MANIFEST.json").read_text())
    assert set(manifest["files"]) >= {"croissant.json", "index.html", "certificates/demo.json"}
    demo_values = ("Martin", "Dupont")  # surnames the demo's notes may hold never reach the pack's log part
    assert not any(v in (pack / "audit-log-excerpt.jsonl").read_text() for v in demo_values)


def test_evidence_pack_for_a_real_public_table_as_a_zip(tmp_path):
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    data = tmp_path / "breast_cancer.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "bc-pack.zip"
    result = CliRunner().invoke(
        app,
        ["evidence", str(data), "--out", str(out), "--target", "target", "--store", str(tmp_path / "log")],
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "bc-pack/croissant.json" in names and "bc-pack/index.html" in names
        rows = json.loads(archive.read("bc-pack/art10-matrix.json"))
        (tmp_path / "croissant.json").write_bytes(archive.read("bc-pack/croissant.json"))
        certificate = json.loads(archive.read("bc-pack/certificates/breast_cancer.json"))
    _check_matrix(rows)
    assert {r["article"]: r["status"] for r in rows}["10(2)(f)"] == NOT_COVERED  # no sensitive attribute
    _validate_croissant(tmp_path / "croissant.json")
    croissant = json.loads((tmp_path / "croissant.json").read_text())
    assert len(croissant["recordSet"][0]["field"]) == 31
    assert croissant["distribution"][0]["sha256"] and certificate["dataset"]["rows"] == 569


def test_evidence_pack_of_a_recorded_pipeline_is_signed_and_traced(pipeline, tmp_path):
    runner = CliRunner()
    pack = tmp_path / "pack"
    result = runner.invoke(
        app,
        ["evidence", str(pipeline.path("batch.json")), "--out", str(pack),
         "--store", str(pipeline.path(".datacert")), "--sign", str(pipeline.private_key)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    excerpt = [json.loads(line) for line in (pack / "audit-log-excerpt.jsonl").read_text().splitlines()]
    assert [e["command"] for e in excerpt] == ["prequalify", "apply", "check"]
    assert "intact" in (pack / "audit-log-verification.txt").read_text()
    included = {p.name for p in (pack / "certificates").iterdir()}
    assert {"batch.json", "002-plan.json", "002-clean.json"} <= included
    signatures = {s["document"]: s for s in json.loads((pack / "signatures.json").read_text())}
    assert (
        signatures["certificates/002-clean.json"]["valid"]
        and not signatures["certificates/batch.json"]["signed"]
    )
    rows = json.loads((pack / "art10-matrix.json").read_text())
    _check_matrix(rows)
    preparation = next(r for r in rows if r["article"] == "10(2)(c)")
    assert any("prequalify" in e for e in preparation["evidence"])
    verified = runner.invoke(app, ["verify", str(pack / "MANIFEST.json"), "--pub", str(pipeline.public_key)])
    assert verified.exit_code == 0, verified.output
    prov = json.loads((pack / "lineage.prov.json").read_text())
    assert [e["prov:label"] for e in prov["entity"].values() if e.get("dc:role") == "raw"] == ["raw.csv"]
