"""Isolation between projects, authentication and CSRF, hostile uploads, headers and rate limits,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest
from sqlalchemy import func, select
from tests.webservice.helpers import csv_bytes, make_harness, small_table

from datacert.service.models import DatasetRecord, Job, Version
from datacert.service.security import new_id


def _submit(client, content: bytes, name: str = "cohort.csv", dataset: str = "cohort"):
    return client.post("/api/v1/submissions", files={"file": (name, content)}, data={"dataset": dataset})


@pytest.fixture
def two_projects(harness):
    """Bob's project holds a checked dataset of two versions, a compare job and its outputs."""
    bob = harness.client("bob")
    v1 = _submit(bob, csv_bytes(small_table(3)), dataset="secret-cohort").json()
    v2 = _submit(bob, csv_bytes(small_table(4)), dataset="secret-cohort").json()
    harness.drain()
    job = bob.post(
        f"/api/v1/versions/{v1['version_id']}/jobs",
        json={"kind": "compare", "other_version": v2["version_id"]},
    )
    harness.drain()
    version = bob.get(f"/api/v1/versions/{v1['version_id']}").json()
    alice_v = _submit(harness.client("alice"), csv_bytes(small_table(5))).json()
    harness.drain()
    return {
        "dataset": v1["dataset_id"],
        "version": v1["version_id"],
        "version2": v2["version_id"],
        "job": job.json()["id"],
        "artifacts": [a["id"] for a in version["artifacts"]],
        "alice_version": alice_v["version_id"],
        "project": bob.get("/api/v1/me").json()["projects"][0]["id"],
    }


def test_a_user_cannot_reach_another_projects_objects_by_any_route(harness, two_projects):
    ids = two_projects
    alice = harness.client("alice")
    api_routes = [
        f"/api/v1/datasets/{ids['dataset']}",
        f"/api/v1/versions/{ids['version']}",
        f"/api/v1/versions/{ids['version']}/certificate",
        f"/api/v1/versions/{ids['version']}/report",
        f"/api/v1/versions/{ids['version']}/file",
        f"/api/v1/jobs/{ids['job']}",
        *[f"/api/v1/artifacts/{a}" for a in ids["artifacts"]],
    ]
    for route in api_routes:
        response = alice.get(route)
        assert response.status_code == 404, route
        assert "secret-cohort" not in response.text
    # the answer for a foreign id is the answer for an id that never existed
    assert (
        alice.get(f"/api/v1/versions/{new_id()}").json()
        == alice.get(f"/api/v1/versions/{ids['version']}").json()
    )
    for a, b in ((ids["alice_version"], ids["version"]), (ids["version"], ids["version2"])):
        assert alice.get("/api/v1/compare", params={"a": a, "b": b}).status_code == 404
    changes = [
        (f"/api/v1/versions/{ids['version']}/jobs", {"kind": "prequalify"}),
        (
            f"/api/v1/versions/{ids['alice_version']}/jobs",
            {"kind": "compare", "other_version": ids["version"]},
        ),
        (f"/api/v1/versions/{ids['version']}/signoff", {"decision": "approved"}),
    ]
    for route, body in changes:
        assert alice.post(route, json=body).status_code == 404, route
    assert (
        alice.patch(f"/api/v1/projects/{ids['project']}", json={"redact_reports": False}).status_code == 404
    )
    assert (
        alice.post(
            f"/api/v1/projects/{ids['project']}/members", json={"username": "alice", "role": "admin"}
        ).status_code
        == 404
    )
    # lists show only her own project
    assert [d["name"] for d in alice.get("/api/v1/datasets").json()] == ["cohort"]
    assert alice.get("/api/v1/datasets", params={"project_id": ids["project"]}).json() == []
    assert all(e["project_id"] != ids["project"] for e in alice.get("/api/v1/audit").json())
    assert alice.get("/api/v1/audit", params={"project_id": ids["project"]}).json() == []
    # submitting into bob's project by name or id is refused, and stores nothing
    for project in ("cardiology", ids["project"]):
        refused = alice.post(
            "/api/v1/submissions",
            files={"file": ("x.csv", csv_bytes(small_table(9)))},
            data={"project": project},
        )
        assert refused.status_code == 404
    # the same through the UI
    browser = harness.login("alice")
    for route in (
        f"/datasets/{ids['dataset']}",
        f"/versions/{ids['version']}",
        f"/versions/{ids['version']}/report-frame",
        f"/jobs/{ids['job']}",
        f"/compare?a={ids['alice_version']}&b={ids['version']}",
    ):
        page = browser.get(route)
        assert page.status_code == 404, route
        assert "secret-cohort" not in page.text
    for page in ("/", "/audit", "/compare"):
        assert "secret-cohort" not in browser.get(page).text
    with harness.service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 3


def test_requests_without_valid_credentials_are_refused(harness, two_projects):
    anonymous = harness.client()
    version = two_projects["version"]
    for route in (
        "/api/v1/me",
        "/api/v1/datasets",
        f"/api/v1/versions/{version}",
        "/api/v1/audit",
        "/api/v1/checks",
    ):
        assert anonymous.get(route).status_code == 401, route
    token = harness.tokens["bob"]
    token_id = token.split("_")[1]
    for forged in (
        "nonsense",
        f"dct_{token_id}_wrong-secret",
        f"dct_{new_id()}_{token.split('_', 2)[2]}",
        token + "x",
        "dct__",
    ):
        response = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401, forged
    bob = harness.client("bob")
    assert bob.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert bob.get("/api/v1/me").status_code == 401  # revoked at once
    # UI pages send anonymous users to the login page
    assert anonymous.get(f"/versions/{version}", follow_redirects=False).headers["location"] == "/login"


def test_forms_and_cookie_requests_need_the_csrf_token(harness):
    submitted = _submit(harness.client("alice"), csv_bytes(small_table(0))).json()
    harness.drain()
    version = submitted["version_id"]
    browser = harness.login("rita")
    page = browser.get(f"/versions/{version}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    other = harness.login("alice")
    other_csrf = re.search(r'name="csrf" value="([^"]+)"', other.get("/").text).group(1)
    for given in (None, "", "0" * 64, other_csrf):
        data = {"decision": "approved"} | ({"csrf": given} if given is not None else {})
        refused = browser.post(f"/versions/{version}/signoff", data=data, follow_redirects=False)
        assert refused.status_code == 403, given
    # a cookie alone does not authorise an API change either
    assert (
        browser.post(f"/api/v1/versions/{version}/signoff", json={"decision": "approved"}).status_code == 403
    )
    upload = browser.post(
        "/submit", files={"file": ("x.csv", csv_bytes(small_table(7)))}, data={"dataset": "x"}
    )
    assert upload.status_code == 403
    accepted = browser.post(
        f"/versions/{version}/signoff", data={"decision": "approved", "csrf": csrf}, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert harness.client("alice").get(f"/api/v1/versions/{version}").json()["signoffs"][0]["by"] == "rita"
    # a login form posted from elsewhere (no login cookie and token) is refused
    fresh = harness.client()
    assert fresh.post("/login", data={"username": "rita", "password": "pw-rita"}).status_code == 403
    # a wrong password gets the form again, and no session
    page = fresh.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    wrong = fresh.post(
        "/login", data={"csrf": token, "username": "rita", "password": "nope"}, follow_redirects=False
    )
    assert wrong.status_code == 401 and "datacert_session" not in wrong.cookies
    with harness.service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 1


def test_pages_carry_security_headers_and_no_inline_script(harness):
    submitted = _submit(harness.client("alice"), csv_bytes(small_table(0))).json()
    harness.drain()
    browser = harness.client()
    login = browser.get("/login")
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    browser = harness.login("alice")
    for route in (
        "/",
        f"/versions/{submitted['version_id']}",
        "/checks",
        "/audit",
        "/tokens",
        "/compare",
        "/submit",
    ):
        page = browser.get(route)
        assert page.status_code == 200, route
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'self'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), (
            route
        )  # scripts come from /static only
        assert not re.search(r"\son[a-z]+=", page.text), route  # no inline event handlers
        assert "http://" not in page.text.replace("http://testserver", "") and "https://" not in page.text


def test_the_rate_limit_answers_429_per_token(harness):
    limited = harness.settings.with_(rate_per_second=0.5, rate_burst=3)
    h = make_harness(limited)
    alice, bob = h.client("alice"), h.client("bob")
    assert [alice.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert int(alice.get("/api/v1/me").headers["retry-after"]) >= 1
    assert bob.get("/api/v1/me").status_code == 200  # another token has its own budget


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_hostile_and_oversized_uploads_are_refused_and_leave_nothing(harness):
    small = harness.settings.with_(max_upload_bytes=64 * 1024, max_line_bytes=8 * 1024)
    h = make_harness(small)
    alice = h.client("alice")
    rng = np.random.default_rng(0)
    bomb = _zip_bytes(
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"0" * (5 * 1024 * 1024)}
    )
    cases = {
        "oversized": (("big.csv", b"a,b\n" + b"1,2\n" * 40_000), 413, "larger than"),
        "binary": (("data.csv", rng.bytes(4096)), 415, "binary"),
        "zip bomb": (("book.xlsx", bomb), 422, "zip bomb"),
        "plain zip": (("data.xlsx", _zip_bytes({"data.csv": b"a,b\n1,2\n"})), 415, "not an Excel workbook"),
        "long line": (("wide.csv", b"a,b\n" + b"x" * 20_000 + b"\n1,2\n"), 422, "longer than"),
        "gzip": (("data.csv.gz", b"\x1f\x8b\x08\x00" + rng.bytes(500)), 415, "gzip"),
        "empty": (("empty.csv", b""), 422, "empty"),
        "lying name": (("table.parquet", b"a,b\n1,2\n"), 415, "named .parquet"),
        "truncated parquet": (("t.parquet", b"PAR1" + rng.bytes(100)), 422, "truncated"),
    }
    for label, ((name, content), status, words) in cases.items():
        response = alice.post("/api/v1/submissions", files={"file": (name, content)}, data={"dataset": label})
        assert response.status_code == status, (label, response.text)
        assert words in response.json()["detail"], (label, response.json())
    no_file = alice.post("/api/v1/submissions", data={"dataset": "x"}, files={"other": (None, b"1")})
    assert no_file.status_code == 400
    not_multipart = alice.post(
        "/api/v1/submissions", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"}
    )
    assert not_multipart.status_code == 415
    declared = alice.post(
        "/api/v1/submissions",
        content=b"x",
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": str(10**10)},
    )
    assert declared.status_code == 413
    with h.service.db.session() as session:
        for model in (DatasetRecord, Version, Job):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    files = h.settings.files_dir
    assert not list((files / "uploads").rglob("*")) if (files / "uploads").exists() else True
    assert not list((files / "tmp").glob("*"))
    # and a well-formed file still goes through under the same limits
    assert (
        alice.post(
            "/api/v1/submissions", files={"file": ("ok.csv", csv_bytes(small_table(0, n=50)))}
        ).status_code
        == 202
    )
