"""Time-to-event outcomes: the duration role, its safe inference, and the follow-up time reported as
outcome-derived, on real survival cohorts shipped by scikit-survival and lifelines."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from tests._real_cohorts import COHORTS, MissingCohort, load
from tests.conftest import make_dataset, run_one

from datacert.survival import censoring_facts, event_coding, infer_survival_roles

SURVIVAL = [n for n, c in COHORTS.items() if c.kind == "survival"]


def _cohort(name: str) -> pl.DataFrame:
    try:
        return load(name)
    except MissingCohort as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", SURVIVAL)
def test_the_documented_follow_up_time_is_inferred_for_the_event_target(name):
    cohort = COHORTS[name]
    data = make_dataset(_cohort(name), target=cohort.target)
    assert data.roles.duration == cohort.duration
    assert data.inferred["duration"]["column"] == cohort.duration
    assert "follow-up time" in data.inferred["duration"]["reason"]
    assert cohort.duration not in data.feature_columns()


def test_the_pair_is_inferred_when_no_target_is_given():
    data = make_dataset(_cohort("whas500"))
    assert (data.roles.target, data.roles.duration) == ("fstat", "lenfol")
    assert "event indicator" in data.inferred["target"]["reason"]


def test_two_outcome_pairs_without_a_target_infer_nothing():
    # GBSG with recurrence (censrec/rectime) and death (censdead/survtime): which one is the outcome
    # is the user's choice
    data = make_dataset(_cohort("lymph_node"))
    assert data.roles.target is None and data.roles.duration is None


@pytest.mark.parametrize("name", ["breast_cancer_wdbc", "diabetes"])
def test_no_duration_is_inferred_on_tables_without_follow_up(name):
    data = make_dataset(_cohort(name), target="target")
    assert data.roles.duration is None and "duration" not in data.inferred


def test_french_names_and_coded_events():
    rng = np.random.default_rng(0)
    n = 200
    frame = pl.DataFrame(
        {
            "âge": rng.integers(30, 90, n),
            "délai_suivi_mois": rng.exponential(30, n).round(1),
            "décès": rng.choice(["décédé", "vivant"], n),
        }
    )
    data = make_dataset(frame)
    assert (data.roles.target, data.roles.duration) == ("décès", "délai_suivi_mois")
    coding = event_coding(frame.get_column("décès"))
    assert coding is not None and coding.event_values == ("décédé",)


def test_event_codings_follow_the_documented_conventions():
    assert event_coding(pl.Series([1, 2, 2, 1])).event_values == (2,)  # R survival: 2 = dead
    assert event_coding(pl.Series([0, 1, 2, 0])).event_values == (1, 2)  # competing events
    assert event_coding(pl.Series([True, False])).event_values == (True,)
    assert event_coding(pl.Series([0.5, 1.0])) is None
    assert event_coding(pl.Series(list(range(30)))) is None


def test_ambiguous_or_unsafe_durations_are_not_inferred():
    rng = np.random.default_rng(1)
    n = 100
    base = {"status": rng.integers(0, 2, n)}
    two = pl.DataFrame({**base, "time": rng.exponential(5, n), "futime": rng.exponential(5, n)})
    assert infer_survival_roles(two, set(), "status", {}) == {}
    negative = pl.DataFrame({**base, "time": rng.normal(0, 1, n)})
    assert infer_survival_roles(negative, set(), "status", {}) == {}
    onset = pl.DataFrame({**base, "time_since_onset": rng.exponential(5, n)})
    assert infer_survival_roles(onset, set(), "status", {}) == {}
    not_an_event = pl.DataFrame({"y": rng.normal(size=n), "time": rng.exponential(5, n)})
    assert infer_survival_roles(not_an_event, set(), "y", {}) == {}


@pytest.mark.parametrize("name", SURVIVAL)
def test_the_follow_up_time_is_an_outcome_derived_leakage_finding(name):
    cohort = COHORTS[name]
    outcome = run_one("target_leakage", _cohort(name), target=cohort.target)
    derived = [f for f in outcome.findings if f.evidence.get("outcome_derived")]
    assert len(derived) == 1
    (finding,) = derived
    assert finding.columns == (cohort.duration,) and str(finding.severity) == "error"
    assert "time-to-event" in finding.remedy and "never" in finding.remedy
    censoring = finding.evidence["censoring"]
    assert 0 < censoring["share_censored"] < 1 and censoring["events_per_variable"] > 0
    # the rest of each real cohort holds no leak: nothing else at error level
    others = [f for f in outcome.findings if f is not finding and str(f.severity) in ("error", "critical")]
    assert others == []


def test_censoring_facts_match_the_documentation_of_whas500():
    facts = censoring_facts(_cohort("whas500"), "fstat", "lenfol", 14)
    assert facts["records"] == 500 and facts["events"] == 215  # Hosmer & Lemeshow: 215 deaths
    assert facts["share_censored"] == pytest.approx(285 / 500)
    assert facts["events_per_variable"] == pytest.approx(215 / 14)
    assert facts["follow_up"]["min"] >= 0


def test_a_given_duration_is_used_and_listed_as_given():
    frame = _cohort("gbsg2").rename({"time": "rfs_days"})
    outcome = run_one("target_leakage", frame, target="cens", duration="rfs_days")
    (finding,) = [f for f in outcome.findings if f.evidence.get("outcome_derived")]
    assert finding.columns == ("rfs_days",) and finding.evidence["role"] == "duration (given)"


def test_another_outcome_pair_is_flagged_and_left_out_of_the_reference_model():
    outcome = run_one("target_leakage", _cohort("lymph_node"), target="censdead")
    (pair,) = [f for f in outcome.findings if "further time-to-event" in f.message]
    assert set(pair.columns) == {"censrec", "rectime"} and str(pair.severity) == "warning"
    excluded = outcome.evidence["excluded_from_reference_model"]
    assert {"survtime", "censrec", "rectime"} <= set(excluded)
    labels = run_one("label_issues", _cohort("lymph_node"), target="censdead")
    assert {"survtime", "censrec", "rectime"} <= set(labels.evidence["excluded_columns"])


def test_cli_accepts_duration_and_records_it(tmp_path):
    path = tmp_path / "larynx.csv"
    _cohort("larynx").rename({"time": "years_followed"}).write_csv(path)
    out = tmp_path / "cert.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "datacert",
            "check",
            str(path),
            "--target",
            "death",
            "--duration",
            "years_followed",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 3, 4), done.stderr
    cert = json.loads(out.read_text())
    assert cert["dataset"]["roles"]["duration"] == "years_followed"
    assert "duration" not in cert["dataset"]["inferred"]
    leak = [
        f for f in cert["findings"] if f["check"] == "target_leakage" and f["columns"] == ["years_followed"]
    ]
    assert leak and leak[0]["severity"] == "error"


def test_same_covariates_different_fate_is_not_a_labelling_defect():
    # kidney transplant: age and three sex/race dummies; many patients share them and differ in outcome
    outcome = run_one("conflicting_labels", _cohort("kidney_transplant"), target="death")
    assert outcome.status == "fired"
    assert all(str(f.severity) == "info" for f in outcome.findings)
    assert "Nothing to correct" in outcome.findings[0].remedy


def test_name_tokens_plain_and_decorated_names():
    from datacert.survival import name_tokens

    assert name_tokens("g00042") == ["g00042"]
    assert name_tokens("OS_months") == ["os", "months"]
    assert name_tokens("rfsTime") == ["rfs", "time"]
    assert name_tokens("Décès") == ["deces"]
    assert name_tokens("123") == ["123"]
    tokens = name_tokens("time")
    tokens.append("changed")  # a caller's list is its own: the cache is not changed
    assert name_tokens("time") == ["time"]
