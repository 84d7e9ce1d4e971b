"""Gate-first verdict (methods §10.3): gates decide, floors and coverage only ever hold back.

Order of decision:
1. a blocking gate fires -> reject;
2. a fixable gate fires, evidence is missing (a required role, a crashed check, coverage below a
   floor), or a score's lower bound is below its floor -> prequalify;
3. otherwise release.
Broadly poor data (overall lower bound below `reject_overall`) with no gate at all -> reject.
Missing evidence therefore never yields release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from datacert.checks import CheckOutcome
from datacert.findings import DIMENSIONS, Finding, Severity, Status
from datacert.roles import Roles
from datacert.scoring._profile import Condition, Gate, ScoringProfile
from datacert.scoring._scores import ScoreResult, finding_rate, lower

ROLE_NEEDS = {
    "target": "label quality and leakage",
    "group": "leakage between patients",
    "split": "leakage across partitions",
    "sensitive": "representativeness and bias",
    "time": "temporal order",
    "id": "duplicate identifiers",
    "text": "free-text privacy",
}


class Verdict(StrEnum):
    RELEASE = "release"
    PREQUALIFY = "prequalify"
    REJECT = "reject"

    @property
    def exit_code(self) -> int:
        return {Verdict.RELEASE: 0, Verdict.PREQUALIFY: 3, Verdict.REJECT: 4}[self]


FAIL_ON = ("prequalify", "reject")


def exit_code_for(verdict: str, fail_on: str = "prequalify") -> int:
    """Exit code of a verdict for a pipeline: `fail_on=reject` lets pre-qualified data pass (exit 0).

    The default (`prequalify`) is the contract's mapping: 0 release, 3 prequalify, 4 reject.
    """
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    code = Verdict(verdict).exit_code
    if fail_on == "reject" and verdict == Verdict.PREQUALIFY:
        return 0
    return code


@dataclass(frozen=True)
class GateOutcome:
    """One gate as evaluated on this dataset: fired (decides), passed, or not evaluated (no evidence)."""

    id: str
    kind: str  # blocking | fixable | evidence | floor
    status: str  # fired | passed | not_evaluated
    reason: str = ""
    checks: tuple[str, ...] = ()
    findings: int = 0
    records: int = 0
    columns: tuple[str, ...] = ()
    automatic: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "checks": list(self.checks),
            "findings": self.findings,
            "records": self.records,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.columns:
            out["columns"] = list(self.columns[:20])
        if self.automatic:
            out["automatic"] = True
        return out


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: list[str]
    gates: list[GateOutcome] = field(default_factory=list)
    band: str = "B"


def condition_holds(cond: Condition, finding: Finding, n_rows: int) -> bool:
    if Severity(finding.severity).rank < Severity(cond.min_severity).rank:
        return False
    if cond.rate_at_least is not None:
        rate = finding_rate(finding, n_rows)
        if rate is None or rate < cond.rate_at_least:
            return False
    if any(key in finding.evidence for key in cond.evidence_absent):
        return False
    for key, bar in cond.evidence_at_least.items():
        value = finding.evidence.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < bar:
            return False
    return True


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "several"


def _sentence(template: str, matched: Sequence[Finding], n_rows: int) -> str:
    rates = [r for r in (finding_rate(f, n_rows) for f in matched) if r is not None]
    columns = sorted({c for f in matched for c in f.columns}, key=lambda c: (c.lower(), c))
    shown = ", ".join(columns[:3]) + (f" and {len(columns) - 3:,} more" if len(columns) > 3 else "")
    values = _Blank(
        count=f"{len(matched):,}",
        checks=", ".join(sorted({f.check for f in matched})),
        records=f"{_records(matched, n_rows):,}",
    )
    if rates:
        values["rate"] = f"{max(rates):.0%}"
    if columns:
        values["columns"] = shown
    else:
        values["columns"] = "whole records"
    try:
        return template.format_map(values)
    except (ValueError, IndexError, KeyError):
        return template


def _records(matched: Sequence[Finding], n_rows: int) -> int:
    listed = {r for f in matched for r in f.rows}
    beyond = sum(max(0, f.row_count - len(f.rows)) for f in matched)
    return min(n_rows, len(listed) + beyond) if n_rows else len(listed) + beyond


def _evaluate(
    gate: Gate, findings: Sequence[Finding], ran: set[str], n_rows: int
) -> tuple[GateOutcome, list[int]]:
    matched_idx = [
        i
        for i, f in enumerate(findings)
        if f.check in gate.checks and any(condition_holds(c, f, n_rows) for c in gate.when)
    ]
    matched = [findings[i] for i in matched_idx]
    if matched:
        cols = tuple(sorted({c for f in matched for c in f.columns}))
        return GateOutcome(
            gate.id,
            gate.kind,
            "fired",
            _sentence(gate.reason, matched, n_rows),
            gate.checks,
            len(matched),
            _records(matched, n_rows),
            cols,
        ), matched_idx
    status = "passed" if any(c in ran for c in gate.checks) else "not_evaluated"
    return GateOutcome(gate.id, gate.kind, status, "", gate.checks), []


def _finish(message: str) -> str:
    message = message.strip()
    return message if message.endswith((".", "!", "?")) else message + "."


def decide(
    profile: ScoringProfile,
    outcomes: Sequence[CheckOutcome],
    findings: Sequence[Finding],
    scores: ScoreResult,
    roles: Roles,
    n_rows: int,
) -> Decision:
    """Evaluate every gate, then apply the decision rule; reasons are the fired gates' sentences."""
    ran = {o.check for o in outcomes if o.status in (Status.FIRED, Status.QUIET)}
    gates: list[GateOutcome] = []
    claimed: set[int] = set()
    for gate in profile.gates:
        result, idx = _evaluate(gate, findings, ran, n_rows)
        gates.append(result)
        claimed.update(idx)

    # the shared severity convention decides for findings no gate claims
    for severity, kind in ((Severity.CRITICAL, "blocking"), (Severity.ERROR, "fixable")):
        by_check: dict[str, list[Finding]] = {}
        for i, f in enumerate(findings):
            if i not in claimed and f.severity == severity:
                by_check.setdefault(f.check, []).append(f)
        for check, found in sorted(by_check.items()):
            cols = tuple(sorted({c for f in found for c in f.columns}))
            gates.append(
                GateOutcome(
                    f"{check}_{severity}",
                    kind,
                    "fired",
                    _finish(found[0].message),
                    (check,),
                    len(found),
                    _records(found, n_rows),
                    cols,
                    automatic=True,
                )
            )

    # missing evidence
    missing_roles = [r for r in profile.required_roles if not roles.has(r)]
    for role in missing_roles:
        gates.append(
            GateOutcome(
                f"required_role_{role}",
                "evidence",
                "fired",
                f"No {role} column was given (--{role}), so {ROLE_NEEDS.get(role, 'part of the data')} "
                f"cannot be assessed and the data cannot be released.",
            )
        )
    crashed = sorted(o.check for o in outcomes if o.status == Status.ERROR)
    if crashed:
        gates.append(
            GateOutcome(
                "check_failed",
                "evidence",
                "fired",
                f"The check{'s' if len(crashed) > 1 else ''} {', '.join(crashed)} could not run, "
                f"so part of the evidence is missing.",
                tuple(crashed),
            )
        )
    for dim, floor in profile.floors.coverage.items():
        have = scores.coverage.get(dim)
        if have is None:  # this version has no indicator for the dimension: nothing to demand
            gates.append(GateOutcome(f"coverage_{dim}", "evidence", "not_evaluated"))
            continue
        status = "fired" if have < floor else "passed"
        reason = (
            (
                f"Only {have:.0%} of the {dim.replace('_', ' ')} indicators could be computed (the "
                "profile needs "
                f"{floor:.0%}), so missing evidence prevents release."
            )
            if status == "fired"
            else ""
        )
        gates.append(GateOutcome(f"coverage_{dim}", "evidence", status, reason))
    overall_low = lower(scores, "overall")
    if scores.scores.get("overall") is None:
        gates.append(
            GateOutcome(
                "no_overall_score",
                "evidence",
                "fired",
                "Too few dimensions could be assessed to compute an overall score.",
            )
        )

    # floors, on the lower ends of the intervals
    fl = profile.floors
    if overall_low is not None:
        status = "fired" if overall_low < fl.overall else "passed"
        gates.append(
            GateOutcome(
                "overall_floor",
                "floor",
                status,
                f"The overall score is {overall_low:.0f} at the lower end of its interval, below the "
                f"profile's floor of {fl.overall:.0f}."
                if status == "fired"
                else "",
            )
        )
    weak = [
        d
        for d in DIMENSIONS
        if scores.scores.get(d) is not None
        and (scores.coverage.get(d) or 0.0) >= fl.min_coverage_for_overall
        and (lower(scores, d) or 0) < fl.dimension
    ]
    gates.append(
        GateOutcome(
            "dimension_floor",
            "floor",
            "fired" if weak else "passed",
            f"The {', '.join(d.replace('_', ' ') for d in weak)} "
            f"score{'s fall' if len(weak) > 1 else ' falls'} "
            f"below the profile's floor of {fl.dimension:.0f} at the lower end of the interval."
            if weak
            else "",
        )
    )

    fired = [g for g in gates if g.status == "fired"]
    blocking = [g for g in fired if g.kind == "blocking"]
    holding = [g for g in fired if g.kind in ("fixable", "evidence", "floor")]
    any_gate = [g for g in fired if g.kind in ("blocking", "fixable")]
    if not any_gate and overall_low is not None and overall_low < fl.reject_overall:
        poor = GateOutcome(
            "broadly_poor",
            "blocking",
            "fired",
            f"The data are broadly poor (overall score {overall_low:.0f} at the lower end of its "
            f"interval) with no single defect to fix, so they are not fit for training.",
        )
        gates.append(poor)
        blocking = [poor]
    band = _band(gates)
    if blocking:
        # a leaking column is named even when something else rejects: it changes what the rest means
        leaks = [g for g in fired if g.kind == "fixable" and _is_leakage(g)]
        return Decision(Verdict.REJECT, _by_importance(leaks + blocking), gates, band)
    if holding:
        return Decision(Verdict.PREQUALIFY, _by_importance(holding), gates, band)
    overall = scores.scores["overall"]
    return Decision(
        Verdict.RELEASE,
        [
            f"No gate fired, the evidence the {profile.name} profile requires is present, and every "
            "score clears its "
            f"floor (overall {overall:.0f})."
        ],
        gates,
        band,
    )


def _is_leakage(gate: GateOutcome) -> bool:
    from datacert.scoring._profile import CATALOGUE

    return any(CATALOGUE.get(c) == "leakage" for c in gate.checks)


def _by_importance(gates: Sequence[GateOutcome]) -> list[str]:
    """Reasons in order of importance: leakage first (a leaking column invalidates every other
    measurement), then blocking gates, fixable gates, missing evidence and floors."""
    order = {"blocking": 1, "fixable": 2, "evidence": 3, "floor": 4}

    def rank(gate: GateOutcome) -> int:
        return 0 if _is_leakage(gate) and gate.kind in ("blocking", "fixable") else order[gate.kind]

    reasons: list[str] = []
    for gate in sorted(gates, key=rank):  # sorted is stable: the profile's order within a rank
        if gate.reason and gate.reason not in reasons:
            reasons.append(gate.reason)
    return reasons


_EARLY = {"completeness", "conformance", "plausibility", "uniqueness"}


def _band(gates: Sequence[GateOutcome]) -> str:
    """Lawrence's data-readiness band as context: B while a D1-D4 fix is open, else A."""
    from datacert.scoring._profile import CATALOGUE

    for g in gates:
        if g.status == "fired" and g.kind in ("fixable", "blocking"):
            if any(CATALOGUE.get(c) in _EARLY for c in g.checks):
                return "B"
    return "A"
