"""Recording one command run as one audit event: the single call every command makes.

`recording(...)` opens a run; while it is open, every output file the CLI writes passes through
`on_output`, which signs JSON documents when a signing key was given and notes the file's
fingerprint; `note_result` adds the dataset facts and verdict of a certificate. When the run ends
(normally or by an exit code) one event is appended to the store. `record` does the same in one
call for code that is not a CLI command (the web service, a notebook).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datacert._version import __version__
from datacert.audit.events import AuditEvent, EventDraft, FileRef
from datacert.audit.store import AuditStore, open_store

ACTOR_VARIABLE = "DATACERT_ACTOR"
_current: ContextVar[Recording | None] = ContextVar("datacert_audit_recording", default=None)


def current_actor(explicit: str | None = None) -> str:
    """--actor, else $DATACERT_ACTOR, else the login name."""
    if explicit:
        return explicit
    if os.environ.get(ACTOR_VARIABLE):
        return os.environ[ACTOR_VARIABLE]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def file_ref(path: str | Path, kind: str = "data", fingerprint: str | None = None) -> FileRef:
    """SHA-256 and size of a file on disk, read in 1 MiB blocks."""
    path = Path(path)
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return FileRef(str(path), digest.hexdigest(), size, kind, fingerprint)


def _input_ref(path: Path, kind: str) -> FileRef:
    """An input's reference; a JSON certificate or plan given where data is expected is named as such."""
    ref = file_ref(path.resolve(), kind)
    if kind == "data" and path.suffix.lower() == ".json":
        found, document = _document_kind(path, path.read_bytes())
        if found in ("certificate", "plan") and document is not None:
            fingerprint = (document.get("dataset") or document.get("output") or {}).get("fingerprint")
            return FileRef(ref.path, ref.sha256, ref.bytes, found, fingerprint)
    return ref


def bytes_ref(path: str | Path, data: bytes, kind: str, fingerprint: str | None = None) -> FileRef:
    return FileRef(str(path), hashlib.sha256(data).hexdigest(), len(data), kind, fingerprint)


def _document_kind(path: Path, data: bytes) -> tuple[str, Mapping[str, Any] | None]:
    """What an output file is: certificate, plan, comparison, report, table, spans..."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            document = json.loads(data)
        except ValueError:
            return "json", None
        if isinstance(document, dict):
            if "verdict" in document and "dataset" in document:
                return "certificate", document
            if document.get("kind") == "datacert-prequalification-plan":
                return "plan", document
            return "document", document
        return "json", None
    return {
        ".html": "report",
        ".md": "report",
        ".jsonl": "spans",
        ".parquet": "table",
        ".csv": "table",
        ".tsv": "table",
    }.get(suffix, "file"), None


@dataclass
class Recording:
    """A run being recorded. Collects outputs and results until the run ends."""

    command: str
    actor: str
    options: dict[str, Any]
    inputs: list[FileRef]
    signer: Any = None  # an Ed25519PrivateKey when --sign was given
    outputs: list[FileRef] = field(default_factory=list)
    dataset: dict[str, Any] = field(default_factory=dict)
    verdict: str | None = None

    def note_result(self, certificate: Mapping[str, Any]) -> None:
        """Dataset facts (fingerprint and counts, never values) and the verdict of a certificate."""
        facts = certificate.get("dataset") or {}
        self.dataset = {k: facts.get(k) for k in ("fingerprint", "rows", "columns", "format") if k in facts}
        if certificate.get("verdict"):
            self.verdict = str(certificate["verdict"])

    def draft(self, exit_code: int | None) -> EventDraft:
        return EventDraft(
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
            tool_version=__version__,
            command=self.command,
            actor=self.actor,
            options=self.options,
            inputs=self.inputs,
            outputs=self.outputs,
            dataset=self.dataset,
            verdict=self.verdict,
            exit_code=exit_code,
        )


def on_output(path: str | Path, data: bytes) -> bytes:
    """Called by the CLI for each file it writes; returns the bytes to write (signed if asked)."""
    run = _current.get()
    if run is None:
        return data
    path = Path(path)
    kind, document = _document_kind(path, data)
    if run.signer is not None and document is not None:
        from datacert.audit.signing import sign_json_text

        data = sign_json_text(data.decode("utf-8"), run.signer).encode("utf-8")
    fingerprint = None
    if kind == "certificate" and document is not None:
        run.note_result(document)
        fingerprint = (document.get("dataset") or {}).get("fingerprint")
    elif kind == "plan" and document is not None:
        fingerprint = (document.get("output") or {}).get("fingerprint")
    run.outputs.append(bytes_ref(path.resolve(), data, kind, fingerprint))
    return data


def note_result(certificate: Mapping[str, Any]) -> None:
    """Give the open run its certificate's dataset facts and verdict (no-op outside a run)."""
    run = _current.get()
    if run is not None:
        run.note_result(certificate)


def signed_text(text: str) -> str:
    """A JSON document printed on standard output, signed when the open run has --sign."""
    run = _current.get()
    if run is None or run.signer is None:
        return text
    from datacert.audit.signing import sign_json_text

    return sign_json_text(text, run.signer)


def _exit_code(exc: BaseException) -> int:
    code = getattr(exc, "exit_code", None)  # click/typer Exit
    if code is None and isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 1 if code is None else int(code)


@contextmanager
def recording(
    command: str,
    *,
    options: Mapping[str, Any] | None = None,
    inputs: Iterable[tuple[str | Path, str]] = (),
    actor: str | None = None,
    signer: Any = None,
    store: AuditStore | None = None,
    on_store_error: Any = None,
) -> Iterator[Recording]:
    """Record the enclosed run as one event, whatever way it ends.

    `inputs` are (path, kind) pairs; files that do not exist are skipped (the command reports
    them). A store that cannot be written calls `on_store_error(message)` and never hides the
    command's own outcome.
    """
    refs = [_input_ref(Path(p), kind) for p, kind in inputs if p is not None and Path(p).is_file()]
    run = Recording(command, current_actor(actor), _plain_options(options or {}), refs, signer)
    token = _current.set(run)
    exit_code = 0
    try:
        yield run
    except BaseException as exc:
        exit_code = _exit_code(exc)
        raise
    finally:
        _current.reset(token)
        data_inputs = [r.path for r in refs if r.kind == "data"]
        try:
            target = store if store is not None else open_store(near=data_inputs[0] if data_inputs else None)
            target.append(run.draft(exit_code))
        except Exception as exc:  # the log must not turn a finished run into a crash
            if on_store_error is not None:
                on_store_error(f"the audit event could not be recorded ({type(exc).__name__}: {exc}).")
            else:
                raise


def record(
    command: str,
    *,
    options: Mapping[str, Any] | None = None,
    inputs: Iterable[tuple[str | Path, str]] = (),
    outputs: Iterable[tuple[str | Path, str]] = (),
    certificate: Mapping[str, Any] | None = None,
    actor: str | None = None,
    exit_code: int | None = 0,
    store: AuditStore | None = None,
) -> AuditEvent:
    """Append one event for a run that already happened (files given as (path, kind) pairs)."""
    refs = [file_ref(Path(p).resolve(), kind) for p, kind in inputs if Path(p).is_file()]
    run = Recording(command, current_actor(actor), _plain_options(options or {}), refs)
    run.outputs = [file_ref(Path(p).resolve(), kind) for p, kind in outputs if Path(p).is_file()]
    if certificate is not None:
        run.note_result(certificate)
    data_inputs = [r.path for r in refs if r.kind == "data"]
    target = store if store is not None else open_store(near=data_inputs[0] if data_inputs else None)
    return target.append(run.draft(exit_code))


def _plain_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options as JSON values: paths resolved to strings, enums to their values."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "value") and isinstance(value.value, (str, int)):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
