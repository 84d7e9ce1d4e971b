"""Contract tests run over every registered check (like scikit-learn's common tests)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import SHARED, make_dataset

from datacert.checks import Check, ParameterError, catalogue, load_all_checks, run_checks
from datacert.cli._catalogue import render_catalogue
from datacert.findings import DIMENSIONS
from datacert.policy import PolicyError, load_policy
from datacert.prequalification._steps import ROW_STEP_TYPES, STEP_TYPES
from datacert.profile import compute_profile

REGISTRY = load_all_checks()
CONTRACT = SHARED / "spec" / "certificate.md"
COMMITTED_CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "checks.csv"


def contract_catalogue() -> dict[str, str]:
    """The contract's check table, or a skip on a bare clone (../shared is not part of the repository)."""
    if not CONTRACT.is_file():
        pytest.skip(f"the contract {CONTRACT} is not beside this clone")
    spec = CONTRACT.read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([a-z_]+) \|", spec, flags=re.MULTILINE))


def committed_catalogue() -> dict[str, dict[str, str]]:
    with COMMITTED_CATALOGUE.open(encoding="utf-8", newline="") as handle:
        return {row["check"]: row for row in csv.DictReader(handle)}


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_check_identity_and_docstring(check_id):
    cls = REGISTRY[check_id]
    assert cls.dimension in DIMENSIONS
    committed = committed_catalogue()
    if check_id in committed:
        assert committed[check_id]["dimension"] == cls.dimension, "a catalogued check keeps its dimension"
    doc = cls.__doc__ or ""
    assert doc.strip(), f"{check_id} needs a docstring saying what it finds"
    assert "Notes" in doc, f"{check_id} docstring needs a Notes section saying why"


def test_catalogue_ids_are_never_renamed():
    """Every registered id outside the contract's catalogue is an extension, never a renamed contract id."""
    catalogue = contract_catalogue()
    assert len(catalogue) >= 37
    for check_id in REGISTRY:
        if check_id not in catalogue:
            assert not any(check_id.replace("_", "") == c.replace("_", "") for c in catalogue)


def test_every_check_is_deterministic_and_does_not_mutate(clean_frame, monkeypatch):
    data = make_dataset(clean_frame, target="outcome", sensitive=["sex"])
    profile = compute_profile(data.frame, dict(data.semantic_types))
    before = data.frame.clone()
    stats_before = profile.columns.clone()

    def no_files(*args, **kwargs):
        raise AssertionError("checks must not open files")

    monkeypatch.setattr("builtins.open", no_files)
    first = run_checks(data, profile)
    second = run_checks(data, profile)
    monkeypatch.undo()
    assert [o.status for o in first] == [o.status for o in second]
    assert [[f.to_dict() for f in o.findings] for o in first] == [
        [f.to_dict() for f in o.findings] for o in second
    ]
    assert data.frame.equals(before) and profile.columns.equals(stats_before)
    crashed = [(o.check, o.reason) for o in first if o.status == "error"]
    assert crashed == []


def test_no_check_crashes_on_a_small_odd_table():
    frame = pl.DataFrame({"a": [1, None, 3], "b": ["x", "y", None], "c": [None, None, None]})
    data = make_dataset(frame)
    outcomes = run_checks(data, compute_profile(data.frame, dict(data.semantic_types)))
    assert [(o.check, o.reason) for o in outcomes if o.status == "error"] == []


def test_committed_catalogue_is_the_registry():
    """docs/checks.csv is `datacert checks --format csv`: a catalogued id is never renamed or moved."""
    committed = committed_catalogue()
    generated = {r["check"]: r for r in csv.DictReader(render_catalogue(catalogue(), "csv").splitlines())}
    assert set(committed) <= set(generated), "a catalogued check disappeared from the registry"
    for check_id, row in committed.items():
        assert (row["dimension"], row["kahn"]) == (
            generated[check_id]["dimension"],
            generated[check_id]["kahn"],
        ), check_id


def test_committed_catalogue_matches_the_contract():
    contract = contract_catalogue()
    committed = committed_catalogue()
    assert len(contract) >= 37
    for check_id, dimension in contract.items():
        assert check_id in committed, f"the contract's check {check_id!r} is not in docs/checks.csv"
        assert committed[check_id]["dimension"] == dimension, check_id


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_automatic_remedies_have_a_correction_hook(check_id):
    """A certificate says automatic only for what prequalify applies: a hook that builds known steps."""
    cls = REGISTRY[check_id]
    if cls.remedy.automatic:
        assert cls.has_correction(), f"{check_id}: automatic remedy {cls.remedy.action!r} without a hook"
        step = cls.remedy.step or cls.remedy.action
        assert step in STEP_TYPES or step in ROW_STEP_TYPES, f"{check_id}: no pre-qualification step {step!r}"
    assert 0 <= cls.remedy.order <= 99


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_parameters_are_typed_and_validated(check_id):
    cls = REGISTRY[check_id]
    assert cls.resolve_params(None) == cls.defaults()
    for p in cls.params:
        assert p.meaning.strip(), f"{check_id}.{p.name} needs a one-line meaning"
        with pytest.raises(ParameterError, match=rf"check {check_id!r} parameter {p.name!r} must be"):
            cls.resolve_params({p.name: object()})
        if p.high is not None:
            with pytest.raises(ParameterError, match=re.escape(p.allowed())):
                cls.resolve_params({p.name: p.high + 1})
        if p.low is not None:
            with pytest.raises(ParameterError):
                cls.resolve_params({p.name: p.low - 1})
    with pytest.raises(ParameterError, match="unknown parameter"):
        cls.resolve_params({"no_such_parameter": 1})


def test_a_policy_with_a_badly_typed_parameter_is_refused_when_loaded():
    with pytest.raises(
        PolicyError, match=r"'missing_values' parameter 'warning_rate' must be a number between 0"
    ):
        load_policy({"checks": {"missing_values": {"warning_rate": "ten"}}})
    with pytest.raises(PolicyError, match=r"'enabled' must be true or false"):
        load_policy({"checks": {"missing_values": {"enabled": "no"}}})
    policy = load_policy({"checks": {"missing_values": {"warning_rate": 0.1}, "temporal_inconsistency": {}}})
    assert policy.check_params["missing_values"] == {"warning_rate": 0.1}


def test_registration_refuses_an_automatic_remedy_without_a_hook():
    from datacert.checks import Remedy
    from datacert.checks._base import validate_check_class

    class Loose(Check):
        """Finds nothing.

        Notes
        -----
        A test double.
        """

        id = "loose_check"
        dimension = "completeness"
        remedy = Remedy("impute", 80, automatic=True)

    with pytest.raises(ValueError, match="correction"):
        validate_check_class(Loose)
