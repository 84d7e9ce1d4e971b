"""`datacert checks` lists every registered check with its dimension."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from datacert.checks import load_all_checks
from datacert.cli import app


def test_checks_command_lists_the_registry():
    result = CliRunner().invoke(app, ["checks", "--format", "json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert [e["check"] for e in entries] == sorted(load_all_checks())
    by_id = {e["check"]: e for e in entries}
    assert by_id["duplicate_ids"]["needs"]["roles"] == ["id"]
    assert by_id["missing_values"]["params"]["error_rate"] == 0.30


def test_checks_command_markdown_and_bad_format():
    runner = CliRunner()
    assert "| `missing_values` | completeness |" in runner.invoke(app, ["checks", "--format", "md"]).stdout
    assert runner.invoke(app, ["checks", "--format", "xml"]).exit_code == 2
