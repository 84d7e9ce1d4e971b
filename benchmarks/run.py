"""Run the benchmarks and write ratios against a baseline measured in the same run.

    python -m benchmarks.run [--workloads bc,wide,verywide,medium,tall] [--tasks baseline,...] [--repeat 3]

Each (task, workload) runs in a fresh process `--repeat` times; the median wall time and the
largest peak RSS are kept. Ratios divide by the polars-scan baseline of the same workload and run.
Thread counts are pinned and reported (busy-waiting BLAS threads distort timings on 2 cores).
When ydata-profiling is importable (install it yourself, ideally in a separate environment: it pins
its own numpy/pandas ranges), its minimal and default reports are timed too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from benchmarks.workloads import workload_path

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_TASKS = {
    "bc": ["baseline", "check_html", "issue3", "issue4"],
    "wide": ["baseline", "spine", "issue3", "issue4", "all"],
    "verywide": ["baseline", "all"],
    "medium": ["baseline", "spine", "issue4"],
    "tall": ["baseline", "spine", "issue3"],
}


def measure(task: str, workload: str, repeat: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks._measure", task, workload],
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[1],
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    result = dict(runs[-1])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    result["runs"] = [round(r["seconds"], 3) for r in runs]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", default="bc,wide,verywide,medium,tall")
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: per workload)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "threads": "OMP/OPENBLAS/MKL=2",
            "polars": pl.__version__,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "workloads": {},
    }
    for workload in args.workloads.split(","):
        path = workload_path(workload)
        arrow_mb = pl.read_parquet(path).estimated_size("mb")
        tasks = args.tasks.split(",") if args.tasks else DEFAULT_TASKS[workload]
        if "baseline" not in tasks:
            tasks = ["baseline", *tasks]
        if args.tasks is None and importlib.util.find_spec("ydata_profiling") is not None:
            tasks += ["ydata_minimal"] + (["ydata_default"] if workload in ("bc", "medium") else [])
        entry: dict = {"arrow_size_mb": round(arrow_mb, 1), "tasks": {}}
        for task in tasks:
            entry["tasks"][task] = measure(task, workload, args.repeat)
            print(f"{workload:7s} {task:11s} {json.dumps(entry['tasks'][task])}", flush=True)
        base = entry["tasks"]["baseline"].get("seconds")
        for task, result in entry["tasks"].items():
            if task != "baseline" and base and "seconds" in result:
                result["ratio_to_baseline"] = round(result["seconds"] / base, 2)
                result["rss_over_arrow_size"] = round(result["peak_rss_mb"] / max(arrow_mb, 1e-9), 2)
                if "rss_before_data_mb" in result:
                    added = result["peak_rss_mb"] - result["rss_before_data_mb"]
                    result["added_rss_over_arrow_size"] = round(added / max(arrow_mb, 1e-9), 2)
        report["workloads"][workload] = entry
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, sort_keys=True))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
