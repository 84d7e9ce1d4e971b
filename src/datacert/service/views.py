"""Read models shared by the API and the UI: every function takes the project ids it may read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datacert.service.models import (
    Artifact,
    CertificateRecord,
    DatasetRecord,
    Job,
    Project,
    SignOff,
    User,
    Version,
)


def iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "version_id": job.version_id,
        "stages": job.stages,
        "attempts": job.attempts,
        "result": {k: v for k, v in (job.result or {}).items() if not k.startswith("_")},
        "error": job.error,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


def certificate_view(record: CertificateRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "verdict": record.verdict,
        "overall": record.overall,
        "scores": record.scores,
        "findings": record.n_findings,
        "job_id": record.job_id,
        "created_at": iso(record.created_at),
    }


def dataset_summaries(
    session: Session, project_ids: Sequence[str], project_id: str | None = None
) -> list[dict[str, Any]]:
    """Each dataset with its latest verdict and the trend of overall scores over its versions."""
    ids = [p for p in project_ids if project_id is None or p == project_id]
    if not ids:
        return []
    projects = {p.id: p.name for p in session.scalars(select(Project).where(Project.id.in_(ids)))}
    datasets = list(
        session.scalars(
            select(DatasetRecord).where(DatasetRecord.project_id.in_(ids)).order_by(DatasetRecord.name)
        )
    )
    if not datasets:
        return []
    versions = session.execute(
        select(Version.id, Version.dataset_id, Version.number, Version.created_at)
        .where(Version.project_id.in_(ids))
        .order_by(Version.number)
    ).all()
    certs = {
        c.version_id: c
        for c in session.scalars(
            select(CertificateRecord)
            .where(CertificateRecord.project_id.in_(ids), CertificateRecord.kind == "check")
            .order_by(CertificateRecord.created_at)
        )
    }
    pending = set(
        session.scalars(
            select(Job.version_id).where(Job.project_id.in_(ids), Job.status.in_(("queued", "running")))
        )
    )
    out = []
    for d in datasets:
        mine = [v for v in versions if v.dataset_id == d.id]
        latest = mine[-1] if mine else None
        cert = certs.get(latest.id) if latest else None
        out.append(
            {
                "id": d.id,
                "name": d.name,
                "project_id": d.project_id,
                "project": projects.get(d.project_id, ""),
                "versions": len(mine),
                "latest_version_id": latest.id if latest else None,
                "latest_version": latest.number if latest else None,
                "updated_at": iso(latest.created_at) if latest else iso(d.created_at),
                "verdict": cert.verdict if cert else ("running" if latest and latest.id in pending else None),
                "overall": cert.overall if cert else None,
                "trend": [
                    certs[v.id].overall for v in mine if v.id in certs and certs[v.id].overall is not None
                ],
                "roles": d.roles,
            }
        )
    return out


def version_view(session: Session, version: Version) -> dict[str, Any]:
    dataset = session.get(DatasetRecord, version.dataset_id)
    uploader = session.get(User, version.uploaded_by)
    certs = session.scalars(
        select(CertificateRecord)
        .where(CertificateRecord.version_id == version.id)
        .order_by(CertificateRecord.created_at)
    )
    jobs = session.scalars(select(Job).where(Job.version_id == version.id).order_by(Job.created_at))
    artifacts = session.scalars(
        select(Artifact).where(Artifact.version_id == version.id).order_by(Artifact.created_at)
    )
    signoffs = session.execute(
        select(SignOff, User.username)
        .join(User, User.id == SignOff.user_id)
        .where(SignOff.version_id == version.id)
        .order_by(SignOff.created_at)
    ).all()
    return {
        "id": version.id,
        "dataset_id": version.dataset_id,
        "dataset": dataset.name if dataset else "",
        "project_id": version.project_id,
        "number": version.number,
        "filename": version.filename,
        "format": version.file_format,
        "size_bytes": version.size_bytes,
        "sha256": version.sha256,
        "table_fingerprint": version.table_fingerprint,
        "roles": version.roles,
        "uploaded_by": uploader.username if uploader else "",
        "created_at": iso(version.created_at),
        "certificates": [certificate_view(c) for c in certs],
        "jobs": [job_view(j) for j in jobs],
        "artifacts": [
            {
                "id": a.id,
                "kind": a.kind,
                "filename": a.filename,
                "size_bytes": a.size_bytes,
                "job_id": a.job_id,
            }
            for a in artifacts
        ],
        "signoffs": [
            {
                "decision": s.decision,
                "comment": s.comment,
                "by": name,
                "certificate_id": s.certificate_id,
                "at": iso(s.created_at),
            }
            for s, name in signoffs
        ],
    }
