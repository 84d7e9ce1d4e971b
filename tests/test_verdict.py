"""Gate-first verdict: gates decide, missing evidence never releases, --fail-on maps exit codes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from tests._scoring_helpers import all_quiet, finding, outcome

from datacert.findings import Status, sort_findings
from datacert.roles import Roles
from datacert.scoring import compute_scores, decide, exit_code_for, load_scoring_profile

N = 500


def verdict_of(outcomes, roles=None, profile_name="default", overrides=None):
    profile = load_scoring_profile(profile_name, overrides)
    outcomes = list(outcomes)
    findings = sort_findings([f for o in outcomes for f in o.findings])
    scores = compute_scores(profile, outcomes, N, 12)
    return decide(profile, outcomes, findings, scores, roles or Roles.build(target="y", sensitive=["sex"]), N)


def fired(decision):
    return {g.id: g for g in decision.gates if g.status == "fired"}


def test_clean_with_evidence_is_released():
    decision = verdict_of(all_quiet().values())
    assert decision.verdict == "release"
    assert len(decision.reasons) == 1 and "No gate fired" in decision.reasons[0]
    assert not fired(decision)


def test_blocking_finding_rejects_with_its_reason():
    base = all_quiet()
    base["label_issues"] = outcome(
        "label_issues", finding("label_issues", "warning", rows=range(150), numerator=150, denominator=N)
    )
    base["duplicate_rows"] = outcome("duplicate_rows", finding("duplicate_rows", "error", rows=range(20)))
    decision = verdict_of(base.values())
    assert decision.verdict == "reject"
    assert decision.reasons == [
        "About 30% of the labels look wrong, too many to repair by reviewing a few records."
    ]
    assert {"heavy_label_noise", "duplicates"} <= set(fired(decision))


def test_fixable_finding_prequalifies_with_one_sentence_per_gate():
    base = all_quiet()
    base["duplicate_rows"] = outcome("duplicate_rows", finding("duplicate_rows", "error", rows=range(20)))
    base["missing_values"] = outcome(
        "missing_values",
        finding(
            "missing_values", "critical", rows=range(400), columns=["hba1c"], numerator=400, denominator=N
        ),
    )
    decision = verdict_of(base.values())
    assert decision.verdict == "prequalify"  # 80 % missing is fixable (drop the column), never reject
    assert decision.reasons[:2] == [
        "Records are duplicated (20 records concerned) and must be deduplicated before training.",
        "Some columns or records are mostly missing (hba1c) and must be dropped, recovered or imputed with "
        "indicators.",
    ]
    assert all(r.endswith(".") and r.count(". ") == 0 for r in decision.reasons)


def test_unclaimed_critical_rejects_and_unclaimed_error_prequalifies():
    rule = outcome("site_rule", finding("site_rule", "critical"), dimension="security")
    decision = verdict_of([*all_quiet().values(), rule])
    assert decision.verdict == "reject" and decision.reasons == ["Planted site_rule finding."]
    assert fired(decision)["site_rule_critical"].automatic
    rule = outcome("site_rule", finding("site_rule", "error"), dimension="security")
    assert verdict_of([*all_quiet().values(), rule]).verdict == "prequalify"


@pytest.mark.parametrize("case", ["no_target", "crashed", "coverage"])
def test_missing_evidence_never_releases(case):
    base = all_quiet()
    roles, profile = Roles.build(target="y", sensitive=["sex"]), "default"
    if case == "no_target":
        roles = Roles.build()
    elif case == "crashed":
        base["label_issues"] = outcome("label_issues", status=Status.ERROR, reason="MemoryError")
    else:  # the diagnostic profile needs representativeness evidence: no sensitive attribute given
        profile = "diagnostic_classifier"
        for c in ("underrepresented_subgroup", "outcome_disparity"):
            base[c] = outcome(c, status=Status.NOT_APPLICABLE, reason="needs the sensitive role")
    decision = verdict_of(base.values(), roles, profile)
    assert decision.verdict == "prequalify"
    expected = {
        "no_target": "No target column was given",
        "crashed": "label_issues could not run",
        "coverage": "Only 25% of the representativeness indicators",
    }[case]
    assert any(expected in r for r in decision.reasons), decision.reasons


def test_floors_hold_back_and_broadly_poor_rejects():
    base = all_quiet()
    # warnings only (no gate): outliers and implausible values on a third of the records
    for check in ("univariate_outliers", "multivariate_outliers", "out_of_range"):
        base[check] = outcome(check, finding(check, "warning", rows=range(0, N, 3)))
    decision = verdict_of(base.values())
    assert decision.verdict == "prequalify"
    assert "dimension_floor" in fired(decision)
    for check in (
        "temporal_inconsistency",
        "format_violation",
        "encoding_errors",
        "disguised_missing",
        "empty_rows",
        "quasi_identifier_risk",
        "prompt_injection",
    ):
        base[check] = outcome(check, finding(check, "warning", rows=range(0, N, 2)))
    for check in (
        "type_mismatch",
        "inconsistent_categories",
        "duplicate_columns",
        "missing_values",
        "distribution_shift",
        "redundant_features",
        "high_dimensionality",
        "class_imbalance",
        "underrepresented_subgroup",
        "outcome_disparity",
    ):
        base[check] = outcome(check, finding(check, "warning", columns=[f"c{i}" for i in range(12)]))
    # warnings below every gate's bar open no gate, but they still count in the scores; duplicates,
    # leaking and constant columns open their gates at warning, so they are left out, and the floor
    # for broadly poor data is raised above the overall score the rest leaves (under 50)
    poor = verdict_of(base.values(), overrides={"floors": {"reject_overall": 50}})
    assert not [g for g in poor.gates if g.status == "fired" and g.kind in ("fixable",)]
    assert poor.verdict == "reject" and "broadly poor" in poor.reasons[0]


def test_fail_on_mapping():
    assert [exit_code_for(v) for v in ("release", "prequalify", "reject")] == [0, 3, 4]
    assert [exit_code_for(v, "reject") for v in ("release", "prequalify", "reject")] == [0, 0, 4]
    with pytest.raises(ValueError):
        exit_code_for("release", "warning")


def _duplicated_table(tmp_path):
    rng = np.random.default_rng(3)
    n = 200
    frame = pl.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "sbp": rng.normal(130, 15, n).round(1),
            "sex": rng.choice(["F", "M"], n),
            "y": rng.integers(0, 2, n),
        }
    )
    frame = pl.concat([frame, frame.head(12)])
    path = tmp_path / "dups.csv"
    frame.write_csv(path)
    return path


def test_cli_fail_on_and_profile(tmp_path):
    path = _duplicated_table(tmp_path)

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "datacert", "check", str(path), "--target", "y", *a],
            capture_output=True,
            text=True,
        )

    default = run("--format", "json")
    assert default.returncode in (3, 4), default.stderr
    softer = run("--fail-on", "reject", "--profile", "diagnostic_classifier")
    assert softer.returncode == (4 if default.returncode == 4 else 0), softer.stderr
    bad = run("--profile", "no_such_profile")
    assert bad.returncode == 2
    assert "no scoring profile named 'no_such_profile'" in bad.stderr
    assert " ".join(bad.stderr.split()).count(".") == 1  # one sentence (the console may wrap it)


def test_task_profile_end_to_end_needs_subgroup_evidence(clean_frame):
    import datacert

    default = datacert.check(clean_frame, target="outcome")
    strict = datacert.check(clean_frame, target="outcome", profile="diagnostic_classifier")
    assert strict.extra["scoring_profile"]["name"] == "diagnostic_classifier"
    assert default.verdict == "release"
    # same data: only the missing sensitive attribute holds it back
    assert strict.verdict == "prequalify"
    assert any("representativeness indicators could be computed" in r for r in strict.reasons)


def test_remedies_are_ordered_machine_readable_steps():
    from datacert.remedies import build_remedies

    findings = [
        finding(
            "missing_values",
            "error",
            rows=[1, 2, 3],
            columns=["hba1c"],
            numerator=3,
            denominator=N,
            threshold=0.3,
        ),
        finding("duplicate_rows", "error", rows=[4, 5, 9, 10], numerator=2, denominator=N),
        finding("formula_injection", "warning", rows=[7], columns=["note"]),
        finding("label_issues", "info", rows=[8]),
        finding("site_rule", "warning"),
    ]
    steps = build_remedies(findings, {"duplicate_rows": "duplicates"})
    assert [s["action"] for s in steps] == ["neutralise_formulas", "deduplicate", "impute", "review"]
    assert [s["step"] for s in steps] == [1, 2, 3, 4]
    for s in steps:
        assert {
            "step",
            "action",
            "check",
            "columns",
            "rows",
            "description",
            "positions",
            "params",
            "severity",
            "automatic",
            "gate",
        } <= set(s)
    dedup = steps[1]
    assert dedup["positions"] == [4, 5, 9, 10] and dedup["rows"] == 4 and dedup["gate"] == "duplicates"
    assert steps[2]["params"]["by_column"]["hba1c"]["threshold"] == 0.3
    assert steps[3]["automatic"] is False and steps[0]["automatic"] is True
