"""Trust-benchmark results know which code they measured; a resumed run re-does only what changed."""

from __future__ import annotations

import json

import pytest
from benchmarks.trust import fingerprint as fp
from benchmarks.trust import runner
from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from benchmarks.trust.runner import Task, read_results, run, stale_reason, task_fingerprints, tasks_to_run
from benchmarks.trust.summary import summarise


def test_code_hash_ignores_comments_docstrings_and_layout_but_not_code():
    base = 'def f(x):\n    """Why."""\n    return x + 1\n'
    same = "def f(x):  # a comment\n\n    return (x +\n            1)\n"
    other = 'def f(x):\n    """Why."""\n    return x + 2\n'
    assert fp.code_hash(base) == fp.code_hash(same)
    assert fp.code_hash(base) != fp.code_hash(other)
    check = 'class C:\n    id = "x"\n    kahn = "a"\n    def run(self):\n        return 1\n'
    described = check.replace('kahn = "a"', 'kahn = "b"\n    governance = ("errors",)')
    assert fp.code_hash(check) == fp.code_hash(described)
    assert fp.code_hash(check) != fp.code_hash(check.replace('id = "x"', 'id = "y"'))


def test_a_check_depends_on_its_own_helpers_and_not_on_other_checks():
    label = fp.module_closure(fp.check_modules()["label_issues"])
    outliers = fp.module_closure(fp.check_modules()["multivariate_outliers"])
    assert "datacert.checks._reference_model" in label
    assert "datacert.checks._reference_model" not in fp.engine_modules()
    assert fp.check_modules()["label_issues"] not in outliers
    assert {"datacert.dataset", "datacert.profile", "datacert.semantics"} <= fp.engine_modules()


def test_changing_a_helper_moves_only_the_fingerprints_of_the_checks_that_use_it(monkeypatch):
    checks = ("label_issues", "target_leakage", "multivariate_outliers", "duplicate_rows")
    before = {c: fp.check_fingerprint.__wrapped__(c) for c in checks}
    real = fp._module_hash.__wrapped__
    monkeypatch.setattr(
        fp,
        "_module_hash",
        lambda name: "edited" if name == "datacert.checks._reference_model" else real(name),
    )
    after = {c: fp.check_fingerprint.__wrapped__(c) for c in checks}
    assert after["label_issues"] != before["label_issues"]
    assert after["target_leakage"] != before["target_leakage"]
    assert after["multivariate_outliers"] == before["multivariate_outliers"]
    assert after["duplicate_rows"] == before["duplicate_rows"]


def test_an_injector_fingerprint_covers_the_helpers_it_calls_and_no_others():
    helpers = fp._injector_helpers("exact_duplicates")
    assert {"exact_duplicates", "_with_copies", "_pick_rows"} <= helpers
    assert "_add_text_column" not in helpers
    assert fp.injector_fingerprint("exact_duplicates") != fp.injector_fingerprint("near_duplicates")


def _fake_records(tasks, fingerprints):
    return [{"key": t.key, "status": "done", "seconds": 0.1, **fingerprints[t.key]} for t in tasks]


def test_resume_redoes_exactly_the_missing_and_the_changed_tasks(tmp_path):
    tasks = [
        Task("pima_training", name, 0.01, 0) for name in ("exact_duplicates", "mojibake", "blank_records")
    ]
    tasks.append(Task("pima_training", None, None, 0))
    fingerprints = task_fingerprints(tasks)
    records = _fake_records(tasks[:3], fingerprints)
    changed = dict(records[1], parts=dict(records[1]["parts"], check="an older check"))
    changed["fingerprint"] = fp.combine(changed["parts"])
    results = tmp_path / "r.jsonl"
    results.write_text(
        "".join(json.dumps(r) + "\n" for r in (records[0], changed, records[2])), encoding="utf-8"
    )
    todo = tasks_to_run(tasks, results, fingerprints)
    assert [t.key for t in todo] == [tasks[1].key, tasks[3].key]  # the changed one and the missing one
    assert stale_reason(changed, fingerprints[tasks[1].key]) == "changed: check"
    assert stale_reason({"key": "x"}, fingerprints[tasks[1].key]) == "recorded before fingerprints"
    # the engine is recorded, and counts only when asked
    assert tasks_to_run(tasks[:1], results, fingerprints, rerun_engine=True) == tasks[:1]


def test_stale_rows_are_flagged_and_left_out_of_the_figures(tmp_path):
    tasks = [Task("pima_training", "exact_duplicates", 0.01, s) for s in range(2)]
    fingerprints = task_fingerprints(tasks)
    records = _fake_records(tasks, fingerprints)
    for r in records:
        r.update(injector="exact_duplicates", table="pima_training", size=0.01, severity="warning")
    records[1]["fingerprint"] = "0" * 16
    results = tmp_path / "r.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    read = read_results(results, tasks, fingerprints)
    assert [bool(r.get("stale")) for r in read] == [False, True]
    summary = summarise(read)
    assert summary["stale"]["count"] == 1
    assert summary["tasks"] == 1
    assert summary["detection"]["exact_duplicates"]["at_documented_size"]["tasks"] == 1


def test_a_real_run_resumes_without_rerunning_and_reruns_a_changed_task(tmp_path, monkeypatch):
    (card,) = load_cards(["pima_training"])
    try:
        load_table(card)
    except TableUnavailable as exc:
        pytest.skip(str(exc))
    tasks = [Task("pima_training", "exact_duplicates", 0.01, 0), Task("pima_training", "mojibake", 0.01, 0)]
    results = tmp_path / "r.jsonl"
    first = run(tasks, results, jobs=1, progress=False)
    assert [r["status"] for r in first] == ["done", "done"]
    assert all(r["fingerprint"] and r["engine"] and r["code"]["commit"] for r in first)
    assert first[0]["verdict_input"]["check"] == "duplicate_rows"

    calls: list[str] = []
    real = runner.run_task

    def counting(task):
        calls.append(task.key)
        return real(task)

    monkeypatch.setattr(runner, "run_task", counting)
    run(tasks, results, jobs=1, progress=False)
    assert calls == []
    lines = [json.loads(x) for x in results.read_text(encoding="utf-8").splitlines()]
    lines[1]["fingerprint"] = "f" * 16
    results.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    again = run(tasks, results, jobs=1, progress=False)
    assert calls == [lines[1]["key"]]
    assert len(results.read_text(encoding="utf-8").splitlines()) == 2  # compacted: one line per task
    assert not any(r.get("stale") for r in again)


def _vin(severity: str | None) -> dict:
    findings = (
        [] if severity is None else [{"severity": severity, "columns": [], "row_count": 12, "evidence": {}}]
    )
    return {
        "check": "duplicate_rows",
        "dimension": "uniqueness",
        "status": "fired" if findings else "quiet",
        "evidence": {"numerator": 12, "denominator": 200} if findings else {},
        "findings": findings,
        "n_rows": 200,
        "n_columns": 8,
        "roles": {"target": "type"},
        "not_applicable": ["group_leakage", "train_test_overlap", "temporal_leakage"],
    }


def test_a_planted_defect_verdict_is_decided_from_its_record_with_the_current_profile():
    quiet = runner.defect_alone_verdict(_vin(None))
    assert quiet["verdict"] == "release" and quiet["gates"] == []
    found = runner.defect_alone_verdict(_vin("error"))
    assert found["verdict"] == "prequalify"
    assert "fixable:duplicates" in found["gates"]
    assert found["weakest_dimension"] == "uniqueness"


def test_the_docs_flag_a_must_not_release_defect_that_releases_and_an_unexplained_table():
    from benchmarks.trust.document import verdict_sections
    from benchmarks.trust.summary import verdict_table

    records = [
        {
            "key": "pima_training|untouched|None|0",
            "table": "pima_training",
            "injector": None,
            "status": "done",
            "verdict": "prequalify",
            "gates": ["fixable:duplicates"],
        },
        *[
            {
                "key": f"pima_training|exact_duplicates|0.01|{s}",
                "table": "pima_training",
                "injector": "exact_duplicates",
                "size": 0.01,
                "status": "done",
                "verdict_input": _vin(sev),
            }
            for s, sev in enumerate(("info", "error"))
        ],
    ]
    table = verdict_table(records, load_cards(["pima_training"]))
    assert table["untouched"]["pima_training"]["explained"] is False  # pima's card documents no duplicates
    assert table["injected"]["exact_duplicates"]["verdicts"] == {"release": 1, "prequalify": 1, "reject": 0}
    text = "\n".join(verdict_sections({"verdicts": table}))
    assert "| `pima_training` | prequalify | `fixable:duplicates` (undocumented)" in text
    assert "| exact_duplicates | `duplicate_rows` | 2 | **50 %** | 50 % | 0 % |" in text
