"""Remedies: the ordered, machine-readable preprocessing steps that answer the findings.

The order is the order in which pre-qualification applies them: first make the file safe, then
remove what is not data, then repair values, then fill what is missing, and last the steps that
need a person (review) or new data (collect). Each check declares its remedy (action, order,
automatic) on its class; this module only groups, orders and describes.

Each step keeps the keys `step, action, check, columns, rows, description` (`rows` is the number
of records concerned) and adds `positions` (the record positions, capped like a finding's rows),
`params` (the numbers the action needs, taken from the findings' evidence), `severity` (the worst
finding answered), `automatic` (whether pre-qualification can apply it without a person) and
`gate` (the scoring gate the step closes, when known).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from datacert.checks import Remedy, load_all_checks
from datacert.findings import MAX_ROWS_LISTED, Finding, Severity

# Evidence entries passed on as the action's parameters (small scalars and short lists only).
_PARAM_LIMIT = 50
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


def _params(findings: Sequence[Finding]) -> dict[str, Any]:
    """Evidence the action may need: scalars and short lists, per column when findings are per column."""
    per_column: dict[str, dict[str, Any]] = {}
    shared: dict[str, Any] = {}
    for f in findings:
        small = {k: v for k, v in f.evidence.items() if _small(v)}
        if len(f.columns) == 1:
            per_column.setdefault(f.columns[0], {}).update(small)
        else:
            for k, v in small.items():
                shared.setdefault(k, v)
    out: dict[str, Any] = dict(shared)
    if per_column:
        out["by_column"] = dict(list(per_column.items())[:_PARAM_LIMIT])
    return out


def _small(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, str) or len(value) <= 200
    if isinstance(value, (list, tuple)):
        return len(value) <= _PARAM_LIMIT and all(
            _small(v) and not isinstance(v, (list, tuple, dict)) for v in value
        )
    if isinstance(value, Mapping):
        return len(value) <= _PARAM_LIMIT and all(
            _small(v) and not isinstance(v, Mapping) for v in value.values()
        )
    return False


def remedies_of(check_ids: Iterable[str]) -> dict[str, Remedy]:
    """The remedy each check declares; a check this build does not know asks for review."""
    wanted = set(check_ids)
    registry = load_all_checks(wanted)
    return {c: registry[c].remedy if c in registry else Remedy() for c in wanted}


def build_remedies(
    findings: Sequence[Finding], gate_of: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One step per (action, check), ordered; only for findings at warning level or above.

    `gate_of` maps check ids to the gate each step closes (from the scoring decision).
    """
    remedy_of = remedies_of(f.check for f in findings)
    grouped: dict[tuple[str, str], list[Finding]] = {}
    order_of: dict[tuple[str, str], int] = {}
    for f in findings:
        if f.severity == Severity.INFO:
            continue
        remedy = remedy_of[f.check]
        key = (remedy.action, f.check)
        grouped.setdefault(key, []).append(f)
        order_of[key] = remedy.order
    steps = []
    for key in sorted(grouped, key=lambda k: (order_of[k], k[0], k[1])):
        action, check = key
        found = grouped[key]
        positions = sorted({r for f in found for r in f.rows})
        beyond = sum(max(0, f.row_count - len(f.rows)) for f in found)
        worst = max(found, key=lambda f: _SEVERITY_RANK[f.severity])
        steps.append(
            {
                "action": action,
                "check": check,
                "columns": sorted({c for f in found for c in f.columns}),
                "rows": len(positions) + beyond,
                "positions": positions[:MAX_ROWS_LISTED],
                "description": worst.remedy or found[0].remedy,
                "params": _params(found),
                "severity": str(worst.severity),
                "automatic": remedy_of[check].automatic,
                "gate": (gate_of or {}).get(check),
            }
        )
    return [{"step": i + 1, **s} for i, s in enumerate(steps)]
