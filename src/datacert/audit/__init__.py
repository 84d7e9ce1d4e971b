"""Traceability: the audit log, signatures, lineage, the evidence pack and the energy bill.

One job per module: `events` (what an event is, the hash chain), `store` (the store interface and
its SQLite implementation), `verify` (finding edited, deleted, inserted and reordered events),
`recorder` (one run -> one event), `signing` (Ed25519 keys and signatures), `lineage` (the chain
from a certificate back to the raw file, PROV-JSON and SVG), `energy` (what a run and a training
campaign cost), and the evidence pack (`evidence`, `datasheet`, `art10`, `croissant`).
"""

from datacert.audit.events import AuditEvent, EventDraft, FileRef
from datacert.audit.recorder import current_actor, note_result, on_output, record, recording
from datacert.audit.store import AuditStore, SQLiteAuditStore, open_store, store_directory
from datacert.audit.verify import ChainReport, Problem, verify_chain

__all__ = [
    "AuditEvent",
    "AuditStore",
    "ChainReport",
    "EventDraft",
    "FileRef",
    "Problem",
    "SQLiteAuditStore",
    "current_actor",
    "note_result",
    "on_output",
    "open_store",
    "record",
    "recording",
    "store_directory",
    "verify_chain",
]
