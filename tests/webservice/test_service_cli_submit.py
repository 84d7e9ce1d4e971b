"""`datacert submit` against a live server on loopback: it waits for the verdict and exits like
`datacert check` (0 release, 3 prequalify, 4 reject), 2 when the server refuses, 1 when unreachable."""

from __future__ import annotations

import socket

import pytest
from tests.webservice.helpers import serve_live, small_table
from typer.testing import CliRunner

from datacert.cli import app
from datacert.scoring import exit_code_for


@pytest.fixture
def server(tmp_path):
    yield from serve_live(
        tmp_path, users=[("pipeline", "imaging", "submitter", "pw")], max_upload_bytes=256 * 1024
    )


def _token(server_home) -> str:
    from datacert.service.config import Settings
    from datacert.service.db import Database
    from datacert.service.users import issue_token

    db = Database(Settings(home=server_home))
    with db.session() as session:
        token = issue_token(session, "pipeline", "ci")
    db.dispose()
    return token


def test_submit_waits_for_the_verdict_and_exits_with_its_code(server, tmp_path):
    token = _token(tmp_path / "home")
    data = tmp_path / "cohort.csv"
    small_table(0).write_csv(data)
    runner = CliRunner()
    args = ["submit", str(data), "--server", server, "--token", token, "--group", "patient_id"]
    result = runner.invoke(app, args)
    verdict = result.stdout.split()[1]
    assert result.exit_code == exit_code_for(verdict), result.output
    assert "/versions/" in result.stdout
    again = runner.invoke(app, args)
    assert again.exit_code == result.exit_code and "already submitted" in again.stdout
    lenient = runner.invoke(app, [*args, "--fail-on", "reject"])
    assert lenient.exit_code == exit_code_for(verdict, "reject")

    refused = runner.invoke(app, ["submit", str(data), "--server", server, "--token", "dct_x_y"])
    assert refused.exit_code == 2 and "401" in refused.output
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    assert runner.invoke(app, ["submit", str(binary), "--server", server, "--token", token]).exit_code == 2
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 100_000)
    too_big = runner.invoke(app, ["submit", str(big), "--server", server, "--token", token])
    assert too_big.exit_code == 2 and "413" in too_big.output
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unreachable = runner.invoke(
        app, ["submit", str(data), "--server", f"http://127.0.0.1:{closed}", "--token", token]
    )
    assert unreachable.exit_code == 1 and "cannot reach" in unreachable.output
