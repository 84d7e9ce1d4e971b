"""Fixtures and helpers for the service tests: the same tests run on SQLite and on PostgreSQL.

PostgreSQL: a throw-away cluster made with Debian's initdb/pg_ctl in a temporary folder, reached
through a Unix socket in that folder (no TCP port, nothing shared with other runs). As root, the
cluster runs as the `postgres` system user, because the server refuses to run as root. Without
the binaries, the PostgreSQL half of each test is skipped with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from datacert.service.app import build_app, build_service
from datacert.service.config import Settings
from datacert.service.users import add_user, issue_token


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its cheapest parameters: the same code path, a fraction of the cost per hash."""
    from argon2 import PasswordHasher

    from datacert.service import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PgCluster:
    folder: Path
    bin: Path
    run_as: list[str]

    @property
    def socket(self) -> str:
        return str(self.folder)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket}"

    def create_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=self.socket, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    folder = Path(tempfile.mkdtemp(prefix="datacert-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip("running as root and there is no 'postgres' user to run a test cluster as")
        os.chown(folder, account.pw_uid, account.pw_gid)
        runuser = shutil.which("runuser") or "/sbin/runuser"
        run_as = [runuser, "-u", "postgres", "--"]
    data = folder / "data"
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    options = f"-k {folder} -c listen_addresses='' -F -c max_connections=200 -c full_page_writes=off"
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    try:
        yield PgCluster(folder, bin_dir, run_as)
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-W", "stop"],
            capture_output=True,
            env=env,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.url(cluster.create_database())


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url, inline_worker=False, rate_burst=10_000)


@dataclass
class Harness:
    """An app with its service, two users in two projects, and their tokens."""

    settings: Settings
    service: Any
    app: Any
    tokens: dict[str, str]

    def client(self, user: str | None = None) -> Any:
        from fastapi.testclient import TestClient

        client = TestClient(self.app)
        if user:
            client.headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return client

    def drain(self) -> list[str]:
        from datacert.service.worker import drain

        return drain(self.settings, self.service.db, self.service.audit)

    def login(self, user: str) -> Any:
        """A browser-like client with a session cookie."""
        client = self.client()
        page = client.get("/login")
        csrf = _hidden(page.text, "csrf")
        response = client.post(
            "/login", data={"csrf": csrf, "username": user, "password": f"pw-{user}"}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return client


def _hidden(html: str, name: str) -> str:
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def make_harness(settings: Settings) -> Harness:
    service = build_service(settings)
    app = build_app(settings, service, start_worker=False)
    tokens = {}
    with service.db.session() as session:
        for user, project, role in (
            ("alice", "oncology", "admin"),
            ("bob", "cardiology", "admin"),
            ("carol", "oncology", "submitter"),
            ("rita", "oncology", "reviewer"),
        ):
            add_user(session, user, project, role, password=f"pw-{user}")
    with service.db.session() as session:
        for user in ("alice", "bob", "carol", "rita"):
            tokens[user] = issue_token(session, user, "tests")
    return Harness(settings, service, app, tokens)


@pytest.fixture
def harness(settings: Settings) -> Iterator[Harness]:
    h = make_harness(settings)
    yield h
    h.service.db.dispose()


def small_table(seed: int = 0, n: int = 120) -> pl.DataFrame:
    """A small clinical-looking table: enough for a real check in well under a second."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, n)
    sbp = rng.normal(130, 15, n).round(0)
    outcome = (rng.random(n) < 1 / (1 + np.exp(-(age - 55) / 10))).astype(int)
    notes = [
        f"Patient vu le {rng.integers(1, 28)}/03/2024, tension {int(s)} mmHg." if i % 3 else "RAS."
        for i, s in enumerate(sbp)
    ]
    return pl.DataFrame(
        {
            "patient_id": [f"P{i:04d}" for i in range(n)],
            "age": age,
            "sbp": sbp,
            "sex": rng.choice(["F", "M"], n),
            "note": notes,
            "outcome": outcome,
        }
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


def serve_live(tmp_path: Path, users: list[tuple[str, str, str, str]], **settings: Any) -> Iterator[str]:
    """A real uvicorn server with its in-process worker on a free loopback port; yields its URL."""
    import socket
    import threading
    import time

    import uvicorn

    config = Settings(home=tmp_path / "home", inline_worker=True, poll_seconds=0.2, **settings)
    service = build_service(config)
    with service.db.session() as session:
        for username, project, role, password in users:
            add_user(session, username, project, role, password=password)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(build_app(config, service), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    service.test_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    service.db.dispose()
