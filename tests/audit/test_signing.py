"""Signed certificates: keys private to their owner, any altered byte caught and its section named."""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from datacert.audit.signing import SigningKeyError, load_private_key, new_key_pair
from datacert.cli import app


@pytest.fixture
def keys(tmp_path):
    return new_key_pair(tmp_path / "qa")


def test_private_key_is_never_world_readable(keys, tmp_path):
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) & 0o600 == 0o600
    private.chmod(0o644)
    with pytest.raises(SigningKeyError, match="readable by others"):
        load_private_key(private)
    result = CliRunner().invoke(app, ["check", "--demo", "--sign", str(private)])
    assert result.exit_code == 2


def test_keys_new_command_under_a_permissive_umask(tmp_path):
    import os

    old = os.umask(0)
    try:
        result = CliRunner().invoke(app, ["keys", "new", str(tmp_path / "lab")])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "lab.key").stat().st_mode) == 0o600
    assert CliRunner().invoke(app, ["keys", "new", str(tmp_path / "lab")]).exit_code == 2  # never overwrites


def test_signed_certificate_verifies_and_any_flipped_byte_is_caught(keys, tmp_path):
    private, public = keys
    cert = tmp_path / "cert.json"
    runner = CliRunner()
    result = runner.invoke(app, ["check", "--demo", "--json", str(cert), "--sign", str(private)])
    assert result.exit_code in (0, 3, 4)
    document = json.loads(cert.read_text())
    assert document["signature"]["algorithm"] == "Ed25519" and "run" in document["signature"]["sections"]
    ok = runner.invoke(app, ["verify", str(cert), "--pub", str(public)])
    assert ok.exit_code == 0, ok.output

    original = cert.read_bytes()
    # a digit inside the findings, a letter in the run section, a byte of the signature itself
    for needle, section in ((b'"row_count": ', "findings"), (b'"started": "', "run")):
        at = original.index(needle) + len(needle)
        flipped = bytearray(original)
        flipped[at] = flipped[at] ^ 0x01
        cert.write_bytes(bytes(flipped))
        bad = runner.invoke(app, ["verify", str(cert), "--pub", str(public)])
        assert bad.exit_code == 4 and section in bad.output, bad.output
    at = original.index(b'"value": "') + len(b'"value": "') + 3
    flipped = bytearray(original)
    flipped[at] = ord("A") if flipped[at] != ord("A") else ord("B")
    cert.write_bytes(bytes(flipped))
    assert runner.invoke(app, ["verify", str(cert)]).exit_code == 4
    flipped = bytearray(original)
    flipped[0] = ord("[")  # no longer JSON at all
    cert.write_bytes(bytes(flipped))
    assert "altered" in runner.invoke(app, ["verify", str(cert)]).output


def test_other_key_and_unsigned_are_invalid(keys, tmp_path):
    private, _ = keys
    _, other_public = new_key_pair(tmp_path / "other")
    cert = tmp_path / "cert.json"
    runner = CliRunner()
    runner.invoke(app, ["check", "--demo", "--json", str(cert), "--sign", str(private)])
    assert runner.invoke(app, ["verify", str(cert), "--pub", str(other_public)]).exit_code == 4
    plain = tmp_path / "plain.json"
    runner.invoke(app, ["check", "--demo", "--json", str(plain)])
    assert runner.invoke(app, ["verify", str(plain)]).exit_code == 4


def test_signed_plan_and_data_fingerprint(keys, tmp_path, clean_frame):
    private, public = keys
    data = tmp_path / "t.csv"
    clean_frame.write_csv(data)
    plan = tmp_path / "plan.json"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["prequalify", str(data), "--target", "outcome", "--out", str(tmp_path / "c.parquet"),
         "--plan", str(plan), "--json", str(tmp_path / "c.json"), "--sign", str(private), "--budget", "5"],
    )  # fmt: skip
    assert result.exit_code in (0, 3, 4), result.output
    assert runner.invoke(app, ["verify", str(plan), "--pub", str(public)]).exit_code == 0
    from datacert.prequalification import load_plan

    load_plan(plan.read_text())  # a signed plan still loads and replays
    good = runner.invoke(app, ["verify", str(tmp_path / "c.json"), "--data", str(tmp_path / "c.parquet")])
    assert good.exit_code == 0, good.output
    other = tmp_path / "other.csv"
    clean_frame.head(100).write_csv(other)
    bad = runner.invoke(app, ["verify", str(tmp_path / "c.json"), "--data", str(other)])
    assert bad.exit_code == 4 and "DATA DIFFERS" in bad.output
