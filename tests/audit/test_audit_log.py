"""The audit log: one event per command, chained, and every kind of tampering named."""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest
from typer.testing import CliRunner

from datacert.audit import EventDraft, FileRef, open_store, record, verify_chain
from datacert.audit.store import STORE_DIR, STORE_FILE
from datacert.cli import app


def _draft(i: int) -> EventDraft:
    return EventDraft(
        time=f"2026-01-0{i}T00:00:00+00:00",
        tool_version="0.1.0",
        command="check",
        actor="tester",
        options={"target": "y"},
        inputs=[FileRef("/data/a.csv", f"{i:064x}", 100 + i)],
        verdict="release",
        exit_code=0,
    )


@pytest.fixture
def store(tmp_path):
    log = open_store(tmp_path / "log")
    for i in range(1, 6):
        log.append(_draft(i))
    return log


def _kinds(log) -> list[tuple[str, int | None]]:
    report = verify_chain(log.events(), log.head())
    return [(p.kind, p.seq) for p in report.problems]


def _sql(log, statement: str, *args) -> None:
    db = sqlite3.connect(log.path)
    db.execute(statement, args)
    db.commit()
    db.close()


def test_intact_chain_verifies(store):
    report = verify_chain(store.events(), store.head())
    assert report.ok and report.events == 5
    events = list(store.events())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))


def test_edited_event_is_named(store):
    body = json.loads(
        sqlite3.connect(store.path).execute("SELECT body FROM events WHERE seq = 3").fetchone()[0]
    )
    body["verdict"] = "reject"
    _sql(store, "UPDATE events SET body = ? WHERE seq = 3", json.dumps(body))
    assert _kinds(store) == [("edited", 3)]


def test_edited_and_rehashed_event_is_named(store):
    from datacert.audit.events import event_hash

    row = sqlite3.connect(store.path).execute("SELECT prev_hash, body FROM events WHERE seq = 2").fetchone()
    body = json.loads(row[1])
    body["actor"] = "someone else"
    _sql(
        store,
        "UPDATE events SET body = ?, hash = ? WHERE seq = 2",
        json.dumps(body),
        event_hash(2, row[0], body),
    )
    assert _kinds(store) == [("replaced", 2)]


def test_deleted_event_is_named(store):
    _sql(store, "DELETE FROM events WHERE seq = 3")
    assert _kinds(store) == [("deleted", 3)]


def test_deleted_newest_event_is_named(store):
    _sql(store, "DELETE FROM events WHERE seq = 5")
    assert _kinds(store) == [("truncated", 5)]


def test_inserted_event_is_named(store):
    from datacert.audit.events import seal

    third = next(e for e in store.events() if e.seq == 3)
    forged = seal(_draft(9), 4, third.hash)  # a well-formed event claiming to follow #3
    db = sqlite3.connect(store.path)
    db.execute("UPDATE events SET position = position + 100 WHERE seq > 3")
    db.execute(
        "INSERT INTO events (position, seq, prev_hash, hash, body) VALUES (4, ?, ?, ?, ?)",
        (forged.seq, forged.prev_hash, forged.hash, json.dumps(forged.body)),
    )
    db.commit()
    db.close()
    assert _kinds(store) == [("inserted", 4)]


def test_reordered_events_are_named(store):
    db = sqlite3.connect(store.path)
    db.execute("UPDATE events SET position = 100 WHERE seq = 2")
    db.execute("UPDATE events SET position = 2 WHERE seq = 4")
    db.execute("UPDATE events SET position = 4 WHERE seq = 2")
    db.commit()
    db.close()
    problems = verify_chain(store.events(), store.head()).problems
    assert [p.kind for p in problems] == ["reordered"]
    assert "#4" in problems[0].message and "#2" in problems[0].message


def test_store_file_is_private(store):
    assert stat.S_IMODE(store.path.stat().st_mode) & 0o077 == 0


def test_record_is_one_call_without_values(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("age,name\n40,Jeanne Dupont\n")
    log = open_store(tmp_path / "log")
    event = record("synth", inputs=[(data, "data")], options={"rows": 10}, store=log, actor="svc")
    assert event.seq == 1 and event.body["actor"] == "svc" and event.inputs()[0].bytes == data.stat().st_size
    assert "Dupont" not in (tmp_path / "log" / STORE_FILE).read_bytes().decode("latin-1")


def test_every_command_appends_one_event(pipeline):
    """check, prequalify, apply, text deid and compare each append one event beside the data."""
    log = open_store(pipeline.folder / STORE_DIR)
    events = list(log.events())
    assert [e.command for e in events] == ["check", "prequalify", "apply", "check", "text deid", "compare"]
    first = events[0].body
    assert first["actor"] == "qa-lead" and first["verdict"] in ("release", "prequalify", "reject")
    assert first["dataset"]["rows"] == 158 and first["exit_code"] == pipeline.exit_codes["check"]
    assert first["options"]["target"] == "outcome" and "sign_key" not in first["options"]
    assert {o.kind for o in events[1].outputs()} >= {"table", "plan", "certificate", "report"}
    assert [r.kind for r in events[1].inputs()] == ["data", "settings"]
    assert events[2].inputs()[0].kind == "data" and events[2].outputs()[0].kind == "table"
    stored = (pipeline.folder / STORE_DIR / STORE_FILE).read_bytes().decode("latin-1")
    assert "Martin" not in stored and "06 12" not in stored  # nothing patient-level
    assert verify_chain(events, log.head()).ok


def test_audit_commands_show_verify_export_and_catch_a_deletion(pipeline, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(pipeline.folder / STORE_DIR, folder)
    runner = CliRunner()
    shown = runner.invoke(app, ["audit", "show", "--store", str(folder)])
    assert shown.exit_code == 0 and "prequalify" in shown.output and "qa-lead" in shown.output
    assert runner.invoke(app, ["audit", "verify", "--store", str(folder)]).exit_code == 0
    out = tmp_path / "log.jsonl"
    assert runner.invoke(app, ["audit", "export", "--store", str(folder), "--out", str(out)]).exit_code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5, 6]
    assert all(line["hash"] and line["prev_hash"] for line in lines)

    _sql(open_store(folder), "DELETE FROM events WHERE seq = 2")
    verdict = runner.invoke(app, ["audit", "verify", "--store", str(folder)])
    assert verdict.exit_code == 4 and "deleted" in verdict.output and "#2" in verdict.output


def test_a_row_that_is_no_longer_json_is_named(store):
    _sql(store, "UPDATE events SET body = ? WHERE seq = 4", "{not json")
    assert _kinds(store) == [("edited", 4)]
