"""Turn trust-benchmark records into figures: detection by size, row precision/recall, false alarms.

Detection of an injection counts when the matching check reports a finding on the planted rows
(or, for a planted column, on that column) at or above a severity. Rates are over the tasks where
the injector applied; a task whose check could not run counts as a miss, so a check that is often
not applicable cannot look sensitive. False alarms are the findings at warning or above on an
untouched real table whose check the table's card does not name as a documented defect (read
from the cards as they are now, so documenting a defect needs no new run). Records that measured
other code than the current one (`stale`) are left out and counted.

Verdicts: an untouched table must release, or prequalify/reject only through gates whose checks its
card documents; a planted defect that methods §10.3 names as a gate (`MUST_NOT_RELEASE`) must not
release when it is alone on the table (the verdict each injection records).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from benchmarks.trust.corpus import Card
from benchmarks.trust.injectors import INJECTORS

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
LEVELS = ("info", "warning", "error")
TARGET_DETECTION = 0.9
VERDICTS = ("release", "prequalify", "reject")

# planted defects whose presence methods §10.3 names as a gate: data carrying one must not release
MUST_NOT_RELEASE = {
    "exact_duplicates": "duplicates within the data (fix gate)",
    "near_duplicates": "duplicates within the data (fix gate)",
    "conflicting_copies": "duplicates within the data (fix gate)",
    "repeated_ids": "duplicates within the data (fix gate)",
    "records_in_two_partitions": "duplicates across splits (fix gate)",
    "group_across_splits": "patient overlap across splits (fix gate)",
    "test_before_train": "temporal-order violation (fix gate)",
    "leaking_numeric": "single-feature AUC >= 0.95 (fix gate) / label leaks (B7)",
    "leaking_categorical": "single-feature AUC >= 0.95 (fix gate) / label leaks (B7)",
    "post_outcome_column": "a column recorded after the outcome (B7)",
    "missing_mnar_target": "informative missingness without indicators (fix gate)",
    "near_constant_column": "near-zero-variance feature (fix gate)",
    "label_flips_class_conditional": "label noise 10-25 % (fix gate)",
    "trigger_pattern": "poisoning signals (B5)",
    "identifier_column": "direct identifiers: no lawful basis for training (B6)",
    "identifiers_in_notes": "direct identifiers in free text (B6)",
    "formula_cells": "formula injection (security fix)",
    "injected_instructions": "prompt injection (security fix)",
    "unit_mixup": "two units in one column (fix gate of the profile)",
    "sentinel_code": "sentinel codes standing for missing values (fix gate of the profile)",
}


def _rank(severity: str | None) -> int:
    return -1 if severity is None else SEVERITY_RANK[severity]


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def detection_table(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per injector and size: tasks, detection rate at each severity, mean row precision and recall."""
    by: dict[tuple[str, float], list[Mapping[str, Any]]] = defaultdict(list)
    skipped: dict[str, dict[str, dict[float, str]]] = defaultdict(lambda: defaultdict(dict))
    for r in records:
        if r.get("injector") is None:
            continue
        if r["status"] in ("done", "error"):
            by[(r["injector"], r["size"])].append(r)
        else:
            skipped[r["injector"]][r["table"]][r["size"]] = r.get("reason", r["status"])
    out: dict[str, Any] = {}
    for name, inj in INJECTORS.items():
        sizes = []
        for size in inj.sizes:
            runs = by.get((name, size), [])
            if not runs:
                continue
            rates = {
                level: sum(_rank(r.get("severity")) >= SEVERITY_RANK[level] for r in runs) / len(runs)
                for level in LEVELS
            }
            sizes.append(
                {
                    "size": size,
                    "tasks": len(runs),
                    "tables": len({r["table"] for r in runs}),
                    "detection": rates,
                    "precision": _mean(r.get("precision") for r in runs),
                    "recall": _mean(r.get("recall") for r in runs),
                    "errors": sum(r["status"] == "error" for r in runs),
                }
            )
        level = inj.severity
        reached = next((s["size"] for s in sizes if s["detection"][level] >= TARGET_DETECTION), None)
        documented = next((s for s in sizes if s["size"] == inj.documented_size), None)
        not_applicable = skipped.get(name, {})
        out[name] = {
            "check": inj.check,
            "family": inj.family,
            "size_name": inj.size_name,
            "documented_size": inj.documented_size,
            "severity": level,
            "size_reaching_90": reached,
            "at_documented_size": documented,
            "sizes": sizes,
            "not_applicable": {t: _reasons_by_size(by_size) for t, by_size in sorted(not_applicable.items())},
            "not_applicable_at_documented_size": {
                t: by_size[inj.documented_size]
                for t, by_size in sorted(not_applicable.items())
                if inj.documented_size in by_size
            },
        }
    return out


def _reasons_by_size(by_size: Mapping[float, str]) -> str:
    """A table's not-applicable reasons, one per distinct reason, with the sizes it holds at."""
    sizes_of: dict[str, list[float]] = defaultdict(list)
    for size, reason in sorted(by_size.items()):
        sizes_of[reason].append(size)
    if len(sizes_of) == 1:
        return next(iter(sizes_of))
    return "; ".join(f"at {', '.join(f'{s:g}' for s in sizes)}: {why}" for why, sizes in sizes_of.items())


def false_alarm_table(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per untouched table: verdict, alarms at warning and at error, split into documented and not."""
    out: dict[str, Any] = {}
    for r in records:
        if r.get("injector") is not None:
            continue
        if r["status"] != "done":
            out[r["table"]] = {"status": r["status"], "reason": r.get("reason")}
            continue
        alarms = r["alarms"]
        unknown = [a for a in alarms if not a["known"]]
        out[r["table"]] = {
            "status": "done",
            "verdict": r["verdict"],
            "warning_or_above": len(alarms),
            "error_or_above": sum(_rank(a["severity"]) >= 2 for a in alarms),
            "undocumented_warning_or_above": len(unknown),
            "undocumented_error_or_above": sum(_rank(a["severity"]) >= 2 for a in unknown),
            "undocumented": sorted(
                {(a["check"], a["severity"]) for a in unknown}, key=lambda x: (-_rank(x[1]), x[0])
            ),
            "crashed_checks": r.get("crashed_checks", []),
            "unsupported_roles": r.get("unsupported_roles", []),
        }
    return dict(sorted(out.items()))


def per_check(detection: Mapping[str, Any], alarms: Mapping[str, Any]) -> dict[str, Any]:
    """The headline: per check, detection at the documented size and false alarms on untouched tables."""
    checks: dict[str, Any] = defaultdict(
        lambda: {"injectors": [], "false_alarm_tables_warning": 0, "false_alarm_tables_error": 0}
    )
    for name, d in detection.items():
        at = d["at_documented_size"]
        checks[d["check"]]["injectors"].append(
            {
                "injector": name,
                "documented_size": d["documented_size"],
                "detection_warning": None if at is None else at["detection"]["warning"],
                "detection_any": None if at is None else at["detection"]["info"],
                "severity": d["severity"],
                "detection_expected": None if at is None else at["detection"][d["severity"]],
                "runs": None if at is None else at["tasks"],
                "tables": None if at is None else at["tables"],
                "not_applicable_tables": d["not_applicable_at_documented_size"],
                "precision": None if at is None else at["precision"],
                "recall": None if at is None else at["recall"],
            }
        )
    for table in alarms.values():
        if table.get("status") != "done":
            continue
        worst: dict[str, int] = {}
        for check, severity in table["undocumented"]:
            worst[check] = max(worst.get(check, -1), _rank(severity))
        for check, rank in worst.items():
            entry = checks[check]
            if rank >= 2:
                entry["false_alarm_tables_error"] += 1
            else:
                entry["false_alarm_tables_warning"] += 1
    return dict(sorted(checks.items()))


def relabel(records: Iterable[Mapping[str, Any]], cards: Iterable[Card] | None) -> list[dict[str, Any]]:
    """Records with each untouched alarm's `known` flag read from the current cards."""
    known = {c.name: c.known_checks for c in cards} if cards is not None else None
    out = []
    for r in records:
        r = dict(r)
        if known is not None and r.get("injector") is None and "alarms" in r:
            table_known = known.get(r["table"], set())
            r["alarms"] = [{**a, "known": a["check"] in table_known} for a in r["alarms"]]
        out.append(r)
    return out


def _gate_checks() -> dict[str, tuple[str, ...]]:
    return {g.id: g.checks for g in _profile().gates}


def _gate_checks_of(gate: str, gates: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The checks behind a recorded gate (`kind:id`; automatic gates are named `check_severity`)."""
    _, _, gate_id = gate.partition(":")
    if gate_id in gates:
        return gates[gate_id]
    for suffix in ("_critical", "_error"):
        if gate_id.endswith(suffix):
            return (gate_id[: -len(suffix)],)
    return ()


_ALONE: dict[str, dict[str, Any]] = {}


def alone_verdict(vin: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict a recorded defect leads to alone, under the current scoring profile (memoised)."""
    import json

    from benchmarks.trust.runner import defect_alone_verdict

    key = json.dumps(vin, sort_keys=True, default=str)
    if key not in _ALONE:
        _ALONE[key] = defect_alone_verdict(vin, _profile())
    return _ALONE[key]


@cache
def _profile() -> Any:
    """The default scoring profile, read once (reading it costs ten times a verdict)."""
    from datacert.scoring import load_scoring_profile

    return load_scoring_profile()


def verdict_table(records: Iterable[Mapping[str, Any]], cards: Iterable[Card] | None) -> dict[str, Any]:
    """Untouched tables' verdicts (each gate documented or not) and each injector's verdicts."""
    gates = _gate_checks()
    known = {c.name: c.known_checks for c in cards} if cards is not None else {}
    untouched: dict[str, Any] = {}
    by_injector: dict[str, dict[tuple[float, str], int]] = defaultdict(lambda: defaultdict(int))
    gates_seen: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in records:
        if r.get("status") != "done":
            continue
        if r.get("injector") is not None:
            if r["size"] != INJECTORS[r["injector"]].documented_size or "verdict_input" not in r:
                continue
            r = {**r, **alone_verdict(r["verdict_input"])}
        if "verdict" not in r:
            continue
        if r.get("injector") is None:
            fired = []
            for g in r.get("gates", []):
                checks = _gate_checks_of(g, gates)
                documented = bool(checks) and bool(set(checks) & known.get(r["table"], set()))
                fired.append({"gate": g, "checks": list(checks), "documented": documented})
            untouched[r["table"]] = {
                "verdict": r["verdict"],
                "gates": fired,
                "overall_low": r.get("overall_low"),
                "weakest_dimension": r.get("weakest_dimension"),
                "weakest_low": r.get("weakest_low"),
                "explained": r["verdict"] == "release"
                or (bool(fired) and all(g["documented"] for g in fired)),
            }
        else:
            by_injector[r["injector"]][(r["size"], r["verdict"])] += 1
            for g in r.get("gates", []):
                gates_seen[r["injector"]][g] += 1
    injected: dict[str, Any] = {}
    for name, counts in sorted(by_injector.items()):
        inj = INJECTORS.get(name)
        if inj is None:
            continue
        at = {v: counts.get((inj.documented_size, v), 0) for v in VERDICTS}
        runs = sum(at.values())
        injected[name] = {
            "family": inj.family,
            "check": inj.check,
            "documented_size": inj.documented_size,
            "runs": runs,
            "verdicts": at,
            "release_rate": at["release"] / runs if runs else None,
            "gates": dict(sorted(gates_seen[name].items(), key=lambda kv: -kv[1])),
            "must_not_release": MUST_NOT_RELEASE.get(name),
        }
    return {"untouched": dict(sorted(untouched.items())), "injected": injected}


def summarise(records: Sequence[Mapping[str, Any]], cards: Iterable[Card] | None = None) -> dict[str, Any]:
    cards = list(cards) if cards is not None else None
    stale = [r for r in records if r.get("stale")]
    current = relabel([r for r in records if not r.get("stale")], cards)
    detection = detection_table(current)
    alarms = false_alarm_table(current)
    return {
        "detection": detection,
        "false_alarms": alarms,
        "per_check": per_check(detection, alarms),
        "verdicts": verdict_table(current, cards),
        "tasks": len(current),
        "stale": {"count": len(stale), "keys": sorted(r["key"] for r in stale)[:50]},
        "old_engine": sum(bool(r.get("old_engine")) for r in current),
    }
