"""Turn trust-benchmark records into figures: detection by size, row precision/recall, false alarms.

Detection of an injection counts when the matching check reports a finding on the planted rows
(or, for a planted column, on that column) at or above a severity. Rates are over the tasks where
the injector applied; a task whose check could not run counts as a miss, so a check that is often
not applicable cannot look sensitive. False alarms are the findings at warning or above on an
untouched real table whose check the table's card does not name as a documented defect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from benchmarks.trust.injectors import INJECTORS

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
LEVELS = ("info", "warning", "error")
TARGET_DETECTION = 0.9


def _rank(severity: str | None) -> int:
    return -1 if severity is None else SEVERITY_RANK[severity]


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def detection_table(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per injector and size: tasks, detection rate at each severity, mean row precision and recall."""
    by: dict[tuple[str, float], list[Mapping[str, Any]]] = defaultdict(list)
    skipped: dict[str, dict[str, str]] = defaultdict(dict)
    for r in records:
        if r.get("injector") is None:
            continue
        if r["status"] in ("done", "error"):
            by[(r["injector"], r["size"])].append(r)
        else:
            skipped[r["injector"]][r["table"]] = r.get("reason", r["status"])
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
        out[name] = {
            "check": inj.check,
            "family": inj.family,
            "size_name": inj.size_name,
            "documented_size": inj.documented_size,
            "severity": level,
            "size_reaching_90": reached,
            "at_documented_size": documented,
            "sizes": sizes,
            "not_applicable": dict(sorted(skipped.get(name, {}).items())),
        }
    return out


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


def summarise(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    detection = detection_table(records)
    alarms = false_alarm_table(records)
    return {
        "detection": detection,
        "false_alarms": alarms,
        "per_check": per_check(detection, alarms),
        "tasks": len(records),
    }
