"""Contract tests run over every registered check (like scikit-learn's common tests)."""

from __future__ import annotations

import re

import polars as pl
import pytest
from tests.conftest import SHARED, make_dataset

from datacert.checks import load_all_checks, run_checks
from datacert.findings import DIMENSIONS
from datacert.profile import compute_profile

REGISTRY = load_all_checks()


def contract_catalogue() -> dict[str, str]:
    spec = (SHARED / "spec" / "certificate.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([a-z_]+) \|", spec, flags=re.MULTILINE))


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_check_identity_and_docstring(check_id):
    cls = REGISTRY[check_id]
    assert cls.dimension in DIMENSIONS
    catalogue = contract_catalogue()
    if check_id in catalogue:
        assert catalogue[check_id] == cls.dimension, "the contract fixes each check's dimension"
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
