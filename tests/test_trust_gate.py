"""The trust benchmark's regression gate: no check loses a detection or gains a false alarm."""

from __future__ import annotations

import json

import pytest
from benchmarks.trust.gate import GATE_PATH, gate_figures, regressions, run_gate


@pytest.mark.slow
def test_trust_slice_does_not_regress():
    expected = json.loads(GATE_PATH.read_text(encoding="utf-8"))
    actual = gate_figures(run_gate())
    problems = regressions(expected, actual)
    assert not problems, "trust benchmark regressed:\n" + "\n".join(problems)


def test_gate_comparison_names_each_regression():
    expected = {
        "detection": {"t|a": "error", "t|b": None},
        "false_alarms": {"t": {"undocumented_error_or_above": 0}},
    }
    actual = {
        "detection": {"t|a": "warning", "t|b": "info"},
        "false_alarms": {"t": {"undocumented_error_or_above": 2}},
    }
    problems = regressions(expected, actual)
    assert problems == [
        "t|a: detected at error before, now warning",
        "t: undocumented_error_or_above rose from 0 to 2",
    ]
    assert regressions(actual, actual) == []
