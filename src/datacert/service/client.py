"""`datacert submit`: send a file to a datacert service, wait for its certificate, exit like `check`.

Exit codes: 0 release, 3 prequalify, 4 reject (as `datacert check`), 2 when the server refuses the
file or the request (bad file, bad token, unknown project), 1 when the server cannot be reached
or fails.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from datacert.scoring import exit_code_for


class SubmitError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    verdict: str
    overall: float | None
    version_id: str
    job_id: str
    deduplicated: bool
    url: str


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        detail = body.get("detail") if isinstance(body, dict) else body
        return detail if isinstance(detail, str) else str(detail)
    except ValueError:
        return response.text[:200]


def submit_file(
    path: Path,
    server: str,
    token: str,
    fields: dict[str, str],
    timeout: float = 3600.0,
    poll: float = 1.0,
    progress: Any = None,
) -> Outcome:
    base = server.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=httpx.Timeout(60.0, read=600.0)) as client:
            with path.open("rb") as handle:
                response = client.post(
                    "/api/v1/submissions",
                    files={"file": (path.name, handle)},
                    data={k: v for k, v in fields.items() if v},
                )
            if response.status_code >= 500:
                raise SubmitError(f"the server failed ({response.status_code}): {_detail(response)}", 1)
            if response.status_code >= 400:
                raise SubmitError(
                    f"the server refused the submission ({response.status_code}): {_detail(response)}", 2
                )
            submitted = response.json()
            job_id = submitted["job_id"]
            deadline = time.monotonic() + timeout
            while True:
                job = client.get(f"/api/v1/jobs/{job_id}")
                if job.status_code != 200:
                    raise SubmitError(f"cannot follow the job ({job.status_code}): {_detail(job)}", 1)
                state = job.json()
                if progress is not None:
                    progress(state)
                if state["status"] == "done":
                    break
                if state["status"] == "failed":
                    raise SubmitError(f"the check failed: {state.get('error') or 'no reason given'}", 2)
                if time.monotonic() > deadline:
                    raise SubmitError(
                        f"no verdict after {timeout:.0f} s; the job {job_id} is still {state['status']}.", 1
                    )
                time.sleep(poll)
            version = client.get(f"/api/v1/versions/{submitted['version_id']}").json()
    except httpx.HTTPError as exc:
        raise SubmitError(f"cannot reach {base}: {type(exc).__name__}: {exc}", 1) from exc
    checks = [c for c in version["certificates"] if c["kind"] == "check"]
    if not checks:
        raise SubmitError("the job finished without a certificate.", 1)
    cert = checks[-1]
    return Outcome(
        cert["verdict"],
        cert["overall"],
        submitted["version_id"],
        job_id,
        submitted["deduplicated"],
        f"{base}/versions/{submitted['version_id']}",
    )


def run(path: Path, server: str, token: str, fields: dict[str, str], fail_on: str, timeout: float) -> int:
    def show(state: dict[str, Any]) -> None:
        if sys.stderr.isatty():
            running = [s for s in state["stages"] if s["status"] == "running"]
            text = f"{running[0]['name']} {running[0]['detail']}" if running else state["status"]
            sys.stderr.write(f"\r\033[K{text[:100]}")
            sys.stderr.flush()

    try:
        outcome = submit_file(path, server, token, fields, timeout=timeout, progress=show)
    except SubmitError as exc:
        sys.stderr.write(f"\rdatacert: {exc}\n")
        return exc.code
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    overall = "N/A" if outcome.overall is None else f"{outcome.overall:.0f}"
    again = " (already submitted: same content)" if outcome.deduplicated else ""
    sys.stdout.write(f"verdict: {outcome.verdict}  overall: {overall}{again}\n{outcome.url}\n")
    return exit_code_for(outcome.verdict, fail_on)
