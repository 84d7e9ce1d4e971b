"""The JSON API under /api/v1, documented by OpenAPI at /api/openapi.json.

Every route authenticates (`Authorization: Bearer <token>`, or the UI's session cookie with an
`X-CSRF-Token` header for changes) and every lookup goes through access.get_scoped, so an object
of another project answers 404 exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from datacert.service.access import Forbidden, NotFound, Principal, get_scoped
from datacert.service.audit import Event
from datacert.service.jobs import enqueue
from datacert.service.models import (
    ApiToken,
    Artifact,
    CertificateRecord,
    DatasetRecord,
    Job,
    Membership,
    Project,
    SignOff,
    User,
    Version,
    utcnow,
)
from datacert.service.security import csrf_valid, hash_secret, new_id, new_token
from datacert.service.storage import receive_form
from datacert.service.submissions import submit
from datacert.service.views import dataset_summaries, iso, job_view, version_view

router = APIRouter(prefix="/api/v1", tags=["datacert"])

MULTIPART_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "the data file"},
                        "dataset": {"type": "string", "description": "dataset name (default: the file name)"},
                        "project": {
                            "type": "string",
                            "description": "project id or name (optional with one project)",
                        },
                        "target": {"type": "string"},
                        "id": {"type": "string"},
                        "group": {"type": "string"},
                        "time": {"type": "string"},
                        "split": {"type": "string"},
                        "sensitive": {"type": "string", "description": "comma-separated"},
                        "text": {"type": "string", "description": "comma-separated"},
                        "profile": {"type": "string", "description": "scoring profile"},
                    },
                }
            }
        },
    }
}


def service_of(request: Request) -> Any:
    return request.app.state.service


def api_principal(request: Request) -> Principal:
    from datacert.service.app import principal_of

    principal = principal_of(request)
    if principal is None:
        raise Unauthorized()
    if principal.via == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
        if not csrf_valid(
            service_of(request).secret_key, principal.session_value or "", request.headers.get("x-csrf-token")
        ):
            raise Forbidden("missing or wrong CSRF token.")
    return principal


class Unauthorized(Exception):
    pass


def unauthorized_handler(request: Request, exc: Unauthorized) -> Response:
    return JSONResponse(
        {"detail": "authentication required."}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


Auth = Depends(api_principal)


def _audit(
    request: Request,
    session: Any,
    principal: Principal,
    project_id: str | None,
    action: str,
    kind: str,
    object_id: str,
    **detail: Any,
) -> None:
    service_of(request).audit.record(
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


@router.get("/me", summary="The authenticated user and their projects and roles")
def me(request: Request, principal: Principal = Auth) -> dict[str, Any]:
    with service_of(request).db.session() as session:
        projects = session.scalars(
            select(Project).where(Project.id.in_(principal.project_ids)).order_by(Project.name)
        )
        return {
            "id": principal.user.id,
            "username": principal.user.username,
            "projects": [
                {
                    "id": p.id,
                    "name": p.name,
                    "role": principal.roles[p.id],
                    "redact_reports": p.redact_reports,
                }
                for p in projects
            ],
        }


class TokenRequest(BaseModel):
    name: str = Field("", max_length=200)


@router.post(
    "/tokens", status_code=201, summary="Create an API token (its value is shown only in this answer)"
)
def create_token(body: TokenRequest, request: Request, principal: Principal = Auth) -> dict[str, Any]:
    token_id, secret, token = new_token()
    with service_of(request).db.session() as session:
        session.add(
            ApiToken(
                id=token_id,
                user_id=principal.user.id,
                name=body.name,
                secret_hash=hash_secret(secret),
                created_at=utcnow(),
            )
        )
        _audit(request, session, principal, None, "token_created", "token", token_id, name=body.name)
    return {"id": token_id, "name": body.name, "token": token}


@router.get("/tokens", summary="Your API tokens (without their values)")
def list_tokens(request: Request, principal: Principal = Auth) -> list[dict[str, Any]]:
    with service_of(request).db.session() as session:
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == principal.user.id).order_by(ApiToken.created_at)
        )
        return [
            {
                "id": t.id,
                "name": t.name,
                "created_at": iso(t.created_at),
                "last_used_at": iso(t.last_used_at),
                "revoked": t.revoked_at is not None,
            }
            for t in rows
        ]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke one of your API tokens")
def revoke_token(token_id: str, request: Request, principal: Principal = Auth) -> Response:
    service = service_of(request)
    with service.db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != principal.user.id:
            raise NotFound()
        row.revoked_at = utcnow()
        _audit(request, session, principal, None, "token_revoked", "token", token_id)
    service.tokens.forget_token_id(token_id)
    return Response(status_code=204)


@router.get("/projects", summary="Your projects")
def list_projects(request: Request, principal: Principal = Auth) -> list[dict[str, Any]]:
    return me(request, principal)["projects"]


class ProjectChange(BaseModel):
    redact_reports: bool


@router.patch("/projects/{project_id}", summary="Project settings (admin): redacted reports")
def change_project(
    project_id: str, body: ProjectChange, request: Request, principal: Principal = Auth
) -> dict[str, Any]:
    principal.require(project_id, "admin")
    with service_of(request).db.session() as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound()
        project.redact_reports = body.redact_reports
        _audit(
            request,
            session,
            principal,
            project_id,
            "project_changed",
            "project",
            project_id,
            redact_reports=body.redact_reports,
        )
        return {"id": project.id, "name": project.name, "redact_reports": project.redact_reports}


class MemberRequest(BaseModel):
    username: str
    role: Literal["submitter", "reviewer", "admin"]


@router.post(
    "/projects/{project_id}/members",
    status_code=201,
    summary="Add a user to a project or change their role (admin)",
)
def add_member(
    project_id: str, body: MemberRequest, request: Request, principal: Principal = Auth
) -> dict[str, Any]:
    principal.require(project_id, "admin")
    with service_of(request).db.session() as session:
        user = session.scalar(select(User).where(User.username == body.username))
        if user is None:
            raise NotFound(f"no user {body.username!r}.")
        row = session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.project_id == project_id)
        )
        if row is None:
            session.add(Membership(id=new_id(), user_id=user.id, project_id=project_id, role=body.role))
        else:
            row.role = body.role
        _audit(
            request,
            session,
            principal,
            project_id,
            "member_set",
            "user",
            user.id,
            username=user.username,
            role=body.role,
        )
    return {"username": body.username, "role": body.role}


@router.get("/datasets", summary="Datasets of your projects, each with its latest verdict and score trend")
def list_datasets(
    request: Request, project_id: str | None = None, principal: Principal = Auth
) -> list[dict[str, Any]]:
    with service_of(request).db.session() as session:
        return dataset_summaries(session, principal.project_ids, project_id)


@router.get("/datasets/{dataset_id}", summary="One dataset with its versions")
def get_dataset(dataset_id: str, request: Request, principal: Principal = Auth) -> dict[str, Any]:
    with service_of(request).db.session() as session:
        dataset = get_scoped(session, principal, DatasetRecord, dataset_id)
        summary = next(s for s in dataset_summaries(session, [dataset.project_id]) if s["id"] == dataset.id)
        versions = session.scalars(
            select(Version).where(Version.dataset_id == dataset.id).order_by(Version.number)
        )
        summary["version_list"] = [
            {
                "id": v.id,
                "number": v.number,
                "filename": v.filename,
                "sha256": v.sha256,
                "created_at": iso(v.created_at),
            }
            for v in versions
        ]
        return summary


@router.post(
    "/submissions",
    status_code=202,
    summary="Submit a data file: a new version of a dataset (deduplicated by content) and its check job",
    openapi_extra=MULTIPART_DOC,
)
async def create_submission(request: Request, principal: Principal = Auth) -> dict[str, Any]:
    service = service_of(request)
    form = await receive_form(
        service.settings,
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        request.stream(),
    )
    from starlette.concurrency import run_in_threadpool

    done = await run_in_threadpool(submit, service, principal, form)
    return {
        "dataset_id": done.dataset_id,
        "version_id": done.version_id,
        "job_id": done.job_id,
        "version": done.number,
        "deduplicated": done.deduplicated,
    }


@router.get("/versions/{version_id}", summary="A version: certificates, jobs, artefacts, sign-offs")
def get_version(version_id: str, request: Request, principal: Principal = Auth) -> dict[str, Any]:
    with service_of(request).db.session() as session:
        return version_view(session, get_scoped(session, principal, Version, version_id))


def _certificate_record(session: Any, version: Version, kind: str) -> CertificateRecord:
    record = session.scalar(
        select(CertificateRecord)
        .where(CertificateRecord.version_id == version.id, CertificateRecord.kind == kind)
        .order_by(CertificateRecord.created_at.desc())
        .limit(1)
    )
    if record is None:
        raise NotFound("no certificate yet: the job is still running, or failed.")
    return record


def _redacted(session: Any, project_id: str) -> bool:
    project = session.get(Project, project_id)
    return bool(project and project.redact_reports)


@router.get(
    "/versions/{version_id}/certificate", summary="The certificate JSON (kind: check or prequalified)"
)
def get_certificate(
    version_id: str,
    request: Request,
    kind: Literal["check", "prequalified"] = "check",
    principal: Principal = Auth,
) -> Response:
    service = service_of(request)
    with service.db.session() as session:
        version = get_scoped(session, principal, Version, version_id)
        if _redacted(session, version.project_id):
            # a certificate's evidence can quote record values: redacted projects show them to reviewers only
            principal.require(version.project_id, "reviewer")
        record = _certificate_record(session, version, kind)
        artifact = session.get(Artifact, record.json_artifact_id)
        assert artifact is not None
        path = service.storage.absolute(artifact.path)
    return FileResponse(path, media_type="application/json")


@router.get(
    "/versions/{version_id}/report",
    response_class=HTMLResponse,
    summary="The HTML report (redacted if the project says so)",
)
def get_report(
    version_id: str,
    request: Request,
    kind: Literal["check", "prequalified"] = "check",
    principal: Principal = Auth,
) -> Response:
    from datacert.service.ui import report_response

    service = service_of(request)
    with service.db.session() as session:
        version = get_scoped(session, principal, Version, version_id)
        record = _certificate_record(session, version, kind)
        prefix = "" if kind == "check" else "prequalified_"
        suffix = "report_redacted" if _redacted(session, version.project_id) else "report"
        artifact = session.scalar(
            select(Artifact).where(Artifact.job_id == record.job_id, Artifact.kind == prefix + suffix)
        )
        if artifact is None:
            raise NotFound()
        path = service.storage.absolute(artifact.path)
    return report_response(path.read_text(encoding="utf-8"))


@router.get("/versions/{version_id}/file", summary="Download the uploaded file")
def download_version(version_id: str, request: Request, principal: Principal = Auth) -> Response:
    service = service_of(request)
    with service.db.session() as session:
        version = get_scoped(session, principal, Version, version_id)
        if _redacted(session, version.project_id):
            principal.require(version.project_id, "reviewer")
        _audit(request, session, principal, version.project_id, "file_downloaded", "version", version.id)
        path, name = service.storage.absolute(version.blob_path), version.filename
    return FileResponse(path, filename=name, media_type="application/octet-stream")


class JobRequest(BaseModel):
    kind: Literal["prequalify", "deid", "compare", "check"]
    column: str | None = Field(None, description="deid: the text column")
    group: str | None = Field(None, description="deid: the patient column (consistent surrogates)")
    mode: Literal["mask", "pseudonymise"] = "mask"
    other_version: str | None = Field(None, description="compare: the second version's id")
    profile: str | None = Field(None, description="check: scoring profile")


def create_job(service: Any, principal: Principal, version_id: str, body: JobRequest) -> Job:
    with service.db.session() as session:
        version = get_scoped(session, principal, Version, version_id)
        params: dict[str, Any] = {}
        if body.kind == "deid":
            if not body.column:
                raise HTTPException(422, "a de-identification job needs the text column ('column').")
            params = {"column": body.column, "group": body.group, "mode": body.mode}
        elif body.kind == "compare":
            other = get_scoped(session, principal, Version, body.other_version or "")
            params = {"other_version": other.id}
        elif body.kind == "check" and body.profile:
            params = {"profile": body.profile}
        job = enqueue(
            session,
            project_id=version.project_id,
            kind=body.kind,
            created_by=principal.user.id,
            version_id=version.id,
            params=params,
        )
        service.audit.record(
            session,
            Event(
                action="job_queued",
                project_id=version.project_id,
                actor_id=principal.user.id,
                actor=principal.user.username,
                object_type="job",
                object_id=job.id,
                detail={"kind": body.kind, "version": version.id},
            ),
        )
        return job


@router.post(
    "/versions/{version_id}/jobs",
    status_code=202,
    summary="Queue a job on a version: prequalify, deid, compare or a new check",
)
def post_job(
    version_id: str, body: JobRequest, request: Request, principal: Principal = Auth
) -> dict[str, Any]:
    return job_view(create_job(service_of(request), principal, version_id, body))


@router.get("/jobs/{job_id}", summary="A job's status and per-stage progress")
def get_job(job_id: str, request: Request, principal: Principal = Auth) -> dict[str, Any]:
    with service_of(request).db.session() as session:
        return job_view(get_scoped(session, principal, Job, job_id))


@router.get(
    "/artifacts/{artifact_id}",
    summary="Download an artefact (plan, cleaned table, de-identified notes, comparison...)",
)
def get_artifact(artifact_id: str, request: Request, principal: Principal = Auth) -> Response:
    service = service_of(request)
    with service.db.session() as session:
        artifact = get_scoped(session, principal, Artifact, artifact_id)
        if _redacted(session, artifact.project_id) and not artifact.kind.endswith("report_redacted"):
            principal.require(artifact.project_id, "reviewer")
        path = service.storage.absolute(artifact.path)
        name, media = artifact.filename, artifact.media_type
    if media == "text/html":
        from datacert.service.ui import report_response

        return report_response(path.read_text(encoding="utf-8"))
    return FileResponse(path, filename=name, media_type=media)


class SignOffRequest(BaseModel):
    decision: Literal["approved", "rejected"]
    comment: str = Field("", max_length=4000)


def sign_off(service: Any, principal: Principal, version_id: str, body: SignOffRequest) -> dict[str, Any]:
    with service.db.session() as session:
        version = get_scoped(session, principal, Version, version_id, role="reviewer")
        record = _certificate_record(session, version, "check")
        row = SignOff(
            id=new_id(),
            project_id=version.project_id,
            version_id=version.id,
            certificate_id=record.id,
            user_id=principal.user.id,
            decision=body.decision,
            comment=body.comment,
            created_at=utcnow(),
        )
        session.add(row)
        service.audit.record(
            session,
            Event(
                action="signed_off",
                project_id=version.project_id,
                actor_id=principal.user.id,
                actor=principal.user.username,
                object_type="version",
                object_id=version.id,
                detail={"decision": body.decision, "certificate": record.id, "verdict": record.verdict},
            ),
        )
        return {
            "id": row.id,
            "decision": row.decision,
            "certificate_id": record.id,
            "verdict": record.verdict,
        }


@router.post(
    "/versions/{version_id}/signoff",
    status_code=201,
    summary="Sign off a version's certificate (reviewer or admin)",
)
def post_signoff(
    version_id: str, body: SignOffRequest, request: Request, principal: Principal = Auth
) -> dict[str, Any]:
    return sign_off(service_of(request), principal, version_id, body)


def comparison_of(service: Any, principal: Principal, a: str, b: str) -> dict[str, Any]:
    """Two versions' certificates side by side (no table is re-read: scores, verdicts, findings)."""
    from datacert.certificate import Certificate
    from datacert.compare import Comparison

    with service.db.session() as session:
        sides = []
        for version_id in (a, b):
            version = get_scoped(session, principal, Version, version_id)
            record = _certificate_record(session, version, "check")
            artifact = session.get(Artifact, record.json_artifact_id)
            assert artifact is not None
            dataset = session.get(DatasetRecord, version.dataset_id)
            name = f"{dataset.name if dataset else ''} v{version.number}"
            cert = Certificate.from_json(service.storage.absolute(artifact.path).read_text(encoding="utf-8"))
            sides.append((name, cert))
    (name_a, cert_a), (name_b, cert_b) = sides
    if name_a == name_b:
        name_a, name_b = f"A: {name_a}", f"B: {name_b}"
    comparison = Comparison(
        name_a,
        name_b,
        cert_a,
        cert_b,
        None,
        ["Certificates compared; queue a compare job for the distribution shift of the tables."],
    )
    return comparison.to_dict()


@router.get("/compare", summary="Compare the certificates of two versions (any datasets of your projects)")
def compare_versions(
    request: Request, a: str = Query(...), b: str = Query(...), principal: Principal = Auth
) -> dict[str, Any]:
    return comparison_of(service_of(request), principal, a, b)


@router.get("/checks", summary="The catalogue of checks")
def list_checks(principal: Principal = Auth) -> list[dict[str, Any]]:
    from datacert.checks import catalogue

    return [dict(e, params={k: str(v) for k, v in e["params"].items()}) for e in catalogue()]


@router.get("/audit", summary="Audit events of your projects, newest first")
def list_audit(
    request: Request, project_id: str | None = None, object_id: str | None = None, principal: Principal = Auth
) -> list[dict[str, Any]]:
    ids = (
        principal.project_ids if project_id is None else [p for p in principal.project_ids if p == project_id]
    )
    with service_of(request).db.session() as session:
        events = service_of(request).audit.events(session, ids, object_id=object_id)
    return [
        {
            "id": e.id,
            "at": iso(e.created_at),
            "actor": e.actor,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "project_id": e.project_id,
            "detail": dict(e.detail),
        }
        for e in events
    ]
