"""`datacert serve` and `datacert worker`: the web service and its job worker."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import fail


def service_settings(
    home: Path | None, database: str | None, storage: Path | None, max_upload: str | None, lease: float | None
):  # noqa: ANN201 - datacert.service imported lazily
    from datacert.service.config import Settings, parse_size

    settings = Settings.from_env()
    if home is not None:
        settings = settings.with_(home=home)
    if database:
        settings = settings.with_(database_url=database)
    if storage is not None:
        settings = settings.with_(storage_dir=storage)
    if max_upload:
        try:
            settings = settings.with_(max_upload_bytes=parse_size(max_upload))
        except ValueError:
            raise fail(f"--max-upload must be a size such as 2G or 500M, not {max_upload!r}.") from None
    if lease:
        settings = settings.with_(lease_seconds=lease)
    return settings


HOME = typer.Option(None, "--home", help="Data folder (default $DATACERT_HOME or ~/.datacert).")
DATABASE = typer.Option(
    None,
    "--database",
    help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: SQLite in the home).",
)
STORAGE = typer.Option(None, "--storage", help="Folder for uploads and outputs (default: in the home).")
LEASE = typer.Option(None, "--lease-seconds", help="Seconds after which a silent worker's job is taken over.")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    home: Path | None = HOME,
    database: str | None = DATABASE,
    storage: Path | None = STORAGE,
    max_upload: str | None = typer.Option(None, "--max-upload", help="Upload size limit (default 2G)."),
    lease: float | None = LEASE,
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Run no job worker here (use `datacert worker`)."
    ),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Mark cookies Secure (behind HTTPS)."
    ),
    rate_limit: float = typer.Option(
        50.0, "--rate-limit", help="API requests per second per token (burst: 4x)."
    ),
    demo: bool = typer.Option(False, "--demo", help="Create a demo user and a demo dataset first."),
) -> None:
    """Run the datacert web service: HTTP API and browser UI (with a job worker unless --no-worker)."""
    import uvicorn

    from datacert.service.app import build_app, build_service

    _logging()
    settings = service_settings(home, database, storage, max_upload, lease).with_(
        inline_worker=not no_worker,
        secure_cookies=secure_cookies,
        rate_per_second=rate_limit,
        rate_burst=max(1, int(rate_limit * 4)),
    )
    try:
        service = build_service(settings)
    except Exception as exc:
        raise fail(f"cannot open the database: {type(exc).__name__}: {exc}") from None
    url = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/"
    if demo:
        from datacert.service.demo import setup_demo

        made = setup_demo(service)
        typer.echo(
            f"demo user: {made.username}  password: {made.password}  (dataset demo-cohort, 2 versions)"
        )
    typer.echo(f"datacert service at {url}  (database: {settings.url.split('@')[-1]})")
    uvicorn.run(build_app(settings, service), host=host, port=port, access_log=False, log_level="info")


@app.command("worker")
def worker_command(
    home: Path | None = HOME,
    database: str | None = DATABASE,
    storage: Path | None = STORAGE,
    lease: float | None = LEASE,
    once: bool = typer.Option(False, "--once", help="Run the queued jobs, then exit."),
) -> None:
    """Run a job worker for the datacert service (claims jobs from the database until stopped)."""
    from datacert.service.worker import main

    _logging()
    raise typer.Exit(main(service_settings(home, database, storage, None, lease), once=once))
