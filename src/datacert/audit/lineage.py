"""Lineage: from a certificate (or plan, or data file) back to the raw file it came from.

Two sources, one picture. A certificate carries its own short lineage (`lineage_block`: the source
table's fingerprint and, for a pre-qualified table, the steps with their parameters); the audit
log links files by the SHA-256 of their bytes, so walking back through the events that wrote each
input (prequalify, apply, text deid...) reaches the first file no datacert command produced: the
raw file. The result exports as W3C PROV-JSON (with the `prov` package) and as a small SVG chain.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datacert.audit.events import AuditEvent, FileRef


def lineage_block(certificate: Mapping[str, Any]) -> dict[str, Any]:
    """The lineage a certificate states by itself: source table, then the steps that made this one."""
    dataset = certificate.get("dataset") or {}
    section = certificate.get("prequalification")
    if not section:
        return {
            "source": {"fingerprint": dataset.get("fingerprint"), "path": dataset.get("path")},
            "steps": [],
            "table": dataset.get("fingerprint"),
        }
    steps = [
        {k: v for k, v in step.items() if k in ("action", "stage", "columns", "params", "check")}
        for step in list(section.get("row_steps") or []) + list(section.get("steps") or [])
    ]
    return {
        "source": {"fingerprint": section.get("input_fingerprint"), "path": dataset.get("path")},
        "steps": [
            {"command": "prequalify", "operations": steps, "output": section.get("output_fingerprint")}
        ],
        "table": section.get("output_fingerprint"),
    }


def lineage_summary(block: Mapping[str, Any] | None) -> str:
    """One line: source fingerprint, then each step and the table it made."""
    block = block or {}
    source = block.get("source") or {}
    if not source.get("fingerprint"):
        return "no lineage recorded"
    parts = [f"{source.get('path') or 'source'} {str(source['fingerprint'])[:19]}"]
    for step in block.get("steps") or []:
        actions = ", ".join(str(o.get("action")) for o in step.get("operations", [])) or "no change"
        parts.append(f"{step.get('command')} ({actions}) -> {str(step.get('output'))[:19]}")
    if len(parts) == 1:
        parts.append("checked as received (no datacert step; `datacert lineage CERT` follows the audit log)")
    return " -> ".join(parts)


def with_lineage(certificate: Any) -> Any:
    """The certificate with its own `lineage` block (kept when a pre-qualification set one)."""
    from dataclasses import replace

    if "lineage" in certificate.extra:
        return certificate
    return replace(
        certificate,
        extra={**dict(certificate.extra), "lineage": lineage_block({"dataset": certificate.dataset})},
    )


@dataclass
class Lineage:
    """A provenance graph: files (by SHA-256), the events that used and wrote them, their actors."""

    files: dict[str, FileRef] = field(default_factory=dict)  # sha256 -> file
    events: list[AuditEvent] = field(default_factory=list)  # oldest first
    focus: str | None = None  # sha256 of the document the lineage was asked for
    statement: dict[str, Any] = field(default_factory=dict)  # the certificate's own lineage block

    @property
    def raw_files(self) -> list[FileRef]:
        """Data files no earlier recorded event wrote: where the chain starts."""
        seen: dict[str, FileRef] = {}
        for event in self.events:
            earlier = {r.sha256 for e in self.events if e.seq < event.seq for r in e.outputs()}
            for ref in event.inputs():
                if ref.kind == "data" and ref.sha256 not in earlier:
                    seen.setdefault(ref.sha256, ref)
        return list(seen.values())

    def chain(self) -> list[dict[str, Any]]:
        """Events oldest first, each with its data inputs and outputs (for text and drawing)."""
        out = []
        for event in self.events:
            out.append(
                {
                    "seq": event.seq,
                    "hash": event.hash,
                    "command": event.command,
                    "time": event.time,
                    "actor": event.body.get("actor"),
                    "verdict": event.body.get("verdict"),
                    "inputs": [r.to_dict() for r in event.inputs()],
                    "outputs": [r.to_dict() for r in event.outputs()],
                }
            )
        return out


def lineage_of(path: str | Path, events: Iterable[AuditEvent]) -> Lineage:
    """The lineage of a certificate, plan or data file on disk, from the log and its own statement."""
    from datacert.audit.recorder import file_ref

    path = Path(path)
    ref = file_ref(path)
    document: Mapping[str, Any] = {}
    if path.suffix.lower() == ".json":
        import json

        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            document = loaded if isinstance(loaded, dict) else {}
        except (ValueError, UnicodeDecodeError):
            document = {}
    fingerprint = (document.get("dataset") or {}).get("fingerprint") or (document.get("output") or {}).get(
        "fingerprint"
    )
    lineage = trace(events, ref.sha256, fingerprint)
    if document:
        lineage.statement = (
            dict(document.get("lineage") or lineage_block(document)) if "dataset" in document else {}
        )
        if document.get("kind") == "datacert-prequalification-plan":
            lineage.statement = {
                "source": {"fingerprint": document["input"]["fingerprint"], "path": None},
                "steps": [
                    {
                        "command": "prequalify",
                        "operations": [
                            {"action": s.get("action")}
                            for s in document.get("row_steps", []) + document.get("steps", [])
                        ],
                        "output": document["output"]["fingerprint"],
                    }
                ],
            }
    return lineage


def trace(events: Iterable[AuditEvent], sha256: str | None, fingerprint: str | None = None) -> Lineage:
    """Walk the log back from a file (by SHA-256 of its bytes, else by table fingerprint) to raw files.

    A file's maker is the latest event that wrote those bytes before the event that read them.
    """
    stored = list(events)
    writers: dict[str, list[AuditEvent]] = {}
    by_fingerprint: dict[str, AuditEvent] = {}
    for event in stored:
        for ref in event.outputs():
            writers.setdefault(ref.sha256, []).append(event)
            if ref.fingerprint and ref.kind in ("plan", "certificate"):
                by_fingerprint[ref.fingerprint] = event

    def maker(digest: str, before: int) -> AuditEvent | None:
        return max((e for e in writers.get(digest, []) if e.seq < before), key=lambda e: e.seq, default=None)

    start = maker(sha256 or "", 1 << 62) or (by_fingerprint.get(fingerprint) if fingerprint else None)
    picked: dict[int, AuditEvent] = {}
    frontier = [start] if start is not None else []
    while frontier:
        event = frontier.pop()
        if event.seq in picked:
            continue
        picked[event.seq] = event
        for ref in event.inputs():
            found = maker(ref.sha256, event.seq)
            if found is not None:
                frontier.append(found)
    lineage = Lineage(focus=sha256, events=sorted(picked.values(), key=lambda e: e.seq))
    for event in lineage.events:
        for ref in [*event.inputs(), *event.outputs()]:
            lineage.files.setdefault(ref.sha256, ref)
    return lineage


def to_prov(lineage: Lineage) -> Any:
    """The lineage as a prov.model.ProvDocument: entities, activities, agents and their relations."""
    from prov.model import ProvDocument

    doc = ProvDocument()
    doc.add_namespace("dc", "urn:datacert:")
    doc.add_namespace("sha256", "urn:sha256:")

    def entity(ref: FileRef) -> Any:
        attributes: dict[str, Any] = {
            "prov:label": Path(ref.path).name,
            "dc:path": ref.path,
            "dc:kind": ref.kind,
            "dc:bytes": ref.bytes,
        }
        if ref.fingerprint:
            attributes["dc:fingerprint"] = ref.fingerprint
        return doc.entity(f"sha256:{ref.sha256}", attributes)

    entities = {digest: entity(ref) for digest, ref in lineage.files.items()}
    _statement_to_prov(doc, lineage.statement)
    raw = {r.sha256 for r in lineage.raw_files}
    for digest in raw:
        entities[digest].add_attributes({"dc:role": "raw"})
    agents: dict[str, Any] = {}
    for event in lineage.events:
        activity = doc.activity(
            f"dc:event-{event.seq}-{event.hash[:12]}",
            event.time,
            None,
            {
                "prov:label": f"datacert {event.command}",
                "dc:seq": event.seq,
                "dc:event_hash": event.hash,
                "dc:tool_version": str(event.body.get("tool_version")),
                "dc:exit_code": event.body.get("exit_code")
                if event.body.get("exit_code") is not None
                else -1,
                **({"dc:verdict": event.body["verdict"]} if event.body.get("verdict") else {}),
            },
        )
        actor = str(event.body.get("actor") or "unknown")
        if actor not in agents:
            agents[actor] = doc.agent(f"dc:agent-{actor}", {"prov:label": actor, "prov:type": "prov:Person"})
        doc.wasAssociatedWith(activity, agents[actor])
        inputs = event.inputs()
        for ref in inputs:
            doc.used(activity, entities[ref.sha256])
        for ref in event.outputs():
            doc.wasGeneratedBy(entities[ref.sha256], activity)
            for source in inputs:
                if source.kind == "data":
                    doc.wasDerivedFrom(entities[ref.sha256], entities[source.sha256])
    return doc


def _statement_to_prov(doc: Any, statement: Mapping[str, Any]) -> None:
    """The certificate's own lineage: table fingerprints and the operations between them."""
    source = (statement or {}).get("source") or {}
    if not source.get("fingerprint"):
        return
    previous = doc.entity(
        f"dc:table-{str(source['fingerprint']).removeprefix('sha256:')}",
        {"prov:label": str(source.get("path") or "source table"), "dc:fingerprint": source["fingerprint"]},
    )
    for i, step in enumerate(statement.get("steps") or []):
        if not step.get("output"):
            continue
        operations = [str(o.get("action")) for o in step.get("operations", [])]
        activity = doc.activity(
            f"dc:step-{i + 1}-{step.get('command')}",
            None,
            None,
            {
                "prov:label": f"datacert {step.get('command')}",
                "dc:operations": ", ".join(operations) or "none",
            },
        )
        table = doc.entity(
            f"dc:table-{str(step['output']).removeprefix('sha256:')}",
            {"prov:label": "derived table", "dc:fingerprint": step["output"]},
        )
        doc.used(activity, previous)
        doc.wasGeneratedBy(table, activity)
        doc.wasDerivedFrom(table, previous, activity)
        previous = table


def to_prov_json(lineage: Lineage) -> str:
    return to_prov(lineage).serialize(format="json", indent=2) + "\n"


# ----------------------------------------------------------------------------------------------
# drawing: a vertical chain, file -> command -> file, small enough for a report
# ----------------------------------------------------------------------------------------------

_BOX_W, _BOX_H, _GAP = 300, 34, 22


def chain_nodes(lineage: Lineage) -> list[tuple[str, str, str]]:
    """(kind, title, subtitle) from the raw file down to the focus document."""
    if not lineage.events:
        return statement_nodes(lineage.statement)
    nodes: list[tuple[str, str, str]] = []
    shown: set[str] = set()
    if not lineage.raw_files:
        nodes.extend(statement_nodes(lineage.statement)[:1])
    for ref in lineage.raw_files:
        nodes.append(("raw", Path(ref.path).name, f"raw file · sha256 {ref.sha256[:12]}"))
        shown.add(ref.sha256)
    for event in lineage.events:
        verdict = f" → {event.body['verdict']}" if event.body.get("verdict") else ""
        nodes.append(
            ("step", f"datacert {event.command}{verdict}", f"event #{event.seq} · {event.body.get('actor')}")
        )
        for ref in event.outputs():
            if ref.sha256 in shown or ref.kind not in ("table", "certificate", "plan"):
                continue
            shown.add(ref.sha256)
            nodes.append((ref.kind, Path(ref.path).name, f"{ref.kind} · sha256 {ref.sha256[:12]}"))
    return nodes


def statement_nodes(statement: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The nodes of a certificate's own lineage block (when there is no log to walk)."""
    source = statement.get("source") or {}
    nodes = [
        (
            "raw",
            str(source.get("path") or "source table"),
            f"fingerprint {str(source.get('fingerprint'))[7:19]}",
        )
    ]
    for step in statement.get("steps") or []:
        actions = ", ".join(str(o.get("action")) for o in step.get("operations", [])[:4]) or "no change"
        nodes.append(("step", f"datacert {step.get('command')}", actions))
        nodes.append(("table", "derived table", f"fingerprint {str(step.get('output'))[7:19]}"))
    return nodes


def to_svg(nodes: list[tuple[str, str, str]]) -> str:
    """An SVG chain of boxes joined by arrows; steps are rounded, files square."""
    height = len(nodes) * (_BOX_H + _GAP) + 10
    colours = {
        "raw": "#e8eef7",
        "step": "#fff4de",
        "table": "#e9f6ec",
        "certificate": "#eef0ff",
        "plan": "#f5f5f5",
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_BOX_W + 20}" height="{height}" '
        f'viewBox="0 0 {_BOX_W + 20} {height}" role="img" aria-label="lineage" font-family="sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for i, (kind, title, subtitle) in enumerate(nodes):
        y = 5 + i * (_BOX_H + _GAP)
        radius = 12 if kind == "step" else 2
        parts.append(
            f'<rect x="10" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="{radius}" '
            f'fill="{colours.get(kind, "#fff")}" stroke="#555"/>'
            f'<text x="20" y="{y + 14}" font-size="12" font-weight="bold">{html.escape(title[:44])}</text>'
            f'<text x="20" y="{y + 28}" font-size="10" fill="#444">{html.escape(subtitle[:56])}</text>'
        )
        if i:
            parts.append(
                f'<line x1="{10 + _BOX_W // 2}" y1="{y - _GAP}" x2="{10 + _BOX_W // 2}" y2="{y - 2}" '
                'stroke="#555" marker-end="url(#arrow)"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
