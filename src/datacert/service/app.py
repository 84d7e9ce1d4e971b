"""The FastAPI application: the shared state, authentication, security headers, logging, limits.

Server logs name the method, the route template (never the concrete path's query or body), the
status and the time: ids may appear in paths, record values never do.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from datacert._version import __version__
from datacert.service.access import (
    SESSION_COOKIE,
    Forbidden,
    NotFound,
    Principal,
    from_session_cookie,
    from_token,
)
from datacert.service.audit import AuditStore, TableAuditStore
from datacert.service.config import Settings
from datacert.service.db import Database
from datacert.service.models import ServerSecret
from datacert.service.ratelimit import RateLimiter
from datacert.service.security import VerifiedTokenCache
from datacert.service.storage import Storage, UploadRejected

log = logging.getLogger("datacert.service")
HERE = Path(__file__).resolve().parent

# No inline script anywhere in the app's own pages: scripts come from /static only.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


@dataclass
class Service:
    settings: Settings
    db: Database
    storage: Storage
    audit: AuditStore
    tokens: VerifiedTokenCache
    limiter: RateLimiter
    secret_key: str
    worker_stop: threading.Event = field(default_factory=threading.Event)
    worker_thread: threading.Thread | None = None


def _secret_key(db: Database) -> str:
    """One key per installation, kept in the database so that every server process shares it."""
    with db.session() as session:
        row = session.get(ServerSecret, "csrf")
        if row is None:
            try:
                session.add(ServerSecret(name="csrf", value=secrets.token_hex(32)))
                session.commit()
            except IntegrityError:
                session.rollback()
        return str(session.scalar(select(ServerSecret.value).where(ServerSecret.name == "csrf")))


def build_service(settings: Settings, migrate: bool = True) -> Service:
    db = Database(settings)
    if migrate:
        db.migrate()
    return Service(
        settings=settings,
        db=db,
        storage=Storage(settings),
        audit=TableAuditStore(),
        tokens=VerifiedTokenCache(),
        limiter=RateLimiter(settings.rate_per_second, settings.rate_burst),
        secret_key=_secret_key(db),
    )


def principal_of(request: Request) -> Principal | None:
    """The authenticated user of a request (cached on the request), or None."""
    if "principal" in request.state._state:
        return request.state.principal
    service: Service = request.app.state.service
    principal = None
    header = request.headers.get("authorization", "")
    with service.db.session() as session:
        if header.lower().startswith("bearer "):
            principal = from_token(session, header[7:].strip(), service.tokens)
        elif request.cookies.get(SESSION_COOKIE):
            principal = from_session_cookie(session, request.cookies[SESSION_COOKIE])
        session.expunge_all()
    request.state.principal = principal
    return principal


def build_app(
    settings: Settings, service: Service | None = None, start_worker: bool | None = None
) -> FastAPI:
    service = service or build_service(settings)
    inline = settings.inline_worker if start_worker is None else start_worker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if inline:
            from datacert.service.worker import start_inline_worker

            service.worker_thread = start_inline_worker(service)
        yield
        service.worker_stop.set()

    app = FastAPI(
        lifespan=lifespan,
        title="datacert service",
        version=__version__,
        summary="Submit datasets, get certificates of analysis, keep the history and sign-offs.",
        description=(
            "Authenticate with `Authorization: Bearer <token>` (create tokens on the Tokens page or "
            "with POST /api/v1/tokens). Uploads are multipart/form-data; a submission returns a job "
            "to poll until its status is `done` or `failed`."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load their code from a CDN; /api/docs is rendered here
        redoc_url=None,
    )
    app.state.service = service

    from datacert.service import api, ui

    app.include_router(api.router)
    app.include_router(ui.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        if request.url.path.startswith("/api/") or request.method == "POST":
            key = _rate_key(request)
            wait = service.limiter.allow(key)
            if wait > 0:
                response: Response = JSONResponse(
                    {"detail": "too many requests for this token; slow down."},
                    status_code=429,
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
                return _secure(response, request)
        response = await call_next(request)
        route = request.scope.get("route")
        log.info(
            "%s %s %s %.1f ms",
            request.method,
            getattr(route, "path", "(no route)"),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return _secure(response, request)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        message = str(exc) or "not found."
        if _wants_html(request):
            return ui.error_page(request, 404, message)
        return JSONResponse({"detail": message}, status_code=404)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_html(request):
            return ui.error_page(request, 403, str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(UploadRejected)
    async def rejected(request: Request, exc: UploadRejected) -> Response:
        if _wants_html(request):
            return ui.error_page(request, exc.status, f"Upload refused: {exc.message}")
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    app.add_exception_handler(api.Unauthorized, api.unauthorized_handler)  # type: ignore[arg-type]

    @app.exception_handler(ui.LoginRequired)
    async def login_required(request: Request, exc: ui.LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


def _rate_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        return "token:" + token.split("_")[1] if token.count("_") >= 2 else "bad-token"
    if request.cookies.get(SESSION_COOKIE):
        return "session:" + request.cookies[SESSION_COOKIE][:16]
    return "addr:" + (request.client.host if request.client else "unknown")


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _secure(response: Response, request: Request) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", APP_CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.url.path.startswith("/api/") or request.method != "GET":
        headers.setdefault("Cache-Control", "no-store")
    return response
