"""The HTTP API end to end (httpx TestClient against the app), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import polars as pl
import pytest
from sqlalchemy import func, select
from tests.webservice.helpers import csv_bytes, small_table

from datacert.service.models import CertificateRecord, Version


def _submit(client, content: bytes, name: str = "cohort.csv", **fields):
    data = {"dataset": "cohort", "group": "patient_id"} | fields
    return client.post("/api/v1/submissions", files={"file": (name, content, "text/csv")}, data=data)


def test_submit_check_history_compare_and_audit(harness):
    api = harness.client("alice")
    first = _submit(api, csv_bytes(small_table(0)))
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["version"] == 1 and not body["deduplicated"]
    queued = api.get(f"/api/v1/jobs/{body['job_id']}").json()
    assert queued["status"] == "queued" and [s["name"] for s in queued["stages"]] == [
        "read",
        "profile",
        "checks",
        "report",
    ]

    assert harness.drain() == ["done"]
    job = api.get(f"/api/v1/jobs/{body['job_id']}").json()
    assert job["status"] == "done" and job["attempts"] == 1
    assert all(s["status"] == "done" for s in job["stages"])
    assert job["result"]["verdict"] in ("release", "prequalify", "reject")

    version = api.get(f"/api/v1/versions/{body['version_id']}").json()
    assert version["roles"] == {"group": "patient_id"}
    assert version["table_fingerprint"]
    (cert,) = version["certificates"]
    certificate = api.get(f"/api/v1/versions/{body['version_id']}/certificate")
    assert certificate.status_code == 200
    assert json.loads(certificate.text)["verdict"] == cert["verdict"] == job["result"]["verdict"]
    report = api.get(f"/api/v1/versions/{body['version_id']}/report")
    assert report.status_code == 200 and "<html" in report.text.lower()
    csp = report.headers["content-security-policy"]
    assert (
        "sandbox allow-scripts" in csp
        and "'sha256-" in csp
        and "unsafe-inline" not in csp.split("style-src")[0]
    )

    # the same bytes again: the same version, no new job
    again = _submit(api, csv_bytes(small_table(0)), name="renamed.csv")
    assert again.json()["deduplicated"] and again.json()["version_id"] == body["version_id"]
    assert harness.drain() == []
    # new content without roles: a second version that reuses the dataset's saved roles
    second = _submit(api, csv_bytes(small_table(1)), group="")
    assert second.json()["version"] == 2
    harness.drain()
    assert api.get(f"/api/v1/versions/{second.json()['version_id']}").json()["roles"] == version["roles"]

    (listed,) = api.get("/api/v1/datasets").json()
    assert listed["versions"] == 2 and len(listed["trend"]) == 2 and listed["verdict"] == listed["verdict"]
    comparison = api.get(
        "/api/v1/compare", params={"a": body["version_id"], "b": second.json()["version_id"]}
    )
    assert comparison.status_code == 200
    assert {row["dimension"] for row in comparison.json()["scores"]} >= {"overall", "completeness"}

    actions = [e["action"] for e in api.get("/api/v1/audit").json()]
    assert actions.count("version_uploaded") == 2 and actions.count("job_done") == 2
    assert "version_resubmitted" in actions and "dataset_created" in actions
    with harness.service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 2
        assert session.scalar(select(func.count()).select_from(CertificateRecord)) == 2


def test_deid_and_compare_jobs_store_their_outputs(harness):
    api = harness.client("alice")
    a = _submit(api, csv_bytes(small_table(0))).json()
    b = _submit(api, csv_bytes(small_table(2))).json()
    harness.drain()
    deid = api.post(
        f"/api/v1/versions/{a['version_id']}/jobs",
        json={"kind": "deid", "column": "note", "group": "patient_id"},
    )
    assert deid.status_code == 202, deid.text
    compare = api.post(
        f"/api/v1/versions/{a['version_id']}/jobs", json={"kind": "compare", "other_version": b["version_id"]}
    )
    bad = api.post(
        f"/api/v1/versions/{a['version_id']}/jobs", json={"kind": "deid", "column": "no_such_column"}
    )
    assert sorted(harness.drain()) == ["done", "done", "failed"]
    assert "no_such_column" in api.get(f"/api/v1/jobs/{bad.json()['id']}").json()["error"]
    deid_job = api.get(f"/api/v1/jobs/{deid.json()['id']}").json()
    assert deid_job["result"]["identifiers"] > 0 and "DATE" in deid_job["result"]["labels"]
    artifacts = {x["kind"]: x for x in api.get(f"/api/v1/versions/{a['version_id']}").json()["artifacts"]}
    assert {"deid_table", "deid_spans", "comparison", "comparison_report", "certificate", "report"} <= set(
        artifacts
    )
    spans = api.get(f"/api/v1/artifacts/{artifacts['deid_spans']['id']}").text.splitlines()
    assert spans and set(json.loads(spans[0])) == {"row", "start", "end", "label"}  # offsets, never values
    shift = json.loads(api.get(f"/api/v1/artifacts/{artifacts['comparison']['id']}").text)
    assert shift["shift"] is not None
    assert api.get(f"/api/v1/jobs/{compare.json()['id']}").json()["status"] == "done"


def test_signoff_needs_reviewer_and_is_audited(harness):
    submitted = _submit(harness.client("carol"), csv_bytes(small_table(0))).json()
    harness.drain()
    refused = harness.client("carol").post(
        f"/api/v1/versions/{submitted['version_id']}/signoff", json={"decision": "approved"}
    )
    assert refused.status_code == 403
    signed = harness.client("rita").post(
        f"/api/v1/versions/{submitted['version_id']}/signoff",
        json={"decision": "approved", "comment": "fit for training"},
    )
    assert signed.status_code == 201, signed.text
    version = harness.client("alice").get(f"/api/v1/versions/{submitted['version_id']}").json()
    assert version["signoffs"][0]["by"] == "rita" and version["signoffs"][0]["decision"] == "approved"
    events = (
        harness.client("alice").get("/api/v1/audit", params={"object_id": submitted["version_id"]}).json()
    )
    signed_events = [e for e in events if e["action"] == "signed_off"]
    assert (
        signed_events
        and signed_events[0]["actor"] == "rita"
        and signed_events[0]["detail"]["decision"] == "approved"
    )


def test_redacted_project_hides_values(harness):
    admin = harness.client("alice")
    project_id = admin.get("/api/v1/me").json()["projects"][0]["id"]
    assert admin.patch(f"/api/v1/projects/{project_id}", json={"redact_reports": True}).status_code == 200
    submitted = _submit(harness.client("carol"), csv_bytes(small_table(0))).json()
    harness.drain()
    carol = harness.client("carol")
    report = carol.get(f"/api/v1/versions/{submitted['version_id']}/report")
    assert report.status_code == 200
    full = admin.get(f"/api/v1/versions/{submitted['version_id']}/certificate")
    assert full.status_code == 200  # reviewers and admins still read the full certificate
    assert carol.get(f"/api/v1/versions/{submitted['version_id']}/certificate").status_code == 403
    assert carol.get(f"/api/v1/versions/{submitted['version_id']}/file").status_code == 403


def test_openapi_documents_the_routes(harness):
    spec = harness.client().get("/api/openapi.json").json()
    paths = spec["paths"]
    for route in (
        "/api/v1/submissions",
        "/api/v1/jobs/{job_id}",
        "/api/v1/versions/{version_id}/signoff",
        "/api/v1/compare",
    ):
        assert route in paths
    assert "multipart/form-data" in paths["/api/v1/submissions"]["post"]["requestBody"]["content"]
    checks = harness.client("alice").get("/api/v1/checks").json()
    assert len(checks) >= 30 and {"check", "dimension", "summary", "params"} <= set(checks[0])
    docs = harness.login("alice").get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/submissions" in docs.text


def test_migrations_match_the_models(harness):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from datacert.service.models import Base

    with harness.service.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_server_logs_carry_no_record_values(harness, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    frame = small_table(0)
    marker = "Zebulon-Quatremare"
    notes = frame.get_column("note").to_list()
    notes[5] = f"Mme {marker}, née le 02/03/1941, tél 06 12 34 56 78."
    frame = frame.with_columns(pl.Series("note", notes))
    api = harness.client("alice")
    submitted = _submit(api, csv_bytes(frame), text="note").json()
    harness.drain()
    bad = api.post(f"/api/v1/versions/{submitted['version_id']}/jobs", json={"kind": "deid", "column": "age"})
    harness.drain()
    assert api.get(f"/api/v1/jobs/{bad.json()['id']}").json()["status"] == "failed"
    certificate = api.get(f"/api/v1/versions/{submitted['version_id']}/certificate").text
    assert "phi_in_text" in certificate  # the check did see the note
    harness.login("alice").get(f"/versions/{submitted['version_id']}")
    assert caplog.records and marker not in caplog.text and "06 12 34" not in caplog.text


@pytest.mark.parametrize("database_url", [None])  # SQLite only: pre-qualification is the slow job
def test_prequalify_job_keeps_the_plan_the_clean_table_and_the_certificate_after(harness):
    api = harness.client("alice")
    submitted = _submit(api, csv_bytes(small_table(0)), target="outcome").json()
    harness.drain()
    job = api.post(f"/api/v1/versions/{submitted['version_id']}/jobs", json={"kind": "prequalify"}).json()
    assert harness.drain() == ["done"], api.get(f"/api/v1/jobs/{job['id']}").json()
    result = api.get(f"/api/v1/jobs/{job['id']}").json()["result"]
    assert result["verdict_before"] and result["rows_after"] > 0
    artifacts = {
        a["kind"]: a for a in api.get(f"/api/v1/versions/{submitted['version_id']}").json()["artifacts"]
    }
    assert {"clean_table", "plan", "prequalified_certificate", "prequalified_report"} <= set(artifacts)
    plan = json.loads(api.get(f"/api/v1/artifacts/{artifacts['plan']['id']}").text)
    assert plan["input"]["fingerprint"]
    after = api.get(
        f"/api/v1/versions/{submitted['version_id']}/certificate", params={"kind": "prequalified"}
    )
    assert after.status_code == 200 and json.loads(after.text)["verdict"] == result["verdict"]
    clean = api.get(f"/api/v1/artifacts/{artifacts['clean_table']['id']}")
    assert clean.content[:4] == b"PAR1"
