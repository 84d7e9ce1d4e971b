"""HTML report: self-contained, small, verdict first, plots drawn, and redact mode shows no record values."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest

import datacert
from datacert.assay import certify, load_dataset
from datacert.certificate import Certificate
from datacert.roles import Roles


@pytest.fixture(scope="module")
def breast_cancer_cert():
    from sklearn.datasets import load_breast_cancer

    frame = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    return datacert.check(frame, target="target")


def test_breast_cancer_report_is_small_self_contained_and_complete(breast_cancer_cert):
    html = breast_cancer_cert.to_html()
    assert len(html.encode()) < 1_000_000
    assert html.startswith("<!doctype html>")
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing fetched from the network
    assert html.index('id="verdict"') < html.index('id="findings"') < html.index('id="plots"')
    for marker in (
        'id="reasons"',
        'id="not-tested"',
        'class="plot scores"',
        'id="missing-rates"',
        'class="map"',
        'id="class-balance"',
        'id="dataset-card"',
        'id="indicators"',
    ):
        assert marker in html, marker
    assert "PCA coloured by target (target)" in html


def test_wide_table_report_is_summarised_under_5_mb():
    rng = np.random.default_rng(0)
    n, p = 300, 20_000
    x = rng.normal(size=(n, p))
    x[rng.random((n, p)) < 0.02] = np.nan
    x[:, :50] = np.where(rng.random((n, 50)) < 0.5, np.nan, x[:, :50])
    frame = pl.from_numpy(x, schema=[f"g{i:05d}" for i in range(p)]).with_columns(
        pl.Series("y", rng.integers(0, 2, n)), pl.Series("site", rng.choice(["A", "B", "C"], n))
    )
    dataset = load_dataset(frame, Roles.build(target="y"))
    cert = certify(dataset, only=["missing_values", "constant_columns", "duplicate_rows"])
    html = cert.to_html()
    assert len(html.encode()) < 5_000_000
    assert html.count('<figure class="map">') == 4  # PCA and t-SNE (HDLSS), by target and by site
    assert "The map shows the 40 most affected columns." in html
    assert html.count('fill="#7a1f5c" fill-opacity') > 100  # NaN cells are drawn as missing
    assert html.count('<tr class="finding"') < 100  # wide data are summarised, never one row per column


def test_redacted_report_shows_no_record_values(clean_frame):
    frame = clean_frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 20).then(pl.lit("ZQXJ")).otherwise(pl.col("sex")).alias("sex"),
        pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit(98765.4321))
        .otherwise(pl.col("weight_kg"))
        .alias("weight_kg"),
    )
    cert = datacert.check(frame, target="outcome", sensitive=["sex"])
    plain, redacted = cert.to_html(), cert.to_html(redact=True)
    assert "ZQXJ" in plain and "9.877e+04" in plain  # the planted values do reach the ordinary report
    for value in ("ZQXJ", "98765", "9.877e+04"):
        assert value not in redacted
    assert "redacted: no record values shown" in redacted
    assert 'id="verdict"' in redacted and "level 1" in redacted


def test_report_from_json_certificate_and_other_formats(breast_cancer_cert):
    again = Certificate.from_json(breast_cancer_cert.to_json())
    assert again.to_html() == breast_cancer_cert.to_html(), "the JSON certificate carries every figure"
    # a certificate written without figure data (figures=False, or an older version) says so
    without = {k: v for k, v in json.loads(breast_cancer_cert.to_json()).items() if k != "figures"}
    html = Certificate.from_dict(without).to_html()
    assert "this report was made from a certificate file" in html
    assert again.verdict in again._repr_html_()
    md = breast_cancer_cert.to_markdown()
    assert f"**Verdict: {breast_cancer_cert.verdict}**" in md


def test_report_command_draws_the_same_report_from_json_alone(breast_cancer_cert, tmp_path):
    from typer.testing import CliRunner

    from datacert.cli import app

    cert = tmp_path / "cert.json"
    cert.write_text(breast_cancer_cert.to_json(), encoding="utf-8")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(cert), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == breast_cancer_cert.to_html()
    assert "<svg" in out.read_text(encoding="utf-8")
    assert not [v for v in vars(breast_cancer_cert).values() if isinstance(v, pl.DataFrame)]
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert CliRunner().invoke(app, ["report", str(tmp_path / "bad.json"), "--html", str(out)]).exit_code == 2
