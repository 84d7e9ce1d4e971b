"""The server-rendered pages (Jinja2). Forms carry a CSRF token bound to the session; the only
script is /static/app.js (progress polling), so the pages run under a CSP with no inline script.
Reports are served by `report_response` under their own stricter CSP, sandboxed."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from datacert.service.access import (
    SESSION_COOKIE,
    Forbidden,
    NotFound,
    Principal,
    close_session,
    get_scoped,
    open_session,
)
from datacert.service.api import JobRequest, SignOffRequest, comparison_of, create_job, sign_off
from datacert.service.audit import Event
from datacert.service.models import ApiToken, DatasetRecord, Job, Project, User, Version, utcnow
from datacert.service.security import (
    csrf_token,
    csrf_valid,
    hash_secret,
    new_session_value,
    new_token,
    verify_secret,
)
from datacert.service.storage import receive_form
from datacert.service.submissions import PROFILES, submit
from datacert.service.views import dataset_summaries, iso, job_view, version_view

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
LOGIN_COOKIE = "datacert_login"
VERDICT_CLASS = {"release": "ok", "prequalify": "warn", "reject": "bad"}


class LoginRequired(Exception):
    pass


def _service(request: Request) -> Any:
    return request.app.state.service


def _principal(request: Request) -> Principal:
    from datacert.service.app import principal_of

    principal = principal_of(request)
    if principal is None or principal.via != "session":
        raise LoginRequired()
    return principal


def _check_csrf(request: Request, principal: Principal, given: str | None) -> None:
    if not csrf_valid(_service(request).secret_key, principal.session_value or "", given):
        raise Forbidden(
            "the form has expired or did not come from this site (CSRF check failed); reload the page."
        )


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    from datacert.service.app import principal_of

    principal = principal_of(request)
    if principal is not None and principal.via == "session":
        context.setdefault("user", principal.user)
        context.setdefault("csrf", csrf_token(_service(request).secret_key, principal.session_value or ""))
    context.setdefault("verdict_class", VERDICT_CLASS)
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, message=message)


def report_response(html: str) -> HTMLResponse:
    """A stored report under a CSP that allows exactly its own inline script (by hash) and runs it
    sandboxed in an opaque origin, so even a hostile report could not reach the app's session."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    ]
    csp = (
        f"default-src 'none'; script-src {' '.join(hashes) or chr(39) + 'none' + chr(39)}; "
        "style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; "
        "form-action 'none'; sandbox allow-scripts"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, "X-Frame-Options": "SAMEORIGIN"})


def sparkline(values: list[float]) -> Markup:
    """A small SVG line of the overall scores of a dataset's versions, scaled to their range
    (at least 10 points, so that noise does not look like a trend), with the first and last value."""
    if not values:
        return Markup("")
    width, height = 90, 22
    low, high = min(values), max(values)
    if high - low < 10:
        middle = (high + low) / 2
        low, high = middle - 5, middle + 5
    step = width / max(1, len(values) - 1)

    def y(v: float) -> float:
        return height - 3 - (v - low) / (high - low) * (height - 6)

    points = " ".join(f"{i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    dots = "".join(
        f'<circle cx="{i * step:.1f}" cy="{y(v):.1f}" r="2"></circle>' for i, v in enumerate(values)
    )
    label = ", ".join(f"{v:.0f}" for v in values)
    ends = f"{values[0]:.0f} → {values[-1]:.0f}" if len(values) > 1 else f"{values[0]:.0f}"
    return Markup(
        f'<svg class="spark" width="{width + 4}" height="{height}" viewBox="-2 0 {width + 4} {height}" '
        f'role="img" aria-label="overall score by version: {label}"><polyline '
        f'points="{points}"></polyline>{dots}</svg>'
        f' <span class="muted small">{ends}</span>'
    )


def roles_text(roles: dict[str, Any] | None) -> str:
    """`target outcome · group patient_id · text note, summary` for a roles mapping."""
    if not roles:
        return "inferred"
    parts = [f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in roles.items() if v]
    return " · ".join(parts) or "inferred"


templates.env.globals["sparkline"] = sparkline
templates.env.filters["roles"] = roles_text


# --- login ---------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "login.html", login_csrf=csrf_token(_service(request).secret_key, "login:" + nonce)
    )
    _set_cookie(request, response, LOGIN_COOKIE, nonce, max_age=3600)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    service = _service(request)
    form = await request.form()
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not csrf_valid(service.secret_key, "login:" + nonce, str(form.get("csrf", ""))):
        return error_page(request, 403, "the login form has expired; reload the page and try again.")
    username, password = str(form.get("username", ""))[:120], str(form.get("password", ""))[:1000]

    def check() -> str | None:
        with service.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            ok = verify_secret(user.password_hash if user else None, password)
            if user is None or not ok or user.disabled:
                service.audit.record(session, Event(action="login_failed", actor=username[:120]))
                return None
            value = new_session_value()
            open_session(session, user, value, service.settings.session_hours)
            service.audit.record(session, Event(action="login", actor_id=user.id, actor=user.username))
            return value

    value = await run_in_threadpool(check)
    response: Response
    if value is None:
        response = render(
            request,
            "login.html",
            status=401,
            error="Wrong username or password.",
            login_csrf=csrf_token(service.secret_key, "login:" + nonce),
        )
        return response
    response = RedirectResponse("/", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, value, max_age=int(service.settings.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=_service(request).settings.secure_cookies,
        path="/",
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    principal = _principal(request)
    form = await request.form()
    _check_csrf(request, principal, str(form.get("csrf", "")))
    with _service(request).db.session() as session:
        close_session(session, principal.session_value or "")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- datasets and versions -----------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, project: str | None = None) -> Response:
    principal = _principal(request)
    with _service(request).db.session() as session:
        projects = list(
            session.scalars(
                select(Project).where(Project.id.in_(principal.project_ids)).order_by(Project.name)
            )
        )
        datasets = dataset_summaries(session, principal.project_ids, project or None)
    return render(
        request, "datasets.html", datasets=datasets, projects=projects, project=project, roles=principal.roles
    )


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, dataset: str | None = None) -> Response:
    principal = _principal(request)
    with _service(request).db.session() as session:
        projects = list(
            session.scalars(
                select(Project).where(Project.id.in_(principal.project_ids)).order_by(Project.name)
            )
        )
        chosen = get_scoped(session, principal, DatasetRecord, dataset) if dataset else None
    return render(
        request,
        "submit.html",
        projects=projects,
        dataset=chosen,
        profiles=PROFILES,
        limit=_service(request).settings.max_upload_bytes,
    )


@router.post("/submit")
async def submit_upload(request: Request) -> Response:
    principal = _principal(request)
    service = _service(request)
    form = await receive_form(
        service.settings,
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        request.stream(),
    )
    try:
        _check_csrf(request, principal, form.fields.get("csrf"))
    except Forbidden:
        form.discard()
        raise
    done = await run_in_threadpool(submit, service, principal, form)
    return RedirectResponse(f"/versions/{done.version_id}", status_code=303)


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_page(dataset_id: str, request: Request) -> Response:
    principal = _principal(request)
    with _service(request).db.session() as session:
        dataset = get_scoped(session, principal, DatasetRecord, dataset_id)
        summary = next(s for s in dataset_summaries(session, [dataset.project_id]) if s["id"] == dataset.id)
        versions = [
            version_view(session, v)
            for v in session.scalars(
                select(Version).where(Version.dataset_id == dataset.id).order_by(Version.number.desc())
            )
        ]
    return render(request, "dataset.html", dataset=summary, versions=versions)


@router.get("/versions/{version_id}", response_class=HTMLResponse)
def version_page(version_id: str, request: Request) -> Response:
    principal = _principal(request)
    with _service(request).db.session() as session:
        version = get_scoped(session, principal, Version, version_id)
        view = version_view(session, version)
        project = session.get(Project, version.project_id)
        siblings = list(
            session.scalars(
                select(Version)
                .where(Version.dataset_id == version.dataset_id, Version.id != version.id)
                .order_by(Version.number)
            )
        )
    check = [c for c in view["certificates"] if c["kind"] == "check"]
    running = [j for j in view["jobs"] if j["status"] in ("queued", "running")]
    return render(
        request,
        "version.html",
        version=view,
        certificate=check[-1] if check else None,
        prequalified=[c for c in view["certificates"] if c["kind"] == "prequalified"],
        running=running,
        siblings=siblings,
        project=project,
        role=principal.roles.get(version.project_id),
    )


@router.get("/versions/{version_id}/report-frame", response_class=HTMLResponse)
def report_frame(version_id: str, request: Request, kind: str = "check") -> Response:
    from datacert.service.api import get_report

    principal = _principal(request)
    return get_report(version_id, request, "prequalified" if kind == "prequalified" else "check", principal)


@router.post("/versions/{version_id}/jobs")
async def version_job(version_id: str, request: Request) -> Response:
    principal = _principal(request)
    form = await request.form()
    _check_csrf(request, principal, str(form.get("csrf", "")))
    fields = {k: str(v) for k, v in form.items() if k != "csrf" and str(v)}
    try:
        body = JobRequest(**fields)  # type: ignore[arg-type]
    except Exception:
        return error_page(
            request, 422, "the job request is incomplete (choose a kind, and a column for de-identification)."
        )
    job = await run_in_threadpool(create_job, _service(request), principal, version_id, body)
    return RedirectResponse(
        f"/jobs/{job.id}" if body.kind == "compare" else f"/versions/{version_id}", status_code=303
    )


@router.post("/versions/{version_id}/signoff")
async def version_signoff(version_id: str, request: Request) -> Response:
    principal = _principal(request)
    form = await request.form()
    _check_csrf(request, principal, str(form.get("csrf", "")))
    decision = str(form.get("decision", ""))
    if decision not in ("approved", "rejected"):
        return error_page(request, 422, "choose approve or reject.")
    body = SignOffRequest(decision=decision, comment=str(form.get("comment", ""))[:4000])  # type: ignore[arg-type]
    await run_in_threadpool(sign_off, _service(request), principal, version_id, body)
    return RedirectResponse(f"/versions/{version_id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request) -> Response:
    principal = _principal(request)
    with _service(request).db.session() as session:
        job = get_scoped(session, principal, Job, job_id)
        view = job_view(job)
        version = session.get(Version, job.version_id) if job.version_id else None
        artifacts = version_view(session, version)["artifacts"] if version else []
    return render(
        request,
        "job.html",
        job=view,
        version=version,
        artifacts=[a for a in artifacts if a["job_id"] == job_id],
    )


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, a: str | None = None, b: str | None = None) -> Response:
    principal = _principal(request)
    service = _service(request)
    with service.db.session() as session:
        choices = session.execute(
            select(Version.id, Version.number, DatasetRecord.name)
            .join(DatasetRecord, DatasetRecord.id == Version.dataset_id)
            .where(Version.project_id.in_(principal.project_ids))
            .order_by(DatasetRecord.name, Version.number)
        ).all()
    comparison = comparison_of(service, principal, a, b) if a and b else None
    return render(request, "compare.html", choices=choices, a=a, b=b, comparison=comparison)


@router.get("/checks", response_class=HTMLResponse)
def checks_page(request: Request) -> Response:
    from datacert.checks import catalogue

    _principal(request)
    return render(request, "checks.html", checks=catalogue())


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, project: str | None = None) -> Response:
    principal = _principal(request)
    service = _service(request)
    ids = principal.project_ids if not project else [p for p in principal.project_ids if p == project]
    with service.db.session() as session:
        events = service.audit.events(session, ids)
        names = {
            p.id: p.name
            for p in session.scalars(select(Project).where(Project.id.in_(principal.project_ids)))
        }
    return render(request, "audit.html", events=events, names=names, project=project, iso=iso)


# --- tokens and API docs -------------------------------------------------------------------


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request) -> Response:
    principal = _principal(request)
    with _service(request).db.session() as session:
        tokens = list(
            session.scalars(
                select(ApiToken).where(ApiToken.user_id == principal.user.id).order_by(ApiToken.created_at)
            )
        )
    return render(request, "tokens.html", tokens=tokens, new_token=None, iso=iso)


@router.post("/tokens")
async def tokens_create(request: Request) -> Response:
    principal = _principal(request)
    form = await request.form()
    _check_csrf(request, principal, str(form.get("csrf", "")))
    name = str(form.get("name", ""))[:200]
    token_id, secret, token = new_token()
    service = _service(request)

    def store() -> list[ApiToken]:
        with service.db.session() as session:
            session.add(
                ApiToken(
                    id=token_id,
                    user_id=principal.user.id,
                    name=name,
                    secret_hash=hash_secret(secret),
                    created_at=utcnow(),
                )
            )
            service.audit.record(
                session,
                Event(
                    action="token_created",
                    actor_id=principal.user.id,
                    actor=principal.user.username,
                    object_type="token",
                    object_id=token_id,
                    detail={"name": name},
                ),
            )
            session.flush()
            return list(
                session.scalars(
                    select(ApiToken)
                    .where(ApiToken.user_id == principal.user.id)
                    .order_by(ApiToken.created_at)
                )
            )

    tokens = await run_in_threadpool(store)
    response = render(request, "tokens.html", tokens=tokens, new_token=token, iso=iso)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
async def tokens_revoke(token_id: str, request: Request) -> Response:
    principal = _principal(request)
    form = await request.form()
    _check_csrf(request, principal, str(form.get("csrf", "")))
    service = _service(request)
    with service.db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != principal.user.id:
            raise NotFound()
        row.revoked_at = utcnow()
        service.audit.record(
            session,
            Event(
                action="token_revoked",
                actor_id=principal.user.id,
                actor=principal.user.username,
                object_type="token",
                object_id=token_id,
            ),
        )
    service.tokens.forget_token_id(token_id)
    return RedirectResponse("/tokens", status_code=303)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary", ""),
            "params": [p["name"] for p in op.get("parameters", [])],
        }
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]
    return render(
        request,
        "apidocs.html",
        operations=operations,
        title=spec["info"]["title"],
        version=spec["info"]["version"],
    )
