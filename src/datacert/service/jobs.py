"""Jobs persisted in the service database and claimed with row locks.

Why a job table rather than a queue library: Celery, RQ or Dramatiq need a broker (Redis,
RabbitMQ), a second service that would break the embedded default (`datacert serve` on a fresh
install with nothing else running), and procrastinate or pgqueuer work on PostgreSQL only. A job
table works on both databases, and it lets a job's completion and its results (certificate rows,
artefact rows) commit in ONE transaction, which a broker cannot offer: that transaction is what
makes "a job runs to completion exactly once" hold even when a worker dies or a stale worker wakes
up late.

Claiming: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers never wait on
or take the same row; SQLite serialises writers, and the conditional UPDATE below (which re-checks
that the job is still claimable) is what decides there. A claimed job holds a lease that its
worker renews; a job whose lease ran out, or whose worker process on this host is gone, is
claimable again, up to `max_attempts` times. Completion is conditional on the claim token, so a
worker that lost its lease cannot complete (or duplicate) a job that another worker took over.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Update, and_, or_, select, update
from sqlalchemy.orm import Session

from datacert.service.db import Database
from datacert.service.models import Job, utcnow
from datacert.service.security import new_id

STAGES = {
    "check": ["read", "profile", "checks", "report"],
    "prequalify": ["read", "prequalify", "report"],
    "deid": ["read", "deidentify", "write"],
    "compare": ["read", "compare", "report"],
}


def _update(session: Session, statement: Update) -> CursorResult[Any]:
    """Run an UPDATE; its result counts the rows it changed (Session.execute is typed as a plain Result)."""
    return cast("CursorResult[Any]", session.execute(statement))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(
    session: Session,
    *,
    project_id: str,
    kind: str,
    created_by: str,
    version_id: str | None = None,
    params: dict[str, Any] | None = None,
) -> Job:
    job = Job(
        id=new_id(),
        project_id=project_id,
        version_id=version_id,
        kind=kind,
        params=params or {},
        status="queued",
        stages=[{"name": s, "status": "pending", "detail": ""} for s in STAGES[kind]],
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(job)
    return job


@dataclass(frozen=True)
class Claim:
    job_id: str
    token: str
    attempt: int


def _claimable(now: Any) -> Any:
    return or_(Job.status == "queued", and_(Job.status == "running", Job.lease_until < now))


def _release_dead_local_workers(db: Database) -> None:
    """A running job whose worker was a process on this host that no longer exists is free now,
    without waiting for its lease to run out (a restarted worker picks it up at once)."""
    host = socket.gethostname()
    with db.session() as session:
        rows = session.execute(
            select(Job.id, Job.worker, Job.claim_token).where(
                Job.status == "running", Job.worker.like(f"{host}:%")
            )
        ).all()
        for job_id, worker, token in rows:
            pid = (worker or "").rsplit(":", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.claim_token == token, Job.status == "running")
                    .values(lease_until=utcnow() - timedelta(seconds=1))
                )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim(db: Database, name: str, lease_seconds: float, max_attempts: int) -> Claim | None:
    """Take the oldest claimable job, or None. Safe with any number of concurrent workers."""
    _release_dead_local_workers(db)
    for _ in range(5):
        now = utcnow()
        with db.session() as session:
            job_id = session.scalar(
                select(Job.id)
                .where(_claimable(now))
                .order_by(Job.created_at, Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if job_id is None:
                return None
            token = new_id()
            done = _update(
                session,
                update(Job)
                .where(Job.id == job_id, _claimable(now))
                .values(
                    status="running",
                    claim_token=token,
                    worker=name,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=Job.attempts + 1,
                    started_at=now,
                ),
            )
            if done.rowcount != 1:  # another worker took it between the select and the update
                continue
            attempts = session.scalar(select(Job.attempts).where(Job.id == job_id)) or 1
            if attempts > max_attempts:
                session.execute(
                    update(Job)
                    .where(Job.id == job_id)
                    .values(
                        status="failed",
                        finished_at=now,
                        claim_token=None,
                        error=f"the job was interrupted {attempts - 1} times (worker stopped); not retried.",
                    )
                )
                continue
            return Claim(job_id, token, attempts)
    return None


def renew(
    db: Database, claim_: Claim, lease_seconds: float, stages: list[dict[str, Any]] | None = None
) -> bool:
    """Extend the lease (and store progress); False when the job is no longer ours."""
    values: dict[str, Any] = {"lease_until": utcnow() + timedelta(seconds=lease_seconds)}
    if stages is not None:
        values["stages"] = stages
    with db.session() as session:
        result = _update(
            session,
            update(Job)
            .where(Job.id == claim_.job_id, Job.claim_token == claim_.token, Job.status == "running")
            .values(**values),
        )
        return result.rowcount == 1


def finish(
    session: Session,
    claim_: Claim,
    *,
    status: str,
    stages: list[dict[str, Any]],
    result: dict[str, Any],
    error: str | None = None,
) -> bool:
    """Mark the job done or failed, in the caller's transaction; False when it is no longer ours
    (the caller must then roll back whatever it added)."""
    outcome = _update(
        session,
        update(Job)
        .where(Job.id == claim_.job_id, Job.claim_token == claim_.token, Job.status == "running")
        .values(
            status=status, stages=stages, result=result, error=error, finished_at=utcnow(), lease_until=None
        ),
    )
    return outcome.rowcount == 1
