"""A submission: a received upload becomes a dataset version (deduplicated by content) and a check job.

Shared by the API and the UI so both follow the same rules: the project must be the user's, the
file must pass the content checks (storage.sniff_format), roles given with the upload are saved on
the dataset and reused by later uploads that give none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from datacert.service.access import Principal, resolve_project
from datacert.service.audit import Event
from datacert.service.jobs import enqueue
from datacert.service.models import DatasetRecord, Job, Version, utcnow
from datacert.service.security import new_id
from datacert.service.storage import ReceivedForm, UploadRejected, sniff_format

ROLE_FIELDS = ("target", "id", "group", "time", "split", "sensitive", "text")
LIST_ROLES = ("sensitive", "text")
PROFILES = ("default", "diagnostic_classifier", "omics_biomarker", "regression_prognosis")


@dataclass(frozen=True)
class Submitted:
    dataset_id: str
    version_id: str
    job_id: str
    number: int
    deduplicated: bool


def roles_from_fields(fields: dict[str, str]) -> dict[str, Any]:
    roles: dict[str, Any] = {}
    for name in ROLE_FIELDS:
        value = (fields.get(name) or "").strip()
        if not value:
            continue
        roles[name] = [v.strip() for v in value.split(",") if v.strip()] if name in LIST_ROLES else value
    return roles


def submit(service: Any, principal: Principal, form: ReceivedForm) -> Submitted:
    """Store the upload and queue its check; the temporary file is removed on any refusal."""
    try:
        return _submit(service, principal, form)
    finally:
        form.discard()


def _submit(service: Any, principal: Principal, form: ReceivedForm) -> Submitted:
    fields = form.fields
    if form.file is None:
        raise UploadRejected(400, "the form has no file (field 'file').")
    name = (fields.get("dataset") or "").strip() or form.file.filename.rsplit(".", 1)[0]
    if len(name) > 200:
        raise UploadRejected(400, "the dataset name is longer than 200 characters.")
    profile = (fields.get("profile") or "").strip() or None
    if profile and profile not in PROFILES:
        raise UploadRejected(400, f"unknown scoring profile {profile!r}; use one of {', '.join(PROFILES)}.")
    roles = roles_from_fields(fields)
    fmt = sniff_format(form.file, service.settings)
    with service.db.session() as session:
        project = resolve_project(session, principal, fields.get("project"))
        principal.require(project.id, "submitter")
        dataset = session.scalar(
            select(DatasetRecord).where(DatasetRecord.project_id == project.id, DatasetRecord.name == name)
        )
        if dataset is None:
            dataset = DatasetRecord(
                id=new_id(),
                project_id=project.id,
                name=name,
                roles=roles,
                created_by=principal.user.id,
                created_at=utcnow(),
            )
            session.add(dataset)
            session.flush()
            _audit(
                service,
                session,
                principal,
                project.id,
                "dataset_created",
                "dataset",
                dataset.id,
                {"name": name},
            )
        elif roles:
            dataset.roles = roles
        roles = roles or dict(dataset.roles or {})
        existing = session.scalar(
            select(Version).where(Version.dataset_id == dataset.id, Version.sha256 == form.file.sha256)
        )
        if existing is not None:
            job_id = session.scalar(
                select(Job.id)
                .where(Job.version_id == existing.id, Job.kind == "check")
                .order_by(Job.created_at.desc())
            )
            _audit(
                service,
                session,
                principal,
                project.id,
                "version_resubmitted",
                "version",
                existing.id,
                {"dataset": dataset.id, "number": existing.number},
            )
            return Submitted(dataset.id, existing.id, job_id or "", existing.number, True)
        blob = service.storage.keep_upload(form.file, fmt)
        number = (
            session.scalar(select(func.max(Version.number)).where(Version.dataset_id == dataset.id)) or 0
        ) + 1
        version = Version(
            id=new_id(),
            project_id=project.id,
            dataset_id=dataset.id,
            number=number,
            sha256=form.file.sha256,
            size_bytes=form.file.size,
            filename=form.file.filename[:255],
            file_format=fmt,
            blob_path=blob,
            roles=roles,
            uploaded_by=principal.user.id,
            created_at=utcnow(),
        )
        session.add(version)
        session.flush()
        job = enqueue(
            session,
            project_id=project.id,
            kind="check",
            created_by=principal.user.id,
            version_id=version.id,
            params={"profile": profile} if profile else {},
        )
        _audit(
            service,
            session,
            principal,
            project.id,
            "version_uploaded",
            "version",
            version.id,
            {
                "dataset": dataset.id,
                "number": number,
                "sha256": form.file.sha256,
                "bytes": form.file.size,
                "format": fmt,
            },
        )
        try:
            session.flush()
        except IntegrityError as exc:  # the same file submitted twice at the same instant
            raise UploadRejected(409, "this file is being submitted already; retry in a moment.") from exc
        return Submitted(dataset.id, version.id, job.id, number, False)


def _audit(
    service: Any,
    session: Any,
    principal: Principal,
    project_id: str,
    action: str,
    kind: str,
    object_id: str,
    detail: dict[str, Any],
) -> None:
    service.audit.record(
        session,
        Event(
            action=action,
            project_id=project_id,
            actor_id=principal.user.id,
            actor=principal.user.username,
            object_type=kind,
            object_id=object_id,
            detail=detail,
        ),
    )
