"""The synth certificate's contract: shape and schema, determinism, missing holdout, CLI, profile."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import numpy as np
import polars as pl
import pytest
from tests.synth._synth_planted import copies, diabetes, good
from typer.testing import CliRunner

import datacert
from datacert.cli import app
from datacert.scoring import ProfileError
from datacert.synth import load_synth_profile
from datacert.synth._neighbours import nearest, nearest_other
from datacert.synth.attacks import _risk

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "synth-certificate.schema.json").read_text())


@lru_cache(maxsize=1)
def table():
    return diabetes()


@lru_cache(maxsize=1)
def good_synthetic() -> pl.DataFrame:
    return good(table())


def test_without_holdout_it_says_what_cannot_be_computed_and_never_releases() -> None:
    t = table()
    cert = datacert.synth(t.train, good_synthetic(), target="target")
    assert cert.verdict == "prequalify"
    for ident in ("tstr_ratio", "membership_auc_distance", "dcr_closer_than_holdout", "singling_out_risk"):
        assert "holdout" in cert.extra["not_computable"][ident]
    assert any("could not be computed" in r for r in cert.reasons)
    assert any(s["action"] == "supply_evidence" for s in cert.remedies)
    # copies are still measured: they need no holdout
    assert cert.extra["not_computable"].get("exact_copy_excess") is None
    assert set(cert.extra["tables"]) == {"real", "synthetic"}


def test_certificate_is_schema_valid_and_deterministic() -> None:
    t = table()
    first = datacert.synth(t.train, good_synthetic(), holdout=t.holdout, target="target")
    second = datacert.synth(t.train, good_synthetic(), holdout=t.holdout, target="target")
    assert first.to_json(include_run=False) == second.to_json(include_run=False)
    data = json.loads(first.to_json())
    jsonschema.validate(data, SCHEMA)
    assert set(data["tables"]) == {"real", "synthetic", "holdout"}
    assert len({v["fingerprint"] for v in data["tables"].values()}) == 3
    assert data["verdict"] == "release" and first.exit_code == 0
    html = first.to_html()
    assert 'id="verdict"' in html and "RELEASE" in html and "<svg" in html
    assert "Distance to closest record" in html and "evidence of risk, not proof of anonymity" in html
    assert "| privacy |" in first.to_markdown()


def test_cli_rejects_copies_with_exit_4_and_writes_outputs(tmp_path: Path) -> None:
    t = table()
    real, hold, synth = tmp_path / "real.csv", tmp_path / "holdout.csv", tmp_path / "synthetic.csv"
    t.train.write_csv(real)
    t.holdout.write_csv(hold)
    copies(t).write_csv(synth)
    out_json, out_html = tmp_path / "c.json", tmp_path / "c.html"
    args = ["synth", str(real), str(synth), "--holdout", str(hold), "--target", "target"]
    result = CliRunner().invoke(
        app, [*args, "--json", str(out_json), "--html", str(out_html), "--format", "md"]
    )
    assert result.exit_code == 4, result.output
    assert "REJECT" in result.output
    data = json.loads(out_json.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["tables"]["real"]["path"] == "real.csv"
    assert "REJECT" in out_html.read_text()
    assert CliRunner().invoke(app, [*args, "--fail-on", "reject"]).exit_code == 4


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    t = table()
    real, synth = tmp_path / "real.csv", tmp_path / "synthetic.csv"
    t.train.write_csv(real)
    t.train.drop("bmi").write_csv(synth)
    result = CliRunner().invoke(app, ["synth", str(real), str(synth)])
    assert result.exit_code == 2
    assert "lacks 1 column" in result.output
    result = CliRunner().invoke(app, ["synth", str(real), str(tmp_path / "absent.csv")])
    assert result.exit_code == 2


def test_profile_is_versioned_and_a_policy_extends_it(tmp_path: Path) -> None:
    base = load_synth_profile()
    assert base.name == "synthetic_training_data" and base.version == "1.0.0"
    assert {g.id for g in base.gates if g.kind == "blocking"} >= {
        "copies_of_real_patients",
        "membership_inference",
    }
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: site\ngates:\n  - {id: membership_inference, above: 0.55}\n", encoding="utf-8")
    custom = load_synth_profile(policy)
    assert next(g for g in custom.gates if g.id == "membership_inference").above == 0.55
    assert custom.lineage[-1] == "site@custom"
    with pytest.raises(ProfileError, match="unknown metric"):
        load_synth_profile(
            {"gates": [{"id": "x", "kind": "blocking", "metric": "nope", "above": 1, "reason": "r"}]}
        )
    with pytest.raises(ProfileError, match="exactly one"):
        load_synth_profile({"gates": [{"id": "x", "kind": "fixable", "metric": "pmse_ratio", "reason": "r"}]})


def test_blocked_neighbours_match_a_brute_force_search() -> None:
    rng = np.random.default_rng(3)
    reference, queries = (
        rng.normal(size=(400, 20)).astype(np.float32),
        rng.normal(size=(50, 20)).astype(np.float32),
    )
    d, p = nearest(reference, queries, 2)
    full = np.sqrt(((queries[:, None, :].astype(float) - reference[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(d[:, 0], full.min(axis=1), rtol=1e-4)
    np.testing.assert_array_equal(p[:, 0], full.argmin(axis=1))
    twin = np.vstack([reference, reference[:1]])
    other = nearest_other(twin, np.array([0, 1]), 1)[:, 0]
    assert other[0] == 0.0 and other[1] > 0  # an exact twin is at distance 0, the row itself is skipped


def test_attack_risk_follows_the_anonymeter_formula() -> None:
    m = _risk("singling_out_risk", 60, 20, 200, {})
    assert m.value == pytest.approx((0.30 - 0.10) / 0.90)
    assert m.interval[0] < m.value < m.interval[1]
    assert _risk("linkability_risk", 10, 20, 200, {}).value == 0.0
