"""The energy block: present, deterministic apart from the measured figures kept in `run`."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from datacert.assay import certify, load_dataset
from datacert.audit import energy
from datacert.cli import app
from datacert.roles import Roles


def _noisy_frame(n: int = 240, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    y = (x[:, 0] + rng.normal(scale=0.8, size=n) > 0).astype(int)
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(6)}).with_columns(pl.Series("y", y))
    return pl.concat([frame, frame.head(20)])  # duplicated records: not a release


def test_energy_block_is_deterministic_and_figures_live_in_run():
    frame = _noisy_frame()
    first = certify(
        load_dataset(frame, Roles.build(target="y")), campaign={"configs": 10, "folds": 4, "seeds": 2}
    )
    second = certify(
        load_dataset(frame, Roles.build(target="y")), campaign={"configs": 10, "folds": 4, "seeds": 2}
    )
    assert first.verdict != "release"
    assert first.to_json(include_run=False) == second.to_json(include_run=False)
    block = first.to_dict()["energy"]
    assert (
        block["carbon"]["lifecycle"]["g_co2e_per_kwh"] == 67.4 and block["carbon"]["direct"]["year"] == 2023
    )
    assert block["water"]["generation"]["kind"] == "consumption"
    stake = block["at_stake"]
    assert stake["status"] == "measured" and stake["fits"] == 80 and stake["campaign_source"] == "--campaign"
    assert "N_wasted = 1" in stake["assumption"]
    measured = first.run["energy"]
    assert measured["assay"]["method"] in ("rapl", "tdp") and measured["assay"]["kwh"] > 0
    assert measured["assay"]["g_co2e_lifecycle"] > measured["assay"]["g_co2e_direct"] > 0
    pilot = measured["pilot_fit"]
    expected = 80 * pilot["kwh"] * stake["rows_per_campaign_fit"] / stake["pilot"]["rows"]
    assert measured["at_stake"]["kwh"] == pytest.approx(expected, rel=1e-3)
    assert not any("kwh" in json.dumps(v) for k, v in first.to_dict().items() if k not in ("run", "energy"))


def test_release_has_nothing_at_stake():
    cert = certify(load_dataset(_noisy_frame().head(240), Roles.build(target="y")), only=["duplicate_rows"])
    assert cert.verdict == "release"
    assert cert.to_dict()["energy"]["at_stake"]["status"] == "not_applicable"
    assert "at_stake" not in cert.run["energy"] and cert.run["energy"]["assay"]["seconds"] > 0


def test_the_pipeline_certificates_carry_the_energy_block(pipeline):
    raw = json.loads(pipeline.path("raw.json").read_text())
    assert raw["energy"]["at_stake"]["campaign"] == {"configs": 20, "folds": 5, "seeds": 2}
    assert raw["run"]["energy"]["at_stake"]["kwh"] > 0
    clean = json.loads(pipeline.path("clean.json").read_text())
    assert "energy" in clean and "assay" in clean["run"]["energy"]


def test_campaign_option_is_parsed_and_checked():
    assert energy.parse_campaign("configs=20, seeds=2") == {"configs": 20, "folds": 5, "seeds": 2}
    assert energy.parse_campaign(None) == energy.DEFAULT_CAMPAIGN
    for bad in ("configs=many", "epochs=3", "folds=1"):
        with pytest.raises(energy.CampaignError):
            energy.parse_campaign(bad)
    result = CliRunner().invoke(app, ["check", "--demo", "--campaign", "configs=x"])
    assert result.exit_code == 2


def test_tdp_fallback_uses_the_cpu_table(monkeypatch, tmp_path):
    monkeypatch.setattr(energy, "RAPL_ROOT", tmp_path)  # no counters: the TDP method
    energy.cpu_power.cache_clear()
    monkeypatch.setattr(energy, "_cpu_model_name", lambda: "AMD EPYC 7763 64-Core Processor")
    power = energy.cpu_power()
    assert power["matched"] == "AMD EPYC 7763" and power["watts_per_core"] == pytest.approx(
        280 / 64, rel=1e-3
    )
    with energy.measure() as measured:
        sum(i * i for i in range(300_000))
    assert measured.method == "tdp" and measured.kwh == pytest.approx(
        measured.cpu_seconds * 280 / 64 / 3.6e6, rel=1e-6
    )
    energy.cpu_power.cache_clear()


def test_rapl_counters_are_read_when_present(monkeypatch, tmp_path):
    package = tmp_path / "intel-rapl:0"
    package.mkdir()
    (package / "max_energy_range_uj").write_text("1000000000")
    (package / "energy_uj").write_text("999000000")
    monkeypatch.setattr(energy, "RAPL_ROOT", tmp_path)
    with energy.measure() as measured:
        (package / "energy_uj").write_text("2000000")  # wrapped around: 1 J + 2 J
    assert measured.method == "rapl" and measured.kwh == pytest.approx(3.0 / 3.6e6)


def test_the_pilot_reads_the_reference_fits_costs_and_refits_only_without_them(monkeypatch):
    from dataclasses import replace

    from datacert.artifacts import Artifacts
    from datacert.checks import reference_model

    dataset = load_dataset(_noisy_frame(), Roles.build(target="y"))
    fit = reference_model.reference_fit(dataset)
    assert isinstance(fit, reference_model.ReferenceFit)
    assert len(fit.fit_costs) == fit.n_splits  # every fold of the retained model, measured
    train = Artifacts.of(dataset).get("folds").splits[0][0]
    fits: list[int] = []
    original = reference_model.fit_predict
    monkeypatch.setattr(reference_model, "fit_predict", lambda *a, **k: fits.append(1) or original(*a, **k))
    monkeypatch.setattr(energy, "_rapl_domains", lambda: [])  # the TDP method, as on most machines
    pilot = energy.pilot_fit(dataset)
    assert isinstance(pilot, energy.Pilot) and not fits  # no fit of its own
    assert pilot.repeats == fit.n_splits and pilot.rows == train.size
    rows = sum(n for n, _, _ in fit.fit_costs)
    cpu = sum(c for _, _, c in fit.fit_costs)
    assert pilot.measurement.cpu_seconds == pytest.approx(cpu * train.size / rows)
    watts = energy.cpu_power()["watts_per_core"]
    assert pilot.measurement.method == "tdp"
    assert pilot.measurement.kwh == pytest.approx(pilot.measurement.cpu_seconds * watts / 3.6e6)
    # RAPL counters readable: they cannot be read while checking, so the pilot measures a fit itself
    monkeypatch.setattr(energy, "_rapl_domains", lambda: [(energy.RAPL_ROOT / "none", 1.0)])
    monkeypatch.setattr(energy, "_read_rapl", lambda domains: None)
    counted = energy.pilot_fit(dataset)
    assert isinstance(counted, energy.Pilot) and len(fits) == counted.repeats
    fits.clear()
    monkeypatch.setattr(energy, "_rapl_domains", lambda: [])
    # a reference fit that carries no measurements: the pilot fits the retained model itself
    monkeypatch.setattr(reference_model, "reference_fit", lambda data: replace(fit, fit_costs=()))
    again = energy.pilot_fit(dataset)
    assert isinstance(again, energy.Pilot) and fits and again.repeats == len(fits)
    assert (again.model, again.rows, again.features) == (pilot.model, pilot.rows, pilot.features)
