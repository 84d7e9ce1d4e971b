"""The job table: exclusive claims, leases, and a worker killed mid-job (SIGKILL) whose job is
completed exactly once after a restart, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update
from tests.webservice.helpers import csv_bytes, small_table

from datacert.service.jobs import claim, enqueue, finish
from datacert.service.models import Artifact, AuditEvent, CertificateRecord, Job, utcnow
from datacert.service.users import add_user


def _queue(harness, n: int) -> list[str]:
    with harness.service.db.session() as session:
        user = add_user(session, "queue-user", "queue", "admin", password="x")
        return [
            enqueue(session, project_id=user.project_id, kind="check", created_by=user.user_id).id
            for _ in range(n)
        ]


def test_claims_are_exclusive_and_a_stale_worker_cannot_finish(harness):
    db = harness.service.db
    (job_id,) = _queue(harness, 1)
    first = claim(db, "host-a:1", lease_seconds=60, max_attempts=3)
    assert first is not None and first.job_id == job_id and first.attempt == 1
    assert claim(db, "host-b:2", lease_seconds=60, max_attempts=3) is None  # held under a live lease
    with db.session() as session:  # the first worker goes silent: its lease runs out
        session.execute(
            update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    second = claim(db, "host-b:2", lease_seconds=60, max_attempts=3)
    assert second is not None and second.attempt == 2
    with db.session() as session:
        assert not finish(session, first, status="done", stages=[], result={})  # the stale worker loses
    with db.session() as session:
        assert finish(session, second, status="done", stages=[], result={"ok": True})
    with db.session() as session:
        job = session.get(Job, job_id)
        assert job.status == "done" and job.attempts == 2 and job.result == {"ok": True}


def test_concurrent_workers_never_take_the_same_job(harness):
    jobs = _queue(harness, 12)
    taken: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (got := claim(harness.service.db, name, lease_seconds=60, max_attempts=3)) is not None:
            with lock:
                taken.append(got.job_id)

    threads = [threading.Thread(target=work, args=(f"host:{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(jobs)


def test_a_job_interrupted_too_often_fails_with_a_reason(harness):
    db = harness.service.db
    (job_id,) = _queue(harness, 1)
    for _ in range(2):
        assert claim(db, "host:1", lease_seconds=60, max_attempts=2) is not None
        with db.session() as session:
            session.execute(
                update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
            )
    assert claim(db, "host:1", lease_seconds=60, max_attempts=2) is None
    with db.session() as session:
        job = session.get(Job, job_id)
        assert job.status == "failed" and "interrupted 2 times" in job.error


def _worker(harness, *extra: str) -> subprocess.Popen:
    settings = harness.settings
    command = [
        sys.executable,
        "-m",
        "datacert",
        "worker",
        "--home",
        str(settings.home),
        "--lease-seconds",
        "120",
        *extra,
    ]
    if settings.database_url:
        command += ["--database", settings.database_url]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONHASHSEED="0")
    )


def test_worker_killed_mid_job_is_completed_exactly_once_after_restart(harness):
    api = harness.client("alice")
    content = csv_bytes(small_table(0, n=3000))
    submitted = api.post(
        "/api/v1/submissions",
        files={"file": ("cohort.csv", content)},
        data={"dataset": "cohort", "group": "patient_id"},
    ).json()
    job_id = submitted["job_id"]
    worker = _worker(harness)
    deadline = time.monotonic() + 120
    state = None
    while time.monotonic() < deadline:
        state = api.get(f"/api/v1/jobs/{job_id}").json()
        running = [s["name"] for s in state["stages"] if s["status"] == "running"]
        if state["status"] == "running" and running and running[0] in ("checks", "profile"):
            break
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    else:
        raise AssertionError(f"the worker never started the job: {state}")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    interrupted = api.get(f"/api/v1/jobs/{job_id}").json()
    assert (
        interrupted["status"] == "running" and interrupted["attempts"] == 1
    )  # left behind by the dead worker

    # two workers restart at once: one takes the orphaned job over, the other finds nothing to do
    restarted = [_worker(harness, "--once"), _worker(harness, "--once")]
    for process in restarted:
        assert process.wait(timeout=300) == 0, process.stderr.read().decode()[-2000:]
    job = api.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "done" and job["attempts"] == 2, job
    assert all(s["status"] == "done" for s in job["stages"])
    with harness.service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CertificateRecord)) == 1
        kinds = session.scalars(select(Artifact.kind).where(Artifact.job_id == job_id)).all()
        assert sorted(kinds) == ["certificate", "report", "report_redacted"]
        done_events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "job_done", AuditEvent.object_id == job_id)
        )
        assert done_events == 1
    version = api.get(f"/api/v1/versions/{submitted['version_id']}").json()
    assert (
        len(version["certificates"]) == 1
        and version["certificates"][0]["verdict"] == job["result"]["verdict"]
    )
