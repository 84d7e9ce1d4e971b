"""A bounded load test of the web service on loopback: 20 concurrent small submissions, then a
steady 200 API reads per second for 30 s. Reports latency percentiles, errors, and the ratio of
the reads' p95 to the p95 of a no-database endpoint (/healthz) measured at the same rate in the
same run (the baseline).

    python -m benchmarks.service_load [--database postgresql+psycopg://...] [--rate 200] [--seconds 30]

The server is a separate `datacert serve` process on 127.0.0.1 (with its in-process worker);
the load generator is asyncio + httpx in this process. Every loop is bounded in count and time,
and only 127.0.0.1 is ever addressed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import polars as pl

RESULTS = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _cli(home: Path, database: str | None, *args: str) -> str:
    command = [sys.executable, "-m", "datacert", *args, "--home", str(home)]
    if database:
        command += ["--database", database]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def _table(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    n = 200
    frame = pl.DataFrame(
        {
            "patient_id": [f"P{seed:02d}{i:04d}" for i in range(n)],
            "age": rng.integers(20, 90, n),
            "sbp": rng.normal(130, 15, n).round(0),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    return frame.write_csv().encode()


def _percentiles(latencies: list[float]) -> dict[str, float]:
    values = np.array(latencies) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "max_ms": round(float(values.max()), 2),
    }


async def _steady(
    client: httpx.AsyncClient, paths: list[str], rate: float, seconds: float
) -> dict[str, object]:
    """Open-loop load: request i is sent at start + i/rate whatever the answers' speed."""
    total = int(rate * seconds)
    latencies: list[float] = []
    served = [0]  # responses received, whatever their status: the work the server did
    errors: dict[str, int] = {}
    start = time.perf_counter()

    give_up = start + seconds * 3 + 30  # bounded: what is not sent by then is counted, not sent

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        if time.perf_counter() > give_up:
            errors["not sent (client behind)"] = errors.get("not sent (client behind)", 0) + 1
            return
        sent = time.perf_counter()
        try:
            response = await client.get(paths[i % len(paths)])
            served[0] += 1
            if response.status_code != 200:
                errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        latencies.append(time.perf_counter() - sent)

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(total))), timeout=seconds * 4 + 60)
    elapsed = time.perf_counter() - start
    return {
        "requests": total,
        "seconds": round(elapsed, 2),
        "achieved_per_s": round(total / elapsed, 1),
        "errors": errors,
        **_percentiles(latencies),
    }


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def _run(
    url: str, token: str, rate: float, seconds: float, submissions: int, pid: int
) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=20, limits=limits) as client:
        # 1. concurrent submissions
        async def submit(i: int) -> tuple[float, dict[str, object]]:
            sent = time.perf_counter()
            response = await client.post(
                "/api/v1/submissions",
                files={"file": (f"site{i:02d}.csv", _table(i))},
                data={"dataset": f"site-{i:02d}"},
            )
            response.raise_for_status()
            return time.perf_counter() - sent, response.json()

        started = time.perf_counter()
        done = await asyncio.gather(*(submit(i) for i in range(submissions)))
        submit_seconds = time.perf_counter() - started
        jobs = [body["job_id"] for _, body in done]
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            states = [(await client.get(f"/api/v1/jobs/{j}")).json()["status"] for j in jobs]
            if all(s in ("done", "failed") for s in states):
                break
            await asyncio.sleep(1)
        drained = time.perf_counter() - started
        versions = [body["version_id"] for _, body in done]
        datasets = [body["dataset_id"] for _, body in done]
        # 2. baseline then steady API reads (list, dataset, version, job: each scoped by project)
        # server CPU per request does not depend on what else the machine runs, unlike latency
        cpu = _cpu_seconds(pid)
        baseline = await _steady(client, ["/healthz"], rate, min(seconds, 10))
        baseline["server_cpu_ms_per_request"] = round(
            (_cpu_seconds(pid) - cpu) * 1000 / max(1, baseline.get("served", 0)), 2
        )
        paths = (
            ["/api/v1/datasets"]
            + [f"/api/v1/versions/{v}" for v in versions]
            + [f"/api/v1/datasets/{d}" for d in datasets]
        )
        paths += [f"/api/v1/jobs/{j}" for j in jobs]
        cpu = _cpu_seconds(pid)
        reads = await _steady(client, paths, rate, seconds)
        reads["server_cpu_ms_per_request"] = round(
            (_cpu_seconds(pid) - cpu) * 1000 / max(1, reads["served"]), 2
        )
    return {
        "submissions": {
            "count": submissions,
            "all_accepted_seconds": round(submit_seconds, 2),
            **_percentiles([latency for latency, _ in done]),
            "all_checked_seconds": round(drained, 2),
            "failed_jobs": sum(1 for s in states if s == "failed"),
        },
        "baseline_healthz": baseline,
        "api_reads": reads,
        "p95_ratio_reads_to_healthz": (
            round(float(reads["p95_ms"]) / max(0.01, float(baseline["p95_ms"])), 2)  # type: ignore[arg-type]
            if "p95_ms" in reads and "p95_ms" in baseline
            else None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default=None, help="SQLAlchemy URL (default: SQLite in a temporary home)"
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--submissions", type=int, default=20)
    args = parser.parse_args()
    if not (0 < args.rate <= 1000 and 0 < args.seconds <= 120 and 0 < args.submissions <= 100):
        parser.error("bounded test: rate <= 1000/s, seconds <= 120, submissions <= 100")
    with tempfile.TemporaryDirectory(prefix="datacert-load-") as tmp:
        home = Path(tmp)
        _cli(
            home,
            args.database,
            "users",
            "add",
            "load",
            "--project",
            "load",
            "--role",
            "admin",
            "--password",
            "x",
        )
        token = _cli(home, args.database, "users", "token", "load", "--name", "load test").splitlines()[-1]
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "datacert",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--home",
            str(home),
            "--rate-limit",
            str(args.rate * 4),
        ]
        if args.database:
            command += ["--database", args.database]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://{HOST}:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            result = asyncio.run(_run(url, token, args.rate, args.seconds, args.submissions, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result["database"] = "postgresql" if args.database else "sqlite"
    result["note"] = (
        "latencies depend on what else the machine runs (see load_average); "
        "server_cpu_ms_per_request does not, and bounds the throughput at cores*1000/cpu_ms"
    )
    result["host"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"service_load_{result['database']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
