"""Where audit events live: a small store interface and its embedded SQLite implementation.

The web service implements `AuditStore` on its own database; the chain rules (`events.seal`) and
the verification (`verify.verify_chain`) are shared, so both stores prove the same thing.
The SQLite store keeps, beside the events, a one-row `head` table (count and last hash, updated in
the same transaction) so that removing the newest events is detected too.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from datacert.audit.events import GENESIS, AuditEvent, EventDraft, seal

STORE_DIR = ".datacert"
STORE_FILE = "audit.sqlite"
HOME_VARIABLE = "DATACERT_HOME"


@runtime_checkable
class AuditStore(Protocol):
    """Append-only event log. `append` must read the head and write the event in one transaction."""

    def append(self, draft: EventDraft) -> AuditEvent: ...

    def events(self) -> Iterator[AuditEvent]:
        """Every stored event in storage order (the order a reader would trust)."""
        ...

    def head(self) -> tuple[int, str] | None:
        """(number of events appended, hash of the last) as recorded at the last append."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""


class SQLiteAuditStore:
    """The embedded store: one SQLite file, created private to its owner (0600)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=DELETE")
        return db

    def append(self, draft: EventDraft) -> AuditEvent:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: no two events share a predecessor
            row = db.execute("SELECT seq, hash FROM events ORDER BY position DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            event = seal(draft, seq, prev)
            db.execute(
                "INSERT INTO events (seq, prev_hash, hash, body) VALUES (?, ?, ?, ?)",
                (event.seq, event.prev_hash, event.hash, json.dumps(event.body, sort_keys=True)),
            )
            db.execute(
                "INSERT INTO head (id, count, hash) VALUES (1, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET count = excluded.count, hash = excluded.hash",
                (event.seq, event.hash),
            )
            db.execute("COMMIT")
            return event
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def events(self) -> Iterator[AuditEvent]:
        db = self._connect()
        try:
            rows = db.execute("SELECT seq, prev_hash, hash, body FROM events ORDER BY position").fetchall()
        finally:
            db.close()
        for seq, prev_hash, digest, body in rows:
            try:
                parsed = json.loads(body)
            except (TypeError, ValueError):  # an edited row that is no longer JSON: verify names it
                parsed = {"unreadable_body": str(body)[:200]}
            yield AuditEvent(seq=int(seq), prev_hash=str(prev_hash), hash=str(digest), body=parsed)

    def head(self) -> tuple[int, str] | None:
        db = self._connect()
        try:
            row = db.execute("SELECT count, hash FROM head WHERE id = 1").fetchone()
        finally:
            db.close()
        return (int(row[0]), str(row[1])) if row else None


def store_directory(near: str | Path | None = None) -> Path:
    """$DATACERT_HOME if set, else `.datacert/` beside the data (or in the working folder)."""
    home = os.environ.get(HOME_VARIABLE)
    if home:
        return Path(home)
    if near is not None:
        folder = Path(near).resolve().parent
        if os.access(folder, os.W_OK):
            return folder / STORE_DIR
    return Path.cwd() / STORE_DIR


def open_store(directory: str | Path | None = None, near: str | Path | None = None) -> SQLiteAuditStore:
    """The embedded store in `directory`, or the default one for data at `near`."""
    folder = Path(directory) if directory is not None else store_directory(near)
    return SQLiteAuditStore(folder / STORE_FILE)
