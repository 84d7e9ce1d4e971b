"""Shared fixtures: small tables the tests generate, and helpers to run one check."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from datacert.checks import load_all_checks, run_checks
from datacert.dataset import build_dataset
from datacert.io import from_object
from datacert.profile import compute_profile
from datacert.roles import Roles

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "certificate.schema.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"

# Audit events of test runs go to a throw-away folder, never beside the repository's files.
os.environ.setdefault("DATACERT_HOME", tempfile.mkdtemp(prefix="datacert-audit-"))


def make_dataset(frame: pl.DataFrame, **roles):
    """A Dataset from a frame with the given roles (role inference on, as in the CLI)."""
    return build_dataset(from_object(frame), Roles.build(**roles))


def run_one(check_id: str, frame: pl.DataFrame, params: dict | None = None, **roles):
    """Run one registered check on a frame; returns its CheckOutcome."""
    data = make_dataset(frame, **roles)
    profile = compute_profile(data.frame, dict(data.semantic_types))
    (outcome,) = run_checks(data, profile, {check_id: params or {}}, only=[check_id])
    return outcome


@pytest.fixture(scope="session")
def registry():
    return load_all_checks()


@pytest.fixture
def clean_frame() -> pl.DataFrame:
    """A clean, realistic little clinical table: no defect any check should fire on."""
    rng = np.random.default_rng(7)
    n = 300
    return pl.DataFrame(
        {
            "record_id": [f"R{i:05d}" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "sex": rng.choice(["F", "M"], n),
            "weight_kg": rng.normal(75, 12, n).round(1),
            "sbp_mmhg": rng.normal(130, 15, n).round(0),
            "glucose_mg_dl": rng.normal(100, 15, n).round(0),
            "site": rng.choice(["A", "B", "C"], n),
            "outcome": rng.integers(0, 2, n),
        }
    )


@pytest.fixture(scope="session")
def certificate_validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)
