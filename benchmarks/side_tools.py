"""ydata-profiling (minimal) and whylogs on a workload, beside the polars floor and datacert's check.

    python -m benchmarks.side_tools --side-python /path/to/side-venv/bin/python [--workload medium]

The two tools pin their own numpy/pandas ranges, so they live in a side environment, never in the
project's (benchmarks/README.md says how to make one). Each measurement runs in a fresh process:
the side tools under the side interpreter, the polars floor and `check` under this one, all in the
same run so that the ratios compare like with like. The side interpreter may also be given as
DATACERT_SIDE_PYTHON; without one (or with tools missing there), the tools are reported absent.
Results go to results/side_tools.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]

# Run by the side interpreter: it imports neither datacert nor this package. The timer starts
# before the tool is imported, after pandas has loaded the table (the floor's scan reads it too).
_SIDE_SCRIPT = r"""
import json, resource, sys, tempfile, time
import pandas as pd
tool, path = sys.argv[1], sys.argv[2]
frame = pd.read_parquet(path)
started = time.perf_counter()
out = {}
if tool == "ydata_minimal":
    from ydata_profiling import ProfileReport
    with tempfile.TemporaryDirectory() as folder:
        ProfileReport(frame, minimal=True, progress_bar=False).to_file(folder + "/report.html")
elif tool == "whylogs":
    import whylogs
    view = whylogs.log(pandas=frame).view()
    out["columns_profiled"] = len(view.get_columns())
else:
    raise SystemExit("unknown tool " + tool)
out["seconds"] = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
out["cpu_seconds"] = usage.ru_utime + usage.ru_stime
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        out["peak_rss_mb"] = int(line.split()[1]) / 1024
print(json.dumps(out))
"""


def _run(command: list[str]) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_tool(side_python: str, tool: str, path: str) -> dict:
    """One side tool on one table, in a fresh side-interpreter process."""
    return _run([side_python, "-c", _SIDE_SCRIPT, tool, path])


def project_task(task: str, workload: str) -> dict:
    """The polars floor (`baseline`) or the full check (`all`), as `benchmarks.run` measures them."""
    return _run([sys.executable, "-m", "benchmarks._measure", task, workload])


def compare(side_python: str | None, workload: str = "medium") -> dict:
    """The side tools and the two references on one workload, in one run; ratios to the floor."""
    from benchmarks.workloads import workload_path

    path = str(workload_path(workload))
    report: dict = {
        "workload": workload,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": round(os.getloadavg()[0], 1),
    }
    runs = {
        "polars_floor": project_task("baseline", workload),
        "datacert_check": project_task("all", workload),
    }
    for tool in ("ydata_minimal", "whylogs"):
        runs[tool] = side_tool(side_python, tool, path) if side_python else {"error": "no side interpreter"}
    report["load_average_after"] = round(os.getloadavg()[0], 1)
    report["runs"] = runs
    floor = runs["polars_floor"].get("seconds")
    floor_cpu = runs["polars_floor"].get("cpu_seconds")
    if floor and floor_cpu:
        report["vs_polars_floor"] = {
            name: round(run["seconds"] / floor, 1) for name, run in runs.items() if "seconds" in run
        }
        report["cpu_vs_polars_floor"] = {
            name: round(run["cpu_seconds"] / floor_cpu, 1)
            for name, run in runs.items()
            if "cpu_seconds" in run
        }
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--side-python", default=os.environ.get("DATACERT_SIDE_PYTHON"))
    parser.add_argument("--workload", default="medium")
    args = parser.parse_args(argv)
    report = compare(args.side_python, args.workload)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "side_tools.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.workload} (load average {report['load_average']} -> {report['load_average_after']}):")
    for name, run in report["runs"].items():
        if "error" in run:
            print(f"  {name:15s} absent ({run['error']})")
            continue
        ratio = report.get("vs_polars_floor", {}).get(name)
        cpu_ratio = report.get("cpu_vs_polars_floor", {}).get(name)
        print(
            f"  {name:15s} {run['seconds']:8.2f} s  {run.get('cpu_seconds', 0):8.2f} CPU s  "
            f"peak {run.get('peak_rss_mb', 0):7.0f} MB  {ratio}x the polars floor ({cpu_ratio}x in CPU)"
        )


if __name__ == "__main__":
    main()
