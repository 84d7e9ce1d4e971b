"""The worker loop: claim a job, run it, repeat. `datacert worker` runs it in its own process;
`datacert serve` runs one in a thread (the embedded default) unless told not to."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from datacert.service.audit import AuditStore, TableAuditStore
from datacert.service.config import Settings
from datacert.service.db import Database
from datacert.service.jobs import claim, worker_name
from datacert.service.runner import run_claimed

log = logging.getLogger("datacert.service.worker")


def run_once(
    settings: Settings, db: Database, audit: AuditStore | None = None, name: str | None = None
) -> str | None:
    """Claim and run one job; its final status, or None when the queue is empty."""
    claimed = claim(db, name or worker_name(), settings.lease_seconds, settings.max_attempts)
    if claimed is None:
        return None
    return run_claimed(settings, db, claimed, audit or TableAuditStore())


def drain(settings: Settings, db: Database, audit: AuditStore | None = None) -> list[str]:
    """Run jobs until none is left (tests and `datacert worker --once`)."""
    statuses = []
    while (status := run_once(settings, db, audit)) is not None:
        statuses.append(status)
    return statuses


def run_forever(
    settings: Settings, db: Database, stop: threading.Event, audit: AuditStore | None = None
) -> None:
    name = worker_name()
    log.info("worker %s polling every %.1f s", name, settings.poll_seconds)
    while not stop.is_set():
        try:
            status = run_once(settings, db, audit, name)
        except Exception as exc:  # a database hiccup: wait and poll again rather than die
            log.warning("worker loop error: %s", type(exc).__name__)
            status = None
        if status is None:
            stop.wait(settings.poll_seconds)


def start_inline_worker(service: Any) -> threading.Thread:
    thread = threading.Thread(
        target=run_forever,
        args=(service.settings, service.db, service.worker_stop, service.audit),
        name="datacert-worker",
        daemon=True,
    )
    thread.start()
    return thread


def main(settings: Settings, once: bool = False) -> int:
    db = Database(settings)
    db.migrate()
    if once:
        drain(settings, db)
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_forever(settings, db, stop)
    return 0
