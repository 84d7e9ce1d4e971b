"""The four planted generators get the right verdict on real public tables (scikit-learn, scikit-survival).

One synth run per (table, generator): each test checks the verdict and why it was reached.
"""

from __future__ import annotations

import pytest
from tests.synth._synth_planted import EXPECTED, GENERATORS, TABLES

import datacert


def metric(cert, ident: str):
    return next(m for m in cert.extra["metrics"] if m["id"] == ident)


def fired(cert) -> set[str]:
    return {g["id"] for g in cert.extra["gates"] if g["status"] == "fired"}


def run(table: str, generator: str):
    t = TABLES[table]()
    return datacert.synth(
        t.train,
        GENERATORS[generator](t),
        holdout=t.holdout,
        target=t.target,
        duration=t.duration,
        event=t.event,
    )


def assert_copies(cert) -> None:
    copies = metric(cert, "exact_copy_excess")
    assert copies["value"] == pytest.approx(0.05, abs=0.01)
    assert "copies_of_real_patients" in fired(cert)
    step = next(s for s in cert.remedies if s["check"] == "exact_copy_excess")
    assert step["action"] == "remove_copies"
    assert step["rows"] == copies["evidence"]["copies_of_training_records"]


def assert_shuffled(cert) -> None:
    assert metric(cert, "column_shapes")["value"] > 0.99  # each column alone is perfect
    assert metric(cert, "detection_auc")["value"] > 0.7  # ...but a classifier tells the tables apart
    gates = fired(cert)
    assert gates & {"pair_trends_floor", "distinguishable_from_real"}, gates
    assert gates & {"utility_floor", "skill_floor"}, gates
    assert not gates & {"copies_of_real_patients", "membership_inference"}


def assert_impossible(cert) -> None:
    assert "introduced_validity_errors" in fired(cert)
    introduced = [f for f in cert.findings if f.evidence.get("introduced_by_generator")]
    assert (
        any(f.dimension == "plausibility" for f in introduced)
        or metric(cert, "new_category_share")["value"] > 0
    )
    assert any(s["action"] == "filter_rows" and s["rows"] > 0 for s in cert.remedies)
    assert not fired(cert) & {"copies_of_real_patients", "membership_inference", "utility_floor"}


def assert_good(cert) -> None:
    assert not [f for f in cert.findings if f.severity.rank >= 2]
    assert metric(cert, "tstr_ratio")["interval"] is not None
    assert 0.4 < metric(cert, "membership_auc_distance")["value"] < 0.6
    assert metric(cert, "dcr_closer_than_holdout")["value"] < 0.1


CHECKS = {
    "copies": assert_copies,
    "shuffled": assert_shuffled,
    "impossible": assert_impossible,
    "good": assert_good,
}
CASES = [(t, g) for t in ("diabetes", "gbsg2") for g in GENERATORS] + [
    ("breast_cancer", "copies"),
    ("breast_cancer", "shuffled"),
]


@pytest.mark.parametrize(("table", "generator"), CASES)
def test_planted_generator_gets_its_verdict_for_the_right_reason(table: str, generator: str) -> None:
    cert = run(table, generator)
    assert cert.verdict == EXPECTED[generator], cert.reasons
    CHECKS[generator](cert)
    if TABLES[table]().duration:
        assert metric(cert, "kaplan_meier_similarity")["value"] is not None
