"""The audit trail behind a small interface, so that the hash-chained log of datacert.audit can
replace this table-backed store without touching the routes or the worker.

Events say who did what to which object, never record values: `detail` holds ids, names,
verdicts and counts only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from datacert.service.models import AuditEvent, utcnow
from datacert.service.security import new_id


@dataclass(frozen=True)
class Event:
    action: str
    project_id: str | None = None
    actor_id: str | None = None
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    id: str = ""


class AuditStore(Protocol):
    """What the service needs of an audit log: append in the caller's transaction, read back."""

    def record(self, session: Session, event: Event) -> Event: ...

    def events(
        self, session: Session, project_ids: Sequence[str], object_id: str | None = None, limit: int = 500
    ) -> list[Event]: ...


class TableAuditStore:
    """Audit events in the service database, written in the same transaction as the change."""

    def record(self, session: Session, event: Event) -> Event:
        row = AuditEvent(
            id=new_id(),
            project_id=event.project_id,
            actor_id=event.actor_id,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            detail=dict(event.detail),
            created_at=utcnow(),
        )
        session.add(row)
        return _event(row)

    def events(
        self, session: Session, project_ids: Sequence[str], object_id: str | None = None, limit: int = 500
    ) -> list[Event]:
        if not project_ids:
            return []
        query = select(AuditEvent).where(AuditEvent.project_id.in_(list(project_ids)))
        if object_id:
            query = query.where(AuditEvent.object_id == object_id)
        rows = session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit))
        return [_event(r) for r in rows]


def _event(row: AuditEvent) -> Event:
    return Event(
        action=row.action,
        project_id=row.project_id,
        actor_id=row.actor_id,
        actor=row.actor,
        object_type=row.object_type,
        object_id=row.object_id,
        detail=row.detail or {},
        created_at=row.created_at,
        id=row.id,
    )
