"""The trust runner's matching rule: a detection is a finding that reports the planted defect."""

from __future__ import annotations

import polars as pl
from benchmarks.trust.injectors import Injected
from benchmarks.trust.runner import _matched


def _finding(check="label_issues", severity="info", rows=(), columns=("y",), **evidence):
    return {
        "check": check,
        "severity": severity,
        "rows": list(rows),
        "columns": list(columns),
        "evidence": evidence,
    }


def _planted(rows=(), columns=("y",)) -> Injected:
    return Injected(pl.DataFrame({"y": [0, 1]}), {"target": "y"}, tuple(rows), tuple(columns))


def test_a_statement_about_the_column_does_not_report_flipped_records():
    """ "Noisy by nature, not mislabelled" names the target column and no record: not a detection."""
    noisy = _finding(columns=("y",))
    assert _matched([noisy], "label_issues", _planted(rows=(3, 7))) == []


def test_a_finding_naming_a_planted_record_reports_it():
    review = _finding(severity="info", rows=(2, 7, 11))
    warning = _finding(severity="warning", rows=(3,))
    elsewhere = _finding(severity="warning", rows=(5, 6))
    assert _matched([review, warning, elsewhere], "label_issues", _planted(rows=(3, 7))) == [review, warning]


def test_a_finding_that_says_it_reports_no_defect_never_counts():
    """A check stating that it could not look, or that nothing is wrong, is not a detection, even on
    the planted column or rows."""
    not_audited = _finding(rows=(3,), reports_defect=False)
    on_column = _finding(check="class_imbalance", reports_defect=False)
    assert _matched([not_audited], "label_issues", _planted(rows=(3,))) == []
    assert _matched([on_column], "class_imbalance", _planted(columns=("y",))) == []


def test_a_column_defect_is_reported_by_a_finding_on_that_column_and_only_by_its_check():
    on_target = _finding(check="class_imbalance", severity="warning", rows=(0, 1))
    other_column = _finding(check="class_imbalance", severity="warning", columns=("age",))
    other_check = _finding(check="label_issues", severity="warning", rows=(0,))
    found = _matched([on_target, other_column, other_check], "class_imbalance", _planted(columns=("y",)))
    assert found == [on_target]


def test_a_whole_table_defect_is_reported_by_any_finding_of_its_check():
    anything = _finding(check="high_dimensionality", severity="warning", columns=())
    assert _matched([anything], "high_dimensionality", _planted(columns=())) == [anything]
