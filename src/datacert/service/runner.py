"""What a job does: run the engine's public API on a stored version and keep what it produced.

Each kind lists its stages (jobs.STAGES); the runner marks them running/done with a short detail
(never record values) and stores them with the lease renewal, so the UI and the API show progress
per stage. Results are written as files first, then recorded together with the job's completion in
one transaction (jobs.finish): a job that lost its claim leaves no rows behind.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datacert.service.audit import AuditStore, Event
from datacert.service.config import Settings
from datacert.service.db import Database
from datacert.service.jobs import Claim, finish, renew
from datacert.service.models import (
    Artifact,
    CertificateRecord,
    DatasetRecord,
    Job,
    Membership,
    Version,
    utcnow,
)
from datacert.service.security import new_id
from datacert.service.storage import Storage

log = logging.getLogger("datacert.service.worker")


class JobLost(Exception):
    """The job's lease was taken over by another worker: stop without recording anything."""


class Progress:
    """Per-stage progress of one job, saved at most every half second (and with each lease renewal)."""

    def __init__(
        self, db: Database, claim_: Claim, stages: list[dict[str, Any]], lease_seconds: float
    ) -> None:
        self.db, self.claim, self.lease_seconds = db, claim_, lease_seconds
        self.stages = [dict(s, status="pending", detail="") for s in stages]
        self._saved = 0.0
        self._lock = threading.Lock()
        self.lost = False

    def start(self, name: str, detail: str = "") -> None:
        for stage in self.stages:
            if stage["status"] == "running":
                stage["status"] = "done"
            if stage["name"] == name:
                stage.update(status="running", detail=detail)
        self.save(force=True)

    def detail(self, text: str) -> None:
        for stage in self.stages:
            if stage["status"] == "running":
                stage["detail"] = text
        self.save()

    def close(self, status: str = "done") -> list[dict[str, Any]]:
        for stage in self.stages:
            if stage["status"] == "running":
                stage["status"] = status
        return self.stages

    def save(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved < 0.5:
            return
        with self._lock:
            self._saved = now
            if not renew(self.db, self.claim, self.lease_seconds, [dict(s) for s in self.stages]):
                self.lost = True
        if self.lost:
            raise JobLost()

    def keep_alive(self) -> None:
        """Renew the lease (from the heartbeat thread) while a long step runs."""
        with self._lock:
            if not renew(self.db, self.claim, self.lease_seconds, [dict(s) for s in self.stages]):
                self.lost = True


class Outputs:
    """Files a job produced, written at once, recorded at completion."""

    def __init__(self, storage: Storage, job: Job) -> None:
        self.storage, self.job = storage, job
        self.artifacts: list[Artifact] = []
        self.certificates: list[CertificateRecord] = []

    def add(self, kind: str, filename: str, media_type: str, content: bytes | Path) -> Artifact:
        artifact_id = new_id()
        path, size, digest = self.storage.write_artifact(self.job.project_id, artifact_id, filename, content)
        artifact = Artifact(
            id=artifact_id,
            project_id=self.job.project_id,
            version_id=self.job.version_id,
            job_id=self.job.id,
            kind=kind,
            filename=filename,
            media_type=media_type,
            path=path,
            size_bytes=size,
            sha256=digest,
            created_at=utcnow(),
        )
        self.artifacts.append(artifact)
        return artifact

    def certificate(self, kind: str, cert: Any, prefix: str) -> CertificateRecord:
        json_artifact = self.add(
            f"{prefix}certificate", f"{prefix}certificate.json", "application/json", cert.to_json().encode()
        )
        self.add(f"{prefix}report", f"{prefix}report.html", "text/html", cert.to_html().encode())
        self.add(
            f"{prefix}report_redacted",
            f"{prefix}report-redacted.html",
            "text/html",
            cert.to_html(redact=True).encode(),
        )
        overall = cert.scores.get("overall") if isinstance(cert.scores, dict) else None
        record = CertificateRecord(
            id=new_id(),
            project_id=self.job.project_id,
            version_id=self.job.version_id,
            job_id=self.job.id,
            kind=kind,
            verdict=cert.verdict,
            overall=_score_value(overall),
            scores={k: _score_value(v) for k, v in cert.scores.items()},
            n_findings=len(cert.findings),
            json_artifact_id=json_artifact.id,
            created_at=utcnow(),
        )
        self.certificates.append(record)
        return record


def _score_value(score: Any) -> float | None:
    if isinstance(score, dict):
        score = score.get("value", score.get("score"))
    return None if score is None else float(score)


def run_claimed(settings: Settings, db: Database, claim_: Claim, audit: AuditStore) -> str:
    """Run one claimed job to the end; return its final status ('done', 'failed' or 'lost')."""
    with db.session() as session:
        job = session.get(Job, claim_.job_id)
        assert job is not None
        version = session.get(Version, job.version_id) if job.version_id else None
        dataset = session.get(DatasetRecord, version.dataset_id) if version else None
        other_id = job.params.get("other_version")
        # the second version of a comparison must be readable by whoever asked for it
        other = session.get(Version, other_id) if other_id else None
        if other is not None and not session.scalar(
            select(Membership.id).where(
                Membership.user_id == job.created_by, Membership.project_id == other.project_id
            )
        ):
            other = None
        session.expunge_all()
    job.params = dict(job.params or {}, _other=other)
    progress = Progress(db, claim_, job.stages, settings.lease_seconds)
    storage = Storage(settings)
    outputs = Outputs(storage, job)
    stop = threading.Event()
    heartbeat = threading.Thread(
        target=_heartbeat, args=(progress, settings.lease_seconds, stop), daemon=True
    )
    heartbeat.start()
    started = time.perf_counter()
    status, error, result = "done", None, {}
    try:
        result = KINDS[job.kind](job, version, dataset, storage, progress, outputs)
    except JobLost:
        return "lost"
    except Exception as exc:
        status, error = "failed", _public_error(exc)
        # the job id and the exception type only: messages can quote values from the data
        log.warning("job %s (%s) failed: %s", job.id, job.kind, type(exc).__name__)
    finally:
        stop.set()
        heartbeat.join(timeout=5)
    if progress.lost:
        return "lost"
    result["seconds"] = round(time.perf_counter() - started, 3)
    stages = progress.close("done" if status == "done" else "failed")
    with db.session() as session:
        if not finish(session, claim_, status=status, stages=stages, result=result, error=error):
            session.rollback()
            return "lost"
        if status == "done":
            session.add_all(outputs.artifacts)
            session.flush()
            session.add_all(outputs.certificates)
            if job.kind == "check" and version is not None and result.get("table_fingerprint"):
                stored = session.get(Version, version.id)
                if stored is not None:
                    stored.table_fingerprint = result["table_fingerprint"]
        audit.record(
            session,
            Event(
                action=f"job_{status}",
                project_id=job.project_id,
                actor="worker",
                object_type="job",
                object_id=job.id,
                detail={"kind": job.kind, "version": job.version_id, "attempt": claim_.attempt}
                | {k: result[k] for k in ("verdict",) if k in result}
                | ({"overall": round(result["overall"], 1)} if result.get("overall") is not None else {}),
            ),
        )
    log.info("job %s (%s) %s in %.1f s", job.id, job.kind, status, result["seconds"])
    return status


def _heartbeat(progress: Progress, lease_seconds: float, stop: threading.Event) -> None:
    while not stop.wait(max(0.2, lease_seconds / 3)):
        try:
            progress.keep_alive()
        except Exception as exc:  # the database may be briefly unavailable; the next beat retries
            log.warning("lease renewal failed: %s", type(exc).__name__)


def _public_error(exc: Exception) -> str:
    from datacert.io import InputError

    if isinstance(exc, (InputError, ValueError, KeyError)):
        return str(exc)
    return f"internal error ({type(exc).__name__}); the job can be submitted again."


def _path(storage: Storage, version: Version | None) -> Path:
    if version is None:
        raise ValueError("the job has no dataset version")
    return storage.absolute(version.blob_path)


def _roles_of(version: Version) -> Any:
    """The roles declared on a dataset version (unset roles left to inference)."""
    from datacert.roles import Roles

    return Roles.build(**{k: v for k, v in (version.roles or {}).items() if v})


def _read_version(version: Version | None, storage: Storage, progress: Progress) -> Any:
    """Load the dataset version a job works on, with its declared roles."""
    from datacert.assay import load_dataset

    assert version is not None
    progress.start("read", version.filename)
    return load_dataset(_path(storage, version), _roles_of(version))


def _run_check(
    job: Job,
    version: Version | None,
    dataset: DatasetRecord | None,
    storage: Storage,
    progress: Progress,
    outputs: Outputs,
) -> dict[str, Any]:
    from datacert.assay import certify
    from datacert.checks import load_all_checks
    from datacert.policy import load_policy

    data = _read_version(version, storage, progress)
    n_checks = len(load_all_checks())
    seen: list[str] = []

    def step(name: str) -> None:
        if name == "profile":
            progress.start("profile", f"{data.n_rows} rows × {data.n_columns} columns")
        else:
            if not seen:
                progress.start("checks")
            seen.append(name)
            progress.detail(f"{len(seen)} of {n_checks}: {name}")

    cert = certify(data, load_policy(None, profile=job.params.get("profile")), progress=step)
    progress.start("report")
    outputs.certificate("check", cert, "")
    return {
        "verdict": cert.verdict,
        "overall": _score_value(cert.scores.get("overall")),
        "findings": len(cert.findings),
        "table_fingerprint": cert.dataset.get("fingerprint"),
        "exit_code": cert.exit_code,
    }


def _run_prequalify(
    job: Job,
    version: Version | None,
    dataset: DatasetRecord | None,
    storage: Storage,
    progress: Progress,
    outputs: Outputs,
) -> dict[str, Any]:
    from datacert.policy import load_policy
    from datacert.prequalification import plan_to_json, run_prequalification

    data = _read_version(version, storage, progress)
    progress.start("prequalify")
    result = run_prequalification(data, load_policy(None), progress=progress.detail)
    progress.start("report")
    buffer = io.BytesIO()
    result.clean.write_parquet(buffer)
    outputs.add("clean_table", "clean.parquet", "application/vnd.apache.parquet", buffer.getvalue())
    outputs.add("plan", "plan.json", "application/json", plan_to_json(result.plan).encode())
    outputs.certificate("prequalified", result.certificate, "prequalified_")
    return {
        "verdict": result.certificate.verdict,
        "verdict_before": result.before.verdict,
        "overall": _score_value(result.certificate.scores.get("overall")),
        "rows_after": result.clean.height,
    }


def _run_deid(
    job: Job,
    version: Version | None,
    dataset: DatasetRecord | None,
    storage: Storage,
    progress: Progress,
    outputs: Outputs,
) -> dict[str, Any]:
    import polars as pl

    from datacert.io import read_table
    from datacert.text.deid import deidentify

    assert version is not None
    column, group, mode = job.params.get("column"), job.params.get("group"), job.params.get("mode", "mask")
    progress.start("read", version.filename)
    frame = read_table(_path(storage, version)).frame
    for name in (column, group):
        if name is not None and name not in frame.columns:
            raise ValueError(f"column {name!r} is not in this version.")
    if column is None or frame.schema[column] != pl.String:
        raise ValueError(f"column {column!r} does not hold text.")
    progress.start("deidentify", f"{frame.height} notes")
    groups = frame.get_column(group).cast(pl.String).to_list() if group else None
    found = deidentify(frame.get_column(column).to_list(), groups=groups, mode=mode)
    progress.start("write")
    clean = frame.with_columns(pl.Series(column, found.texts, dtype=pl.String))
    buffer = io.BytesIO()
    clean.write_parquet(buffer)
    outputs.add("deid_table", "deidentified.parquet", "application/vnd.apache.parquet", buffer.getvalue())
    lines = [
        json.dumps({"row": row, "start": s.start, "end": s.end, "label": s.label})
        for row, spans in enumerate(found.spans)
        for s in spans
    ]
    outputs.add("deid_spans", "spans.jsonl", "application/x-ndjson", ("\n".join(lines) + "\n").encode())
    counts: dict[str, int] = {}
    for spans in found.spans:
        for s in spans:
            counts[s.label] = counts.get(s.label, 0) + 1
    return {"notes": frame.height, "identifiers": sum(counts.values()), "labels": counts}


def _run_compare(
    job: Job,
    version: Version | None,
    dataset: DatasetRecord | None,
    storage: Storage,
    progress: Progress,
    outputs: Outputs,
) -> dict[str, Any]:
    from datacert.compare import compare

    other: Version | None = job.params.get("_other")
    if version is None or other is None:
        raise ValueError("the comparison needs two dataset versions.")
    progress.start("read", f"{version.filename} and {other.filename}")
    progress.start("compare")
    roles = _roles_of(version)
    comparison = compare(_path(storage, version), _path(storage, other), roles=roles)
    progress.start("report")
    outputs.add("comparison", "comparison.json", "application/json", comparison.to_json().encode())
    outputs.add("comparison_report", "comparison.html", "text/html", comparison.to_html().encode())
    return {"verdicts": [comparison.a.verdict, comparison.b.verdict], "other_version": other.id}


KINDS: dict[str, Callable[..., dict[str, Any]]] = {
    "check": _run_check,
    "prequalify": _run_prequalify,
    "deid": _run_deid,
    "compare": _run_compare,
}


def latest_certificate(session: Session, version_id: str, kind: str = "check") -> CertificateRecord | None:
    return session.scalar(
        select(CertificateRecord)
        .where(CertificateRecord.version_id == version_id, CertificateRecord.kind == kind)
        .order_by(CertificateRecord.created_at.desc())
        .limit(1)
    )
