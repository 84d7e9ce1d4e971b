"""Audit events and the hash chain that seals them.

An event says who ran which command with which options on which files (by fingerprint) and what
came out (fingerprints, paths, verdict). It never holds a record value: counts and hashes only.
Each sealed event carries its position (`seq`), the hash of the event before it (`prev_hash`) and
its own hash over everything else, so that editing, deleting, inserting or moving an event breaks
the chain at a place `verify_chain` can name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64  # prev_hash of the first event
EVENT_VERSION = 1


def canonical_bytes(value: Any) -> bytes:
    """The one serialisation that hashes and signatures are computed over (RFC 8785 in spirit)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileRef:
    """A file a command read or wrote: where, how big, and the SHA-256 of its bytes."""

    path: str
    sha256: str
    bytes: int
    kind: str = "data"  # data, certificate, plan, table, report, spans, key, ...
    # the table's content fingerprint (datacert.fingerprint) when the command knows it
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "kind": self.kind,
        }
        if self.fingerprint:
            out["fingerprint"] = self.fingerprint
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileRef:
        return cls(
            path=str(data["path"]),
            sha256=str(data["sha256"]),
            bytes=int(data["bytes"]),
            kind=str(data.get("kind", "data")),
            fingerprint=data.get("fingerprint"),
        )


@dataclass(frozen=True)
class EventDraft:
    """What a command reports; the store seals it (seq, prev_hash, hash) when it appends it."""

    time: str
    tool_version: str
    command: str
    actor: str
    options: Mapping[str, Any] = field(default_factory=dict)
    inputs: Sequence[FileRef] = ()
    outputs: Sequence[FileRef] = ()
    # dataset facts without values: fingerprint, rows, columns
    dataset: Mapping[str, Any] = field(default_factory=dict)
    verdict: str | None = None
    exit_code: int | None = None

    def body(self) -> dict[str, Any]:
        return {
            "event_version": EVENT_VERSION,
            "time": self.time,
            "tool_version": self.tool_version,
            "command": self.command,
            "actor": self.actor,
            "options": dict(self.options),
            "inputs": [f.to_dict() for f in self.inputs],
            "outputs": [f.to_dict() for f in self.outputs],
            "dataset": dict(self.dataset),
            "verdict": self.verdict,
            "exit_code": self.exit_code,
        }


@dataclass(frozen=True)
class AuditEvent:
    """A sealed event as stored: its body plus seq, prev_hash and hash."""

    seq: int
    prev_hash: str
    hash: str
    body: Mapping[str, Any]

    @property
    def command(self) -> str:
        return str(self.body.get("command", "?"))

    @property
    def time(self) -> str:
        return str(self.body.get("time", "?"))

    def inputs(self) -> list[FileRef]:
        return [FileRef.from_dict(f) for f in self.body.get("inputs", [])]

    def outputs(self) -> list[FileRef]:
        return [FileRef.from_dict(f) for f in self.body.get("outputs", [])]

    def expected_hash(self) -> str:
        return event_hash(self.seq, self.prev_hash, self.body)

    def describe(self) -> str:
        return f"event #{self.seq} ({self.command}, {self.time})"

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "prev_hash": self.prev_hash, "hash": self.hash, **dict(self.body)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEvent:
        body = {k: v for k, v in data.items() if k not in ("seq", "prev_hash", "hash")}
        return cls(seq=int(data["seq"]), prev_hash=str(data["prev_hash"]), hash=str(data["hash"]), body=body)


def event_hash(seq: int, prev_hash: str, body: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_bytes({"seq": seq, "prev_hash": prev_hash, "body": dict(body)}))


def seal(draft: EventDraft, seq: int, prev_hash: str) -> AuditEvent:
    """Give a draft its place in the chain. Every store implementation appends through this."""
    body = json.loads(canonical_bytes(draft.body()))  # plain JSON values only, as they will be read back
    return AuditEvent(seq=seq, prev_hash=prev_hash, hash=event_hash(seq, prev_hash, body), body=body)
