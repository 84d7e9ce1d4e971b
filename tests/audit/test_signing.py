"""Signed certificates: keys private to their owner, any altered byte caught and its section named."""

from __future__ import annotations

import json
import re
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
    assert result.exit_code == 2 and "chmod 600" in result.output  # refused before any work


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


def test_signed_certificate_verifies_and_any_flipped_byte_is_caught(pipeline, tmp_path):
    cert = tmp_path / "cert.json"
    original = pipeline.path("raw.json").read_bytes()
    cert.write_bytes(original)
    public = str(pipeline.public_key)
    runner = CliRunner()
    document = json.loads(original)
    assert document["signature"]["algorithm"] == "Ed25519" and "run" in document["signature"]["sections"]
    ok = runner.invoke(app, ["verify", str(cert), "--pub", public])
    assert ok.exit_code == 0, ok.output
    # a digit inside the findings, a character in the run section
    for needle, section in ((rb'"row_count": \d+', "findings"), (rb'"started": "\d+', "run")):
        at = re.search(needle, original).end() - 1  # a number's last digit: the file stays valid JSON
        flipped = bytearray(original)
        flipped[at] = flipped[at] ^ 0x01
        cert.write_bytes(bytes(flipped))
        bad = runner.invoke(app, ["verify", str(cert), "--pub", public])
        assert bad.exit_code == 4 and section in bad.output, bad.output
    at = original.index(b'"value": "') + len(b'"value": "') + 3  # a byte of the signature itself
    flipped = bytearray(original)
    flipped[at] = ord("A") if flipped[at] != ord("A") else ord("B")
    cert.write_bytes(bytes(flipped))
    assert runner.invoke(app, ["verify", str(cert)]).exit_code == 4
    flipped = bytearray(original)
    flipped[0] = ord("[")  # no longer JSON at all
    cert.write_bytes(bytes(flipped))
    assert "altered" in runner.invoke(app, ["verify", str(cert)]).output


def test_other_key_and_unsigned_are_invalid(pipeline, tmp_path):
    _, other_public = new_key_pair(tmp_path / "other")
    runner = CliRunner()
    assert (
        runner.invoke(app, ["verify", str(pipeline.path("raw.json")), "--pub", str(other_public)]).exit_code
        == 4
    )
    unsigned = runner.invoke(app, ["verify", str(pipeline.path("batch.json"))])
    assert unsigned.exit_code == 4 and "no signature" in unsigned.output


def test_signed_plan_and_data_fingerprint(pipeline, tmp_path):
    runner = CliRunner()
    public = str(pipeline.public_key)
    assert runner.invoke(app, ["verify", str(pipeline.path("plan.json")), "--pub", public]).exit_code == 0
    from datacert.prequalification import load_plan

    load_plan(
        pipeline.path("plan.json").read_text()
    )  # a signed plan still loads and replays (apply ran on it)
    clean = str(pipeline.path("clean.json"))
    good = runner.invoke(
        app, ["verify", clean, "--pub", public, "--data", str(pipeline.path("clean.parquet"))]
    )
    assert good.exit_code == 0, good.output
    bad = runner.invoke(app, ["verify", clean, "--data", str(pipeline.raw)])
    assert bad.exit_code == 4 and "DATA DIFFERS" in bad.output
