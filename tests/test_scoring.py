"""Scoring: desirability, coverage (N/A never 0 or 100), weighted geometric mean, bootstrap intervals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from tests._scoring_helpers import all_quiet, finding, outcome

import datacert
from datacert.findings import Status
from datacert.scoring import builtin_profiles, compute_scores, load_scoring_profile
from datacert.scoring._scores import desirability

N = 400


def score(outcomes, profile=None, groups=None, n=N, p=10):
    return compute_scores(profile or load_scoring_profile(), list(outcomes), n, p, groups)


def test_desirability_is_piecewise_linear_both_ways():
    assert desirability(0.0, 0.0, 0.2) == 1.0
    assert desirability(0.1, 0.0, 0.2) == pytest.approx(0.5)
    assert desirability(0.5, 0.0, 0.2) == 0.0
    assert desirability(0.9, 0.9, 0.6) == 1.0  # higher is better
    assert desirability(0.75, 0.9, 0.6) == pytest.approx(0.5)


def test_builtin_profiles_are_versioned_and_load():
    names = builtin_profiles()
    assert {"default", "diagnostic_classifier", "omics_biomarker", "regression_prognosis"} <= set(names)
    for name in names:
        profile = load_scoring_profile(name)
        assert profile.version and profile.indicators and profile.gates
        assert profile.identity()["lineage"][-1] == f"{name}@{profile.version}"


def test_clean_outcomes_score_100_with_full_coverage():
    result = score(all_quiet().values())
    assert result.scores["overall"] == pytest.approx(100.0)
    assert all(c == 1.0 for c in result.coverage.values())


def test_not_applicable_indicator_is_na_not_zero_nor_hundred():
    base = all_quiet()
    base["label_issues"] = outcome("label_issues", finding("label_issues", "error", rows=range(40)))
    full = score(base.values())
    # class_imbalance cannot run: the dimension is scored on label_issues alone, coverage drops
    base["class_imbalance"] = outcome(
        "class_imbalance", status=Status.NOT_APPLICABLE, reason="needs --target"
    )
    partial = score(base.values())
    indicator = next(v for v in partial.indicators if v.spec.id == "class_imbalance")
    assert indicator.value is None and indicator.desirability is None and "needs --target" in indicator.reason
    assert partial.coverage["label_quality"] == pytest.approx(2 / 3)
    label_only = 100 * desirability(40 / N, 0.02, 0.25)
    assert partial.scores["label_quality"] == pytest.approx(label_only)
    assert full.scores["label_quality"] == pytest.approx((2 * label_only + 100) / 3)
    # a crashed check is N/A too, and a dimension with nothing computable has no score at all
    base["label_issues"] = outcome("label_issues", status=Status.ERROR, reason="ValueError: boom")
    none = score(base.values())
    assert none.scores["label_quality"] is None and none.coverage["label_quality"] == 0.0
    assert none.intervals["label_quality"] is None


def test_checks_missing_from_this_version_are_outside_coverage():
    outcomes = all_quiet(except_=("label_issues",)).values()
    result = score(outcomes)
    indicator = next(v for v in result.indicators if v.spec.id == "label_noise_rate")
    assert not indicator.available and indicator.to_dict()["status"] == "unavailable"
    assert result.coverage["label_quality"] == 1.0


def test_unnamed_check_gets_an_automatic_severity_indicator():
    extra = outcome("my_site_rule", finding("my_site_rule", "error"), dimension="conformance")
    result = score([*all_quiet().values(), extra])
    auto = next(v for v in result.indicators if v.spec.check == "my_site_rule")
    assert auto.automatic and auto.value == 3.0 and auto.desirability == pytest.approx(1 / 3)
    assert result.scores["conformance"] < 100


def test_overall_is_weighted_geometric_mean_floored_at_one():
    base = all_quiet()
    for check in ("formula_injection", "prompt_injection", "poisoning_suspected"):  # security drops to 0
        base[check] = outcome(check, finding(check, "error", rows=range(200)))
    base["duplicate_rows"] = outcome(
        "duplicate_rows", finding("duplicate_rows", "error", rows=range(20)), numerator=10, denominator=N
    )
    profile = load_scoring_profile()
    result = score(base.values(), profile)
    dims = {d: s for d, s in result.scores.items() if d != "overall"}
    weights = {d: profile.dimensions[d] for d in dims}
    expected = 100 * math.exp(
        sum(weights[d] * math.log(max(s, 1) / 100) for d, s in dims.items()) / sum(weights.values())
    )
    assert result.scores["overall"] == pytest.approx(expected)
    assert result.scores["uniqueness"] == pytest.approx(100 * (3 + desirability(10 / N, 0, 0.05)) / 4)
    assert dims["security"] == 0.0
    # geometric: one dimension at zero (floored at 1) pulls the overall score far below the arithmetic mean
    assert result.scores["overall"] < sum(dims.values()) / len(dims) - 20


def test_bootstrap_interval_contains_point_and_is_deterministic():
    base = all_quiet()
    base["univariate_outliers"] = outcome(
        "univariate_outliers", finding("univariate_outliers", "warning", rows=range(0, N, 15))
    )
    base["label_issues"] = outcome("label_issues", finding("label_issues", "error", rows=range(1, N, 9)))
    a, b = score(base.values()), score(base.values())
    assert a.intervals == b.intervals and a.replicates == 200
    for key, interval in a.intervals.items():
        point = a.scores[key]
        if point is not None:
            assert interval[0] <= point <= interval[1]
    lo, hi = a.intervals["overall"]
    assert hi - lo > 0.1  # the resampled indicators really move
    assert a.intervals["completeness"] == [100.0, 100.0]  # nothing flagged: nothing to resample


def test_grouped_bootstrap_resamples_patients():
    base = all_quiet()
    # flagged records cluster in a few patients: resampling patients widens the interval
    base["label_issues"] = outcome("label_issues", finding("label_issues", "error", rows=range(0, 60)))
    groups = np.repeat(np.arange(N // 20), 20)
    by_record = score(base.values())
    by_patient = score(base.values(), groups=groups)
    width = lambda r: r.intervals["label_quality"][1] - r.intervals["label_quality"][0]  # noqa: E731
    assert width(by_patient) > width(by_record)


def test_certificate_carries_scoring_fields_and_validates(clean_frame, certificate_validator):
    cert = datacert.check(clean_frame, target="outcome")
    data = json.loads(cert.to_json())
    certificate_validator.validate(data)
    assert data["scoring_profile"]["name"] == "default"
    assert set(data["score_intervals"]) == set(data["scores"])
    assert "figures" not in data
    for ind in data["indicators"]:
        assert ind["status"] in ("computed", "not_applicable", "unavailable")
        if ind["status"] != "computed":
            assert ind["value"] is None
