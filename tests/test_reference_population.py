"""The intended-population file behind `--reference`: validated, carried to the dataset."""

from __future__ import annotations

import json

import polars as pl
import pytest

from datacert.assay import load_dataset
from datacert.io import InputError
from datacert.reference_population import ReferencePopulationError, load_reference
from datacert.roles import Roles


def test_reads_yaml_and_json_with_levels_as_strings(tmp_path):
    (tmp_path / "ref.yaml").write_text("sex: {F: 0.5, M: 0.5}\ngrade: {1: 0.7, 2: 0.3}\n")
    (tmp_path / "ref.json").write_text(json.dumps({"sex": {"F": 0.51, "M": 0.49}}))
    assert load_reference(tmp_path / "ref.yaml") == {
        "sex": {"F": 0.5, "M": 0.5},
        "grade": {"1": 0.7, "2": 0.3},
    }
    assert load_reference(tmp_path / "ref.json", ["sex"]) == {"sex": {"F": 0.51, "M": 0.49}}


@pytest.mark.parametrize(
    "content, words",
    [
        ({"sex": {"F": 1.2, "M": -0.2}}, "between 0 and 1"),
        ({"sex": {"F": 0.3, "M": 0.3}}, "sum to 0.600"),
        ({"sex": {"F": "half", "M": 0.5}}, "between 0 and 1"),
        ({"sex": [0.5, 0.5]}, "must map its levels"),
        ({"site": {"A": 1.0}}, "not a --sensitive column"),
    ],
)
def test_rejects_bad_references_with_one_sentence(content, words):
    with pytest.raises(ReferencePopulationError, match=words) as info:
        load_reference(content, ["sex"])
    assert isinstance(info.value, InputError)


def test_unreadable_or_malformed_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        load_reference(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("sex: {F: [0.5\n")
    with pytest.raises(InputError, match="not valid YAML/JSON"):
        load_reference(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="must map"):
        load_reference(tmp_path / "list.yaml")


def test_pipeline_carries_the_validated_reference_to_the_dataset():
    frame = pl.DataFrame({"sex": ["F", "M"] * 10, "y": [0, 1] * 10})
    data = load_dataset(frame, Roles.build(sensitive=["sex"]), reference={"sex": {"F": 0.5, "M": 0.5}})
    assert data.reference == {"sex": {"F": 0.5, "M": 0.5}}
    assert load_dataset(frame, Roles.build(sensitive=["sex"])).reference is None
    with pytest.raises(InputError):
        load_dataset(frame, Roles.build(), reference={"sex": {"F": 0.5, "M": 0.5}})


def test_cli_reference_option_reaches_the_checks(tmp_path):
    import subprocess
    import sys

    import numpy as np

    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"sex": ["F"] * 200, "x": rng.normal(size=200)})
    frame.write_csv(tmp_path / "d.csv")
    (tmp_path / "ref.yaml").write_text("sex: {F: 0.5, M: 0.5}\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "datacert",
            "check",
            str(tmp_path / "d.csv"),
            "--sensitive",
            "sex",
            "--reference",
            str(tmp_path / "ref.yaml"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    cert = json.loads(run.stdout)
    critical = [f for f in cert["findings"] if f["check"] == "underrepresented_subgroup"]
    assert (
        critical
        and critical[0]["severity"] == "critical"
        and critical[0]["evidence"]["absent_subgroups"] == ["M"]
    )
    assert run.returncode == 4
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "datacert",
            "check",
            str(tmp_path / "d.csv"),
            "--reference",
            str(tmp_path / "ref.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "not a --sensitive column" in bad.stderr
