"""The datacert service: an HTTP API and a browser UI where a data team submits datasets, gets
certificates and keeps the history, on the same engine as the command line.

Modules, one job each:
  config      settings (database URL, storage folder, limits) from options and the environment
  db          engine and sessions for SQLite (embedded default) and PostgreSQL
  models      the tables: users, projects, memberships, tokens, datasets, versions, jobs, artefacts
  migrations  Alembic schema migrations (run by `datacert serve` and `datacert worker` on start)
  security    argon2 hashing, API tokens, sessions, CSRF, random object ids
  access      who may see what: every query goes through a project the user is a member of
  storage     uploads streamed to disk with a size limit, content sniffing, content-addressed files
  audit       the audit-event store behind a small interface
  jobs        the persistent job table: enqueue, claim with row locks, leases, completion
  runner      what a job does: check, prequalify, text deid, compare, with per-stage progress
  worker      the worker loop (`datacert worker`, or a thread inside `datacert serve`)
  ratelimit   per-token request budgets
  api         the JSON API (OpenAPI at /api/openapi.json)
  ui          the server-rendered pages (Jinja2 templates, one small vendored-free script)
  app         the FastAPI application that ties them together, with security headers
  client      `datacert submit`: upload, wait for the verdict, exit with the usual code
"""

from datacert.service.config import Settings

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings | None = None):  # noqa: ANN201 - FastAPI imported lazily
    """The FastAPI application for these settings (imported lazily: the CLI starts fast)."""
    from datacert.service.app import build_app

    return build_app(settings or Settings.from_env())
