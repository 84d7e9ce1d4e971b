"""EU AI Act (Regulation (EU) 2024/1689) article 10 traceability matrix, built from a certificate.

Each requirement of art. 10(2)(a)–(h), 10(3), 10(4) and 10(5) (methods §1.4) is mapped to what
the certificate shows: the checks that examined it (and whether they ran), the figures, the
findings, the remedies recommended and those a pre-qualification applied, the lineage. A
requirement datacert cannot evidence is marked "not covered" with the reason, and the part that
only the provider can document is said; no row is left empty. The Act names no method or
threshold, so the matrix records how each property was examined, not only a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datacert.checks import checks_about

COVERED, PARTIAL, NOT_COVERED = "covered", "partial", "not covered"


@dataclass(frozen=True)
class Requirement:
    article: str
    requirement: str  # a short paraphrase of the provision
    topic: str | None = None  # the governance topic whose checks examine it (each check declares its own)
    dimensions: tuple[str, ...] = ()
    provider_part: str = ""  # what only the provider can document

    @property
    def checks(self) -> tuple[str, ...]:
        """The registered checks that bear on this requirement."""
        return checks_about(self.topic) if self.topic else ()


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "10(2)(a)",
        "Data governance covers the relevant design choices.",
        dimensions=(),
        provider_part="the model's design choices and why this data fits them",
    ),
    Requirement(
        "10(2)(b)",
        "Data collection processes, the origin of the data and, for personal data, the original purpose "
        "of collection.",
        provider_part="how, where and when the data were collected, and the original purpose",
    ),
    Requirement(
        "10(2)(c)",
        "Data-preparation operations: annotation, labelling, cleaning, updating, enrichment, aggregation.",
        topic="labelling",
        provider_part="annotation and labelling protocols, updates and enrichments made before datacert",
    ),
    Requirement(
        "10(2)(d)",
        "The assumptions made, notably about what the data measure and represent.",
        provider_part="what each variable is assumed to measure and represent",
    ),
    Requirement(
        "10(2)(e)",
        "An assessment of the availability, quantity and suitability of the data sets needed.",
        topic="sufficiency",
        dimensions=("informativeness", "completeness"),
    ),
    Requirement(
        "10(2)(f)",
        "Examination for possible biases that affect health, safety or fundamental rights or lead to "
        "discrimination, especially through feedback loops.",
        topic="bias",
        dimensions=("representativeness",),
        provider_part="feedback loops of the deployed system (they arise after training)",
    ),
    Requirement(
        "10(2)(g)",
        "Measures to detect, prevent and mitigate the biases identified.",
        topic="subgroups",
        provider_part="mitigation beyond the data (re-collection, reweighting, per-subgroup evaluation)",
    ),
    Requirement(
        "10(2)(h)",
        "Identification of data gaps or shortcomings that prevent compliance, and how they are addressed.",
    ),
    Requirement(
        "10(3)",
        "Training, validation and test sets are relevant, sufficiently representative, as free of errors "
        "and as complete as possible, with appropriate statistical properties for the persons concerned.",
        dimensions=(
            "completeness",
            "conformance",
            "plausibility",
            "uniqueness",
            "label_quality",
            "representativeness",
            "leakage",
        ),
        provider_part="relevance to the intended purpose",
    ),
    Requirement(
        "10(4)",
        "The data take into account the geographical, contextual, behavioural or functional setting of use.",
        topic="setting",
        dimensions=("consistency",),
        provider_part="the intended setting of use, and data from it",
    ),
    Requirement(
        "10(5)",
        "Special categories of personal data processed for bias detection and correction only, under "
        "safeguards (pseudonymisation, access control, deletion, no transfer).",
        topic="personal_data",
        dimensions=("privacy",),
        provider_part="the legal basis and the safeguards of art. 10(5)(a)–(f)",
    ),
)


@dataclass
class Row:
    article: str
    requirement: str
    status: str
    evidence: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    remedies_applied: list[str] = field(default_factory=list)
    remedies_recommended: list[str] = field(default_factory=list)
    not_covered_because: str | None = None
    provider_part: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()}


class _View:
    """Read-only helpers over a certificate dict."""

    def __init__(self, cert: Mapping[str, Any], events: Sequence[Any] = ()) -> None:
        self.cert = cert
        self.events = list(events)
        self.checks = {c["check"]: c for c in cert.get("checks", [])}
        self.findings = list(cert.get("findings", []))
        self.roles = (cert.get("dataset") or {}).get("roles") or {}
        self.scores = cert.get("scores") or {}
        self.pq = cert.get("prequalification") or {}

    def check_status(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for check_id in ids:
            entry = self.checks.get(check_id)
            if entry is None:
                out.append({"check": check_id, "status": "absent"})
            else:
                item = {
                    "check": check_id,
                    "status": entry.get("status"),
                    "findings": entry.get("findings", 0),
                }
                if entry.get("reason"):
                    item["reason"] = entry["reason"]
                out.append(item)
        return out

    def status(self, check_id: str) -> str | None:
        return (self.checks.get(check_id) or {}).get("status")

    def evidence(self, check_id: str) -> Mapping[str, Any]:
        return (self.checks.get(check_id) or {}).get("evidence") or {}

    def ran(self, ids: Sequence[str]) -> list[str]:
        return [
            c for c in ids if (self.checks.get(c) or {}).get("status") in ("quiet", "fired", "ok", "passed")
        ]

    def finding_lines(self, ids: Sequence[str] | None = None, min_severity: str = "info") -> list[str]:
        ranks = ["info", "warning", "error", "critical"]
        floor = ranks.index(min_severity)
        out = []
        for f in self.findings:
            if (ids is None or f["check"] in ids) and ranks.index(f["severity"]) >= floor:
                out.append(f"[{f['severity']}] {f['check']}: {f['message']}")
        return out

    def remedies(self, ids: Sequence[str] | None = None) -> list[str]:
        return [
            f"{r['action']} ({r['check']})"
            for r in self.cert.get("remedies", [])
            if ids is None or r.get("check") in ids
        ]

    def applied(self) -> list[str]:
        steps = list(self.pq.get("row_steps") or []) + list(self.pq.get("steps") or [])
        return [str(s.get("action")) for s in steps]


def _ran_status(entry_status: str | None) -> bool:
    return entry_status not in (None, "absent", "not_applicable", "error")


def build_matrix(certificate: Mapping[str, Any], events: Sequence[Any] = ()) -> list[Row]:
    """One row per requirement, in the Act's order."""
    view = _View(certificate, events)
    return [_row(req, view) for req in REQUIREMENTS]


def _row(req: Requirement, view: _View) -> Row:
    row = Row(req.article, req.requirement, PARTIAL, provider_part=req.provider_part)
    row.checks = view.check_status(req.checks)
    ran = [c["check"] for c in row.checks if _ran_status(c["status"])]
    row.findings = view.finding_lines(req.checks) if req.checks else []
    row.remedies_recommended = view.remedies(req.checks) if req.checks else []
    row.figures = {d: view.scores[d] for d in req.dimensions if d in view.scores}
    builder = _BUILDERS.get(req.article)
    if builder is not None:
        builder(row, view, ran)
    else:
        _default(row, view, ran)
    if not row.evidence and not row.not_covered_because:
        row.status = NOT_COVERED
        row.not_covered_because = "no check of this certificate bears on it."
    return row


def _default(row: Row, view: _View, ran: list[str]) -> None:
    if ran:
        row.evidence.append("examined by " + ", ".join(ran) + ".")
    else:
        row.status = NOT_COVERED
        row.not_covered_because = "none of the checks that bear on it could run on this data."


def _design(row: Row, view: _View, ran: list[str]) -> None:
    profile = view.cert.get("scoring_profile") or {}
    declared = {k: v for k, v in view.roles.items() if v}
    inferred = (view.cert.get("dataset") or {}).get("inferred") or {}
    row.evidence.append(
        f"roles declared for the assay: {declared or 'none'}; inferred: {inferred or 'none'}."
    )
    row.evidence.append(
        f"scoring profile {profile.get('name', '?')} {profile.get('version', '')} and policy "
        f"{(view.cert.get('options') or {}).get('policy', 'default')}; required roles "
        f"{profile.get('required_roles', [])}."
    )
    row.figures = {"checks_run": sum(1 for c in view.checks.values() if _ran_status(c.get("status")))}


def _origin(row: Row, view: _View, ran: list[str]) -> None:
    dataset = view.cert.get("dataset") or {}
    lineage = view.cert.get("lineage") or {}
    source = lineage.get("source") or {}
    row.evidence.append(
        f"source table {source.get('path') or dataset.get('path') or '(in memory)'} with content fingerprint "
        f"{source.get('fingerprint') or dataset.get('fingerprint')}; format {dataset.get('format')}, "
        f"{dataset.get('rows')} records × {dataset.get('columns')} columns."
    )
    if view.events:
        row.evidence.append(
            f"audit log: {len(view.events)} recorded event(s) in this data's lineage, hash-chained "
            "(see audit-log excerpt)."
        )


def _preparation(row: Row, view: _View, ran: list[str]) -> None:
    applied = view.applied()
    if applied:
        row.remedies_applied = applied
        row.evidence.append(
            f"pre-qualification applied {len(applied)} step(s) with recorded parameters, input "
            f"{view.pq.get('input_fingerprint')} -> output {view.pq.get('output_fingerprint')} "
            f"({len(view.pq.get('removed_rows') or [])} records removed)."
        )
    else:
        row.evidence.append(
            "no preparation step was applied by datacert to this table (lineage has no steps)."
        )
    derived = [
        e for e in view.events if getattr(e, "command", "") in ("prequalify", "apply", "text deid", "synth")
    ]
    if derived:
        row.evidence.append(
            "recorded preparation events: " + ", ".join(f"#{e.seq} {e.command}" for e in derived) + "."
        )
    if ran:
        row.evidence.append("labelling examined by " + ", ".join(ran) + ".")
    row.remedies_recommended = view.remedies()


def _assumptions(row: Row, view: _View, ran: list[str]) -> None:
    gates = view.cert.get("gates") or []
    row.evidence.append(
        f"{len(gates)} verdict gate(s) with their thresholds are stated in the certificate "
        f"(scoring profile {(view.cert.get('scoring_profile') or {}).get('name', '?')})."
    )
    inferred = (view.cert.get("dataset") or {}).get("inferred") or {}
    types = (view.cert.get("dataset") or {}).get("semantic_types") or {}
    row.evidence.append(
        f"semantic type assumed for each of the {len(types)} columns; roles inferred: "
        f"{sorted(inferred) or 'none'}."
    )
    stake = (view.cert.get("energy") or {}).get("at_stake") or {}
    if stake.get("assumption"):
        row.evidence.append("energy at stake: " + stake["assumption"])


def _quantity(row: Row, view: _View, ran: list[str]) -> None:
    dataset = view.cert.get("dataset") or {}
    rows, cols = dataset.get("rows") or 0, dataset.get("columns") or 0
    row.figures.update(
        {"records": rows, "columns": cols, "p_over_n": round(cols / rows, 4) if rows else None}
    )
    if ran:
        row.evidence.append("availability, quantity and suitability examined by " + ", ".join(ran) + ".")
        row.status = COVERED
    else:
        row.evidence.append(f"{rows} records × {cols} columns; no sufficiency check could run.")


def _bias_exam(row: Row, view: _View, ran: list[str]) -> None:
    sensitive = view.roles.get("sensitive") or []
    if not sensitive:
        row.status = NOT_COVERED
        row.not_covered_because = (
            "no sensitive attribute was declared (--sensitive), so subgroup sizes and outcome disparities "
            "were not examined" + (f"; {', '.join(ran)} ran" if ran else "") + "."
        )
        return
    row.evidence.append(
        f"sensitive attributes examined: {', '.join(sensitive)}; checks run: {', '.join(ran)}."
    )
    row.status = COVERED if set(checks_about("subgroups")) <= set(ran) else PARTIAL


def _bias_measures(row: Row, view: _View, ran: list[str]) -> None:
    sensitive = view.roles.get("sensitive") or []
    if not sensitive:
        row.status = NOT_COVERED
        row.not_covered_because = "no sensitive attribute was declared, so no bias was detected or mitigated."
        return
    row.evidence.append(f"detection: {', '.join(ran) or 'no check could run'} on {', '.join(sensitive)}.")
    bias_checks = set(checks_about("subgroups")) | set(checks_about("class_balance"))
    gates = [g for g in view.cert.get("gates") or [] if set(g.get("checks", [])) & bias_checks]
    if gates:
        row.evidence.append(
            "prevention: verdict gates " + ", ".join(f"{g['id']} ({g['status']})" for g in gates) + "."
        )
    applied = [a for a in view.applied() if a in ("reweight", "resample", "stratify")]
    row.remedies_applied = applied
    if not applied:
        row.evidence.append(
            "mitigation: remedies are recommended; datacert applies none that change subgroup shares."
        )


def _gaps(row: Row, view: _View, ran: list[str]) -> None:
    serious = view.finding_lines(None, "warning")
    row.findings = serious
    not_run = [c for c in view.checks.values() if c.get("status") in ("not_applicable", "error")]
    row.figures = {
        "findings_warning_or_worse": len(serious),
        "checks_not_run": len(not_run),
        "verdict": view.cert.get("verdict"),
    }
    row.evidence.append(
        f"{len(serious)} finding(s) of warning or worse, each with a remedy; {len(not_run)} check(s) "
        "could not "
        "run and are listed with the reason (missing evidence never releases a dataset)."
    )
    row.evidence.extend(view.cert.get("reasons") or [])
    row.remedies_recommended = view.remedies()
    row.remedies_applied = view.applied()
    row.status = COVERED


def _quality(row: Row, view: _View, ran: list[str]) -> None:
    if not row.figures:
        row.status = NOT_COVERED
        row.not_covered_because = "no dimension score could be computed."
        return
    row.evidence.append(
        "dimension scores (0–100) with their bootstrap intervals and coverage: "
        + ", ".join(f"{k} {v:.0f}" for k, v in row.figures.items() if isinstance(v, (int, float)))
        + "."
    )
    row.findings = view.finding_lines(None, "error")
    row.status = PARTIAL  # relevance to the purpose is the provider's


def _setting(row: Row, view: _View, ran: list[str]) -> None:
    split = view.roles.get("split")
    reference = any(view.evidence(check_id).get("reference_given") for check_id in checks_about("setting"))
    shift_checks = checks_about("shift")
    shift = ", ".join(str((view.checks.get(c) or {}).get("status")) for c in shift_checks) or "None"
    if not split and not reference and not any(_ran_status(view.status(c)) for c in shift_checks):
        row.status = NOT_COVERED
        row.not_covered_because = (
            "no partition or site column (--split) and no reference population (--reference) was given, so "
            "the data could not be compared with the setting of use."
        )
        return
    partitions = {
        column: facts
        for c in shift_checks
        for column, facts in (view.evidence(c).get("partitions") or {}).items()
    }
    for column, facts in partitions.items():
        row.evidence.append(
            f"distribution shift across `{column}`"
            + (f" ({facts['detected_because']})" if facts.get("detected_because") else "")
            + f": classifier two-sample AUC {facts.get('c2st_auc')}, {facts.get('drifted_features')} of "
            f"{facts.get('features_tested')} features drifted."
        )
    if not partitions:
        row.evidence.append(f"distribution shift across {split or 'partitions'}: {shift}.")
    row.evidence.append(
        "subgroup shares compared with "
        + (
            "the declared reference population."
            if reference
            else "no reference population (--reference not given)."
        )
    )
    row.figures["partitions_tested"] = len(partitions)


def _special(row: Row, view: _View, ran: list[str]) -> None:
    sensitive = view.roles.get("sensitive") or []
    row.evidence.append(
        "identifiers screened by " + (", ".join(ran) or "no privacy check") + "; the audit log and evidence "
        "pack hold fingerprints and counts only, never record values."
    )
    if sensitive:
        row.evidence.append(
            f"sensitive attributes processed for bias measurement only: {', '.join(sensitive)}."
        )


_BUILDERS = {
    "10(2)(a)": _design,
    "10(2)(b)": _origin,
    "10(2)(c)": _preparation,
    "10(2)(d)": _assumptions,
    "10(2)(e)": _quantity,
    "10(2)(f)": _bias_exam,
    "10(2)(g)": _bias_measures,
    "10(2)(h)": _gaps,
    "10(3)": _quality,
    "10(4)": _setting,
    "10(5)": _special,
}


def matrix_markdown(rows: Sequence[Row]) -> str:
    lines = ["| article | status | evidence | not covered because / provider's part |", "|---|---|---|---|"]
    for r in rows:
        evidence = " ".join(r.evidence)[:600].replace("|", "/")
        why = r.not_covered_because or (
            f"to document by the provider: {r.provider_part}" if r.provider_part else ""
        )
        lines.append(f"| {r.article} | {r.status} | {evidence} | {why.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
