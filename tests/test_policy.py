"""Policy files: per-check parameters, a user's own scoring profile, clear one-sentence errors."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

import datacert
from datacert.policy import PolicyError, load_policy


def test_checks_part_still_overrides_parameters(clean_frame):
    frame = clean_frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 30).then(None).otherwise(pl.col("sbp_mmhg")).alias("sbp_mmhg")
    )  # 10 % missing: a warning by default
    default = datacert.check(frame, target="outcome")
    tuned = datacert.check(
        frame, target="outcome", policy={"checks": {"missing_values": {"warning_rate": 0.2}}}
    )
    sev = lambda c: {f.severity for f in c.findings if f.check == "missing_values"}  # noqa: E731
    assert "warning" in sev(default) and sev(tuned) == {"info"}


def test_policy_extends_a_profile_and_is_recorded(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(
        "name: site\nversion: '3'\nprofile: omics_biomarker\nfail_on: reject\n"
        "dimensions: {privacy: 4}\n"
        "indicators:\n  - {id: label_noise_rate, good: 0.0, bad: 0.1}\n"
        "floors: {overall: 90}\n"
    )
    policy = load_policy(path)
    assert policy.fail_on == "reject"
    profile = policy.scoring
    assert profile.name == "site" and profile.version == "3"
    assert profile.identity()["lineage"] == ["default@1.0.0", "omics_biomarker@1.0.0", "site@3"]
    assert profile.dimensions["privacy"] == 4 and profile.dimensions["informativeness"] == 2
    noise = next(i for i in profile.indicators if i.id == "label_noise_rate")
    assert (noise.good, noise.bad, noise.weight) == (0.0, 0.1, 2)
    assert profile.floors.overall == 90
    # --profile wins over the policy's own base
    assert (
        load_policy(path, profile="regression_prognosis")
        .scoring.lineage[1]
        .startswith("regression_prognosis")
    )


def test_policy_gate_decides(clean_frame):
    frame = clean_frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 2)
        .then(pl.lit('=HYPERLINK("x")'))
        .otherwise(pl.col("sex"))
        .alias("sex")
    )
    policy = {
        "gates": [
            {
                "id": "formula_injection",
                "kind": "blocking",
                "checks": ["formula_injection"],
                "when": [{"min_severity": "info"}],
                "reason": "Formulas are never accepted in this enclave.",
            }
        ]
    }
    cert = datacert.check(frame, target="outcome", policy=policy)
    assert cert.verdict == "reject"
    assert "Formulas are never accepted in this enclave." in cert.reasons
    assert cert.to_dict()["scoring_profile"]["version"] == "custom"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ({"colour": "red"}, "unknown entry 'colour'"),
        ({"dimensions": {"beauty": 1}}, "unknown dimension 'beauty'"),
        (
            {"indicators": [{"id": "missing_cell_rate", "good": 0.1, "bad": 0.1}]},
            "equal good and bad anchors",
        ),
        (
            {"indicators": [{"id": "x", "check": "no_check", "measure": "rate", "good": 0, "bad": 1}]},
            "unknown check 'no_check'",
        ),
        (
            {"indicators": [{"id": "x", "check": "missing_values", "measure": "vibes", "good": 0, "bad": 1}]},
            "unknown measure 'vibes'",
        ),
        (
            {"gates": [{"id": "g", "kind": "maybe", "checks": ["missing_values"], "reason": "R."}]},
            "blocking or fixable",
        ),
        ({"floors": {"overall": 140}}, "between 0 and 100"),
        ({"fail_on": "warning"}, "fail_on must be prequalify or reject"),
        ({"profile": "nope"}, "no scoring profile named 'nope'"),
        ({"checks": {"missing_values": {"colour": 1}}}, "unknown parameter 'colour'"),
    ],
)
def test_invalid_policies_fail_with_one_sentence(raw, expected):
    with pytest.raises(PolicyError) as info:
        load_policy(raw)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and message.endswith((".", ")"))


def test_cli_invalid_policy_exits_2_with_one_line(tmp_path, clean_frame):
    data, policy, out = tmp_path / "t.csv", tmp_path / "p.yaml", tmp_path / "c.json"
    clean_frame.write_csv(data)
    policy.write_text("floors:\n  overall: high\n")
    result = subprocess.run(
        [sys.executable, "-m", "datacert", "check", str(data), "--policy", str(policy), "--json", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "datacert: The profile's overall floor must be a number between 0 and 100, not 'high'."
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "raw,expected",
    [
        (
            {"bootstrap": {"replicates": "many"}},
            "The profile's bootstrap replicates must be a whole number between 0 and 10000, not 'many'.",
        ),
        (
            {
                "indicators": [
                    {"id": "x", "check": "missing_values", "measure": "rate", "good": 0, "bad": "one"}
                ]
            },
            "The bad anchor of the profile's indicator 'x' must be a number, not 'one'.",
        ),
        (
            {"gates": [{"id": "g", "kind": "blocking", "checks": [], "reason": "R."}]},
            "The profile's gate 'g' must give its list of checks it watches.",
        ),
        ({"floors": {"overall": "high"}}, "The profile's overall floor must be a number between 0 and 100"),
        ({"floors": {"top": 1}}, "The profile's floors has an unknown entry 'top'."),
        (
            {"gates": [{"id": "g", "kind": "blocking", "checks": ["no_check"], "reason": "R."}]},
            "The profile's gate 'g' names an unknown check 'no_check'",
        ),
    ],
)
def test_the_profile_schema_names_the_entry_and_the_allowed_values(raw, expected):
    with pytest.raises(PolicyError) as info:
        load_policy(raw)
    assert expected in str(info.value)


def test_the_profile_schema_is_a_valid_json_schema():
    import jsonschema

    from datacert.scoring._schema import profile_schema

    jsonschema.Draft202012Validator.check_schema(profile_schema(["missing_values"]))
