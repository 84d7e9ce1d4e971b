"""Verification of an audit chain: is every event intact, present, unique and in its place?

The trusted order is the chain itself, walked backwards from the recorded head through each
event's `prev_hash`. Against it:
- an event whose stored hash is not the hash of its content was **edited**;
- a link that points to no stored event means events were **deleted** (their seq numbers are
  named from the gap);
- a stored event the chain never reaches was **inserted** (or, when its seq fills a deletion gap,
  an event was **replaced**: edited and re-hashed);
- chain events stored in another order than the chain's were **reordered**;
- a head that names no stored event means the newest events were **truncated**.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from datacert.audit.events import GENESIS, AuditEvent


@dataclass(frozen=True)
class Problem:
    kind: str  # edited, deleted, inserted, replaced, reordered, truncated
    seq: int | None
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "seq": self.seq, "message": self.message}


@dataclass(frozen=True)
class ChainReport:
    events: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"audit log intact: {self.events} event(s), chain and head agree."
        lines = [f"audit log TAMPERED: {len(self.problems)} problem(s) in {self.events} stored event(s)."]
        lines += [f"- {p.kind}: {p.message}" for p in self.problems]
        return "\n".join(lines)


def verify_chain(stored: Iterable[AuditEvent], head: tuple[int, str] | None) -> ChainReport:
    events = list(stored)
    problems: list[Problem] = []
    for event in events:
        if event.hash != event.expected_hash():
            problems.append(
                Problem("edited", event.seq, f"{event.describe()}: its content no longer matches its hash.")
            )
    by_hash: dict[str, AuditEvent] = {}
    for event in events:
        by_hash.setdefault(event.hash, event)

    start = _start(events, head, by_hash, problems)
    chain, gaps, replaced = _walk(start, events, by_hash)
    for event in replaced:
        problems.append(
            Problem(
                "replaced",
                event.seq,
                f"{event.describe()} is not the event the chain recorded at this place (edited and re-hashed).",
            )
        )
    on_chain = {id(e) for e in chain}

    unreached = [e for e in events if id(e) not in on_chain]
    gap_seqs = {s for low, high in gaps for s in range(low, high + 1)}
    for low, high in gaps:
        named = [s for s in range(low, high + 1) if s not in {e.seq for e in unreached}]
        if named:
            span = f"#{named[0]}" if len(named) == 1 else f"#{named[0]}..#{named[-1]}"
            problems.append(
                Problem("deleted", named[0], f"event {span} is missing: the chain breaks before #{high + 1}.")
            )
    for event in unreached:
        if event.seq in gap_seqs:
            problems.append(
                Problem(
                    "replaced",
                    event.seq,
                    f"{event.describe()} is not the event the chain recorded at this place "
                    "(edited and re-hashed).",
                )
            )
        else:
            problems.append(
                Problem(
                    "inserted", event.seq, f"{event.describe()} was inserted: no later event links to it."
                )
            )

    storage_order = [e for e in events if id(e) in on_chain]
    chain_order = list(reversed(chain))
    if [id(e) for e in storage_order] != [id(e) for e in chain_order]:
        expected = {id(e): i for i, e in enumerate(chain_order)}
        moved = [e for i, e in enumerate(storage_order) if expected[id(e)] != i]
        names = ", ".join(f"#{e.seq}" for e in moved)
        problems.append(
            Problem("reordered", moved[0].seq, f"events {names} are stored out of their chain order.")
        )
    return ChainReport(events=len(events), problems=problems)


def _start(
    events: list[AuditEvent],
    head: tuple[int, str] | None,
    by_hash: dict[str, AuditEvent],
    problems: list[Problem],
) -> AuditEvent | None:
    """The newest chain event: the one the head names, else the stored event with the highest seq."""
    if head is not None and head[1] in by_hash:
        return by_hash[head[1]]
    if not events:
        if head is not None:
            problems.append(
                Problem("truncated", head[0], f"all {head[0]} event(s) the head records are gone.")
            )
        return None
    newest = max(events, key=lambda e: e.seq)
    if head is not None:
        count, _ = head
        if count > newest.seq:
            span = f"#{newest.seq + 1}" + (f"..#{count}" if count > newest.seq + 1 else "")
            problems.append(
                Problem(
                    "truncated",
                    newest.seq + 1,
                    f"the newest event(s) {span} are missing: the head records {count} events.",
                )
            )
        else:
            problems.append(
                Problem(
                    "edited", newest.seq, f"{newest.describe()}: it is not the last event the head recorded."
                )
            )
    return newest


def _walk(
    start: AuditEvent | None, events: list[AuditEvent], by_hash: dict[str, AuditEvent]
) -> tuple[list[AuditEvent], list[tuple[int, int]], list[AuditEvent]]:
    """Follow prev_hash from `start` to the genesis; at a broken link resume at the nearest older event.

    Returns the chain (newest first), the seq ranges missing from it, and the events found where
    the chain expected another one (same seq, other hash).
    """
    chain: list[AuditEvent] = []
    gaps: list[tuple[int, int]] = []
    replaced: list[AuditEvent] = []
    seen: set[int] = set()
    current = start
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.prev_hash == GENESIS:
            if current.seq > 1:
                gaps.append((1, current.seq - 1))
            break
        previous = by_hash.get(current.prev_hash)
        if previous is None:
            older = [e for e in events if e.seq < current.seq and id(e) not in seen]
            resume = max(older, key=lambda e: e.seq, default=None)
            if resume is not None and resume.seq == current.seq - 1:
                replaced.append(resume)
            else:
                gaps.append((resume.seq + 1 if resume is not None else 1, current.seq - 1))
            current = resume
        else:
            current = previous
    return chain, gaps, replaced
