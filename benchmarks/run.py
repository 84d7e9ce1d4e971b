"""Run the benchmarks and write ratios against a baseline measured in the same run.

    python -m benchmarks.run [--big] [--workloads bc,wide,verywide,medium] [--tasks baseline,...] [--repeat 3]

Each (task, workload) runs in a fresh process `--repeat` times; the median wall time and the
largest peak RSS are kept. Ratios divide by the polars-scan baseline of the same workload and run
(the "polars floor": one scan computing nulls, distincts, min/max/mean and duplicate rows). The
`all` task is the full `check`, timed inside its fresh process from before datacert is imported
to the certificate's JSON (numpy and polars are already loaded, as they are for the baseline);
it prints the costliest checks. `--big` adds the tall 1,000,000 x 50 table (about a minute per
run and several GB): `make bench` passes it, tests never do.
The run ends with the issue's figures table (workload, now, goal, met) from the same run, with
the load average at the start and the end; the out-of-core and Dask rows come from
results/scale.json when `python -m benchmarks.scale_bench` wrote one.
Thread counts are pinned and reported (busy-waiting BLAS threads distort timings on 2 cores).
`--against DIR` measures another checkout (its `src/` first on PYTHONPATH) in alternation with
this one and prints a before/after table from the same run (e.g. DIR from `git archive main`).
When ydata-profiling is importable (install it yourself, ideally in a separate environment: it pins
its own numpy/pandas ranges), its minimal and default reports are timed too.
"""

from __future__ import annotations

import argparse
import compileall
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
# the measured checkout's package sources (byte-compiled once before measuring)
SOURCE_ROOT = Path(__file__).resolve().parents[1] / "src"
DEFAULT_TASKS = {
    "bc": ["baseline", "check_html", "issue3", "issue4"],
    "wide": ["baseline", "spine", "issue3", "issue4", "all"],
    "verywide": ["baseline", "all"],
    "medium": ["baseline", "spine", "issue4", "all"],
    "tall": ["baseline", "spine", "issue3", "all"],
}
BIG_WORKLOADS = ("tall",)


def measure_once(task: str, workload: str, source: Path | None = None) -> dict:
    """One fresh process; `source` is another checkout whose `src` is imported instead of this one."""
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(source / "src"), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._measure", task, workload],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(task: str, workload: str, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        run = measure_once(task, workload)
        if "error" in run:
            return run
        runs.append(run)
    return summarize(runs)


def summarize(runs: list[dict]) -> dict:
    """Median wall and CPU seconds, largest peak RSS, of repeated runs of one task."""
    result = dict(runs[-1])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["cpu_seconds"] = statistics.median(r.get("cpu_seconds", 0.0) for r in runs)
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    result["runs"] = [round(r["seconds"], 3) for r in runs]
    result["cpu_runs"] = [round(r.get("cpu_seconds", 0.0), 3) for r in runs]
    return result


def measure_against(task: str, workload: str, repeat: int, source: Path) -> tuple[dict, dict]:
    """This checkout and another one (`source`) measured in alternation, back to back, so that both
    see the same load: (this checkout's result, the other's)."""
    mine: list[dict] = []
    theirs: list[dict] = []
    for _ in range(repeat):
        for runs, where in ((theirs, source), (mine, None)):
            run = measure_once(task, workload, where)
            if "error" in run:
                return run, run
            runs.append(run)
    return summarize(mine), summarize(theirs)


def comparison_table(report: dict) -> list[str]:
    """Before (the --against checkout) and after (this one), same run: CPU and wall seconds, RSS."""
    lines = [
        "| workload | task | CPU s before | CPU s after | after / before | wall s before | wall s after "
        "| peak RSS MB before | after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for workload, entry in report["workloads"].items():
        for task, before in entry.get("against", {}).items():
            after = entry["tasks"].get(task, {})
            if "cpu_seconds" not in before or "cpu_seconds" not in after:
                continue
            ratio = after["cpu_seconds"] / before["cpu_seconds"] if before["cpu_seconds"] else float("nan")
            lines.append(
                f"| {workload} | {task} | {before['cpu_seconds']:.2f} | {after['cpu_seconds']:.2f} | "
                f"{ratio:.2f} | {before['seconds']:.2f} | {after['seconds']:.2f} | "
                f"{before['peak_rss_mb']:.0f} | {after['peak_rss_mb']:.0f} |"
            )
    return lines


def print_summary(report: dict) -> None:
    """One line per (workload, task): seconds, ratio to the polars floor, peak RSS over Arrow size."""
    print(
        f"\n{'workload':8s} {'task':13s} {'seconds':>8s} {'x floor':>8s} {'CPU s':>8s} {'x floor':>8s} "
        f"{'RSS MB':>8s} {'x Arrow':>8s}"
    )
    for workload, entry in report["workloads"].items():
        for task, result in entry["tasks"].items():
            if "seconds" not in result:
                print(f"{workload:8s} {task:13s} {result.get('error', 'failed')}")
                continue
            ratio = result.get("ratio_to_baseline", 1.0)
            cpu, cpu_ratio = result.get("cpu_seconds", 0.0), result.get("cpu_ratio_to_baseline", 1.0)
            rss = result.get("rss_over_arrow_size", result["peak_rss_mb"] / max(entry["arrow_size_mb"], 1e-9))
            print(
                f"{workload:8s} {task:13s} {result['seconds']:8.2f} {ratio:8.2f} {cpu:8.2f} {cpu_ratio:8.2f} "
                f"{result['peak_rss_mb']:8.0f} {rss:8.2f}"
            )
            if result.get("slowest_checks"):
                slowest = sorted(result["slowest_checks"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
                costly = ", ".join(f"{k} {v:.2f}s" for k, v in slowest)
                print(f"{'':23s} slowest: {costly}")
            if result.get("artifact_seconds"):
                shared = sorted(result["artifact_seconds"].items(), key=lambda kv: (-kv[1], kv[0]))[:4]
                parts = [f"profile {result.get('profile_seconds', 0):.2f}s"]
                if result.get("figures_seconds") is not None:
                    parts.append(f"figures {result['figures_seconds']:.2f}s")
                parts += [f"{k} {v:.2f}s" for k, v in shared]
                print(f"{'':23s} shared: {', '.join(parts)}")
    print("(x floor: over the polars scan of the same workload and run; CPU s: user + system, all threads)")


# the figures the speed-and-scale issue asks for: (row label, workload, measure, goal, goal test)
ISSUE_FIGURES = (
    ("100,000 x 30 full check vs polars floor", "medium", "ratio", "<= 3x", lambda v: v <= 3.0),
    ("1,000,000 x 50 full check vs polars floor", "tall", "ratio", "<= 3x", lambda v: v <= 3.0),
    ("1,000,000 x 50 peak RSS vs Arrow size", "tall", "rss", "<= 2.5x", lambda v: v <= 2.5),
    ("300 x 20,000 full check, seconds from import", "wide", "seconds", "< 5 s", lambda v: v < 5.0),
)


def issue_table(report: dict, scale: dict | None = None) -> list[str]:
    """The issue's table (workload, now, goal) from this run; the scale rows from scale_bench's file.

    "now" is the `all` task of this run: wall time over the same run's polars floor (CPU time in
    brackets), peak RSS over the Arrow size, or plain seconds for the wide table.
    """
    lines = ["| workload | now | goal | met |", "|---|---|---|---|"]
    for label, workload, measure, goal, met in ISSUE_FIGURES:
        result = report["workloads"].get(workload, {}).get("tasks", {}).get("all", {})
        if "seconds" not in result:
            lines.append(f"| {label} | not run | {goal} | |")
            continue
        if measure == "ratio":
            value = result.get("ratio_to_baseline")
            now = f"{value:.1f}x (CPU {result.get('cpu_ratio_to_baseline', float('nan')):.1f}x)"
        elif measure == "rss":
            value = result.get("rss_over_arrow_size")
            now = f"{value:.2f}x ({result['peak_rss_mb']:.0f} MB)"
        else:
            value = result["seconds"]
            now = f"{value:.1f} s"
        lines.append(f"| {label} | {now} | {goal} | {'yes' if value is not None and met(value) else 'no'} |")
    ooc = (scale or {}).get("out_of_core", {})
    if "check_vs_scan" in ooc:
        now = (
            f"peak {ooc['peak_rss_gb']} GB, {ooc['check_vs_scan']}x the scan's rows/s ({ooc['rows']:,} rows)"
        )
        met_ooc = ooc["peak_rss_gb"] < 4 and ooc["check_vs_scan"] >= 0.5
        lines.append(
            f"| 200,000,000 x 10 out of core | {now} | peak < 4 GB, >= 0.5x a polars streaming scan's rows/s "
            f"| {'yes' if met_ooc else 'no'} |"
        )
    else:
        lines.append(
            "| 200,000,000 x 10 out of core | not run (python -m benchmarks.scale_bench) | "
            "peak < 4 GB, >= 0.5x a polars streaming scan's rows/s | |"
        )
    dask = (scale or {}).get("dask", {})
    if "speedup_2_vs_1" in dask:
        speedup = dask["speedup_2_vs_1"]
        verdict = "yes" if speedup >= 1.7 else "no"
        lines.append(f"| Dask 2 workers vs 1 on the tall table | {speedup}x | >= 1.7x | {verdict} |")
    else:
        not_run = "not run (python -m benchmarks.scale_bench)"
        lines.append(f"| Dask 2 workers vs 1 on the tall table | {not_run} | >= 1.7x | |")
    return lines


def compile_sources(roots: list[Path]) -> None:
    """Byte-compile the measured sources once, as an installed package ships them.

    With PYTHONDONTWRITEBYTECODE set (common in containers) every fresh process would otherwise
    compile datacert's modules from source and charge that to the check; reading .pyc files is
    still allowed with it set.
    """
    for root in roots:
        if root.is_dir():
            compileall.compile_dir(str(root), quiet=1, workers=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", default="bc,wide,verywide,medium")
    parser.add_argument("--big", action="store_true", help="also run the 1,000,000 x 50 table (tall)")
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: per workload)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        help="another checkout (e.g. `git archive main | tar -x -C DIR`): every task but the baseline "
        "is also run with its src/, alternating with this one, and a before/after table is printed",
    )
    args = parser.parse_args(argv)
    compile_sources([SOURCE_ROOT] + ([args.against / "src"] if args.against is not None else []))
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "threads": "OMP/OPENBLAS/MKL=2",
            "polars": pl.__version__,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        # other work on the machine distorts every ratio: record how busy it was
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "workloads": {},
    }
    workloads = args.workloads.split(",")
    if args.big:
        workloads += [w for w in BIG_WORKLOADS if w not in workloads]
    for workload in workloads:
        path = workload_path(workload)
        arrow_mb = pl.read_parquet(path).estimated_size("mb")
        tasks = args.tasks.split(",") if args.tasks else DEFAULT_TASKS[workload]
        if "baseline" not in tasks:
            tasks = ["baseline", *tasks]
        if args.tasks is None and importlib.util.find_spec("ydata_profiling") is not None:
            tasks += ["ydata_minimal"] + (["ydata_default"] if workload in ("bc", "medium") else [])
        entry: dict = {"arrow_size_mb": round(arrow_mb, 1), "tasks": {}}
        for task in tasks:
            if args.against is not None and task != "baseline":
                entry["tasks"][task], before = measure_against(task, workload, args.repeat, args.against)
                entry.setdefault("against", {})[task] = before
                print(f"{workload:7s} {task:11s} before {json.dumps(before)}", flush=True)
            else:
                entry["tasks"][task] = measure(task, workload, args.repeat)
            print(f"{workload:7s} {task:11s} {json.dumps(entry['tasks'][task])}", flush=True)
        base = entry["tasks"]["baseline"].get("seconds")
        for task, result in entry["tasks"].items():
            if task != "baseline" and base and "seconds" in result:
                result["ratio_to_baseline"] = round(result["seconds"] / base, 2)
                base_cpu = entry["tasks"]["baseline"].get("cpu_seconds")
                if base_cpu and result.get("cpu_seconds"):
                    result["cpu_ratio_to_baseline"] = round(result["cpu_seconds"] / base_cpu, 2)
                result["rss_over_arrow_size"] = round(result["peak_rss_mb"] / max(arrow_mb, 1e-9), 2)
                if "rss_before_data_mb" in result:
                    added = result["peak_rss_mb"] - result["rss_before_data_mb"]
                    result["added_rss_over_arrow_size"] = round(added / max(arrow_mb, 1e-9), 2)
        report["workloads"][workload] = entry
    print_summary(report)
    scale_file = RESULTS / "scale.json"
    scale = json.loads(scale_file.read_text()) if scale_file.exists() else None
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(
        f"\nThe issue's figures (this run; load average {report['load_average_start']} at the start, "
        f"{report['load_average_end']} at the end"
        + (f"; scale rows from {scale_file.name} of {scale.get('started')}" if scale else "")
        + "):"
    )
    table = issue_table(report, scale)
    print("\n".join(table))
    report["issue_table"] = table
    if args.against is not None:
        report["against"] = str(args.against)
        before_after = comparison_table(report)
        print(f"\nBefore ({args.against}) and after (this checkout), alternating runs of the same run:")
        print("\n".join(before_after))
        report["before_after_table"] = before_after
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, sort_keys=True))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
