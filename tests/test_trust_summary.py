"""The trust summary: not-applicable tables are reported per size, and the headline says on how many
tables each detection rate is measured."""

from __future__ import annotations

from benchmarks.trust.document import injector_size_note
from benchmarks.trust.injectors import INJECTORS
from benchmarks.trust.summary import detection_table, per_check

INJECTOR = "rare_positives"


def _record(table, size, status="done", severity="warning", reason=None):
    return {
        "key": f"{table}|{INJECTOR}|{size}|0",
        "table": table,
        "injector": INJECTOR,
        "size": size,
        "seed": 0,
        "status": status,
        "severity": severity if status == "done" else None,
        "reason": reason,
    }


def test_a_table_not_applicable_at_some_sizes_keeps_each_reason_with_its_sizes():
    documented = INJECTORS[INJECTOR].documented_size
    other = next(s for s in INJECTORS[INJECTOR].sizes if s != documented)
    records = [
        _record("a", documented, status="not_applicable", reason="already imbalanced"),
        _record("a", other, status="not_applicable", reason="too few negatives"),
        _record("b", documented),
        _record("b", other, status="not_applicable", reason="too few negatives"),
        _record("c", documented),
    ]
    d = detection_table(records)[INJECTOR]
    assert d["not_applicable"]["b"] == "too few negatives"
    reasons = d["not_applicable"]["a"]
    assert f"at {documented:g}: already imbalanced" in reasons
    assert f"at {other:g}: too few negatives" in reasons
    assert d["not_applicable_at_documented_size"] == {"a": "already imbalanced"}
    headline = per_check({INJECTOR: d}, {})[d["check"]]["injectors"][0]
    assert (headline["runs"], headline["tables"]) == (2, 2)
    assert headline["not_applicable_tables"] == {"a": "already imbalanced"}
    assert headline["detection_warning"] == 1.0


def test_the_reason_for_a_documented_size_is_written_in_the_docs_from_the_injector():
    """trigger_pattern is documented just under the check's 5 % cap: the docs say why, from the
    injector's docstring, and an injector without such a paragraph prints nothing."""
    note = injector_size_note("trigger_pattern")
    assert note is not None and note.startswith("Documented size (4.5 %")
    assert "max_support_share" in note and "\n" not in note
    assert INJECTORS["trigger_pattern"].documented_size == 0.045
    assert injector_size_note("sentinel_code") is None
