"""The regression gate: a small, fast slice of the trust benchmark that runs in `make test`.

A few real tables, every injector at its documented size, one seed. `gate.json` holds the figures
the slice reached when it was last accepted (`python -m benchmarks.trust --update-gate`); the test
fails, with the figure, when a change makes a check miss a defect it used to find or raise an
undocumented alarm it did not raise before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from benchmarks.trust.injectors import INJECTORS
from benchmarks.trust.runner import Task, run_task
from benchmarks.trust.summary import SEVERITY_RANK

GATE_PATH = Path(__file__).resolve().parent / "gate.json"
GATE_TABLES = ("breast_cancer_wisconsin", "pima_training", "pbc_mayo", "whas500")


def available_tables() -> list[str]:
    out = []
    for card in load_cards(list(GATE_TABLES)):
        try:
            load_table(card)
        except TableUnavailable:
            continue
        out.append(card.name)
    return out


def run_gate(tables: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Run the slice in this process (the test suite already runs in parallel workers)."""
    chosen = list(tables) if tables is not None else available_tables()
    tasks = [Task(t, None, None, 0) for t in chosen]
    tasks += [
        Task(t, name, inj.documented_size, 0) for t in chosen for name, inj in sorted(INJECTORS.items())
    ]
    return [run_task(t) for t in tasks]


def gate_figures(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Detection severity per table x injector and undocumented alarms per table."""
    detection: dict[str, str | None] = {}
    alarms: dict[str, dict[str, int]] = {}
    for r in records:
        if r["status"] != "done":
            continue
        if r["injector"] is None:
            unknown = [a for a in r["alarms"] if not a["known"]]
            alarms[r["table"]] = {
                "undocumented_warning_or_above": len(unknown),
                "undocumented_error_or_above": sum(SEVERITY_RANK[a["severity"]] >= 2 for a in unknown),
            }
        else:
            detection[f"{r['table']}|{r['injector']}"] = r.get("severity")
    return {"detection": dict(sorted(detection.items())), "false_alarms": dict(sorted(alarms.items()))}


def regressions(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """Sentences naming each figure that got worse (empty when the slice is at least as good)."""

    def rank(severity: str | None) -> int:
        return -1 if severity is None else SEVERITY_RANK[severity]

    problems = []
    for key, before in expected["detection"].items():
        if key not in actual["detection"]:
            continue  # the table's package is not installed here
        after = actual["detection"][key]
        if rank(after) < rank(before):
            problems.append(f"{key}: detected at {before} before, now {after or 'not detected'}")
    for table, before in expected["false_alarms"].items():
        after = actual["false_alarms"].get(table)
        if after is None:
            continue
        for measure, count in before.items():
            if after[measure] > count:
                problems.append(f"{table}: {measure} rose from {count} to {after[measure]}")
    return problems
