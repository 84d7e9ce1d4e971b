"""Out-of-core and Dask benchmarks, each figure a ratio against a baseline measured in the same run.

    python -m benchmarks.scale_bench [--rows 200000000] [--memory-limit 4GB] [--skip-dask] [--skip-stream]
        [--data FOLDER] [--workers 1,2] [--dask-tasks dask_warm_sessions,dask_warm,dask_cold,dask_check]
        [--repeat 3] [--compare-src main=/path/to/main/src]

1. Out of core: a Parquet table of `--rows` x 10 (generated under a temporary folder, deleted at
   the end; or generated once into `--data FOLDER` and kept there for the next run) is checked
   with `--memory-limit`; its peak RSS and rows/s are set against a polars streaming scan that
   computes per-column nulls, approximate distincts, min, max and mean. CPU seconds (all threads)
   are reported beside wall seconds: on a shared machine their ratio moves less than wall time.
2. Dask: the `tall` workload (1,000,000 x 50, cut into 8 files) on a LocalCluster of 1 worker
   process, then of 2; the speed-up is the ratio of the two. `dask_warm` times the whole-table
   pass with the workers started and the kernel imported before the clock, `dask_cold` the same
   pass starting its own cluster (start-up counted), `dask_check` the whole `check`;
   `dask_warm_sessions` is `dask_warm` with each worker and the scheduler a process in a session
   of its own (the default headline: on a shared Linux machine one session gets one share of the
   cores, so one LocalCluster's workers share one share, which no machine of its own does). Rounds are
   interleaved (1 worker, 2 workers, 1, 2, ...) and each pair's ratio is given beside the ratio of
   medians; `--compare-src` measures another checkout's engine in the same rounds. The CPU seconds
   of each worker (warm) or of the whole cluster (cold, check) are recorded with the load average.

Each measurement runs in a fresh process (clean peak RSS). Results go to results/scale.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# first, as the command line does: datacert sets polars' allocator before polars loads
import datacert  # noqa: F401

# isort: split
import numpy as np
import polars as pl

RESULTS = Path(__file__).resolve().parent / "results"
FILE_ROWS = 10_000_000  # rows per generated file
ROW_GROUP = 1_048_576


def generate(folder: Path, rows: int, seed: int = 0) -> None:
    """rows x 10 clinical-looking columns (an id, 7 measurements, 2 categories); 1 % are copies."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(0, rows, FILE_ROWS):
        n = min(FILE_ROWS, rows - index)
        m = n - n // 100
        frame = pl.DataFrame(
            {
                "age": rng.normal(60, 12, m).round(0),
                "sex": rng.choice(np.array(["F", "M"]), m),
                "bmi": rng.normal(27, 4, m).astype(np.float32),
                "sbp": rng.normal(130, 15, m).round(0),
                "glucose": rng.lognormal(1.7, 0.2, m),
                "site": rng.choice(np.array(["A", "B", "C", "D", "E"]), m),
                "ldl": rng.normal(3, 0.8, m),
                "smoker": rng.integers(0, 2, m, dtype=np.int8),
                "outcome": rng.integers(0, 2, m, dtype=np.int8),
            }
        ).with_columns(
            pl.when(pl.int_range(pl.len()) % 20 == 7).then(None).otherwise(pl.col("glucose")).alias("glucose")
        )
        frame = pl.concat([frame, frame[rng.choice(m, n - m, replace=False)]])  # copies of earlier records
        frame = frame.select(pl.int_range(index, index + n, dtype=pl.Int64).alias("record_id"), pl.all())
        frame.write_parquet(folder / f"part-{index // FILE_ROWS:04d}.parquet", row_group_size=ROW_GROUP)
        del frame


def child(task: str, source: str, memory_limit: str, workers: int) -> dict:
    """One measurement (in its own process): seconds, peak RSS, and what the task reports."""
    started = time.perf_counter()
    out: dict = {}
    if task == "polars_scan":
        frame = (
            pl.scan_parquet(source)
            .select(
                pl.all().null_count().name.suffix("__nulls"),
                pl.all().approx_n_unique().name.suffix("__distinct"),
                pl.all().min().name.suffix("__min"),
                pl.all().max().name.suffix("__max"),
                pl.selectors.numeric().mean().name.suffix("__mean"),
                pl.len().alias("__rows"),
            )
            .collect(engine="streaming")
        )
        out["rows"] = int(frame["__rows"][0])
    elif task == "datacert_stream":
        from datacert.roles import Roles
        from datacert.scale import check_partitioned, parse_memory_limit

        certificate = check_partitioned(
            source, Roles.build(target="outcome"), memory_limit=parse_memory_limit(memory_limit)
        )
        out.update(
            rows=certificate.dataset["rows"],
            assay_seconds=certificate.run["seconds"],
            verdict=certificate.verdict,
            duplicates=next(
                (f.evidence["numerator"] for f in certificate.findings if f.check == "duplicate_rows"), 0
            ),
        )
    elif task.startswith("dask_"):
        out.update(dask_child(task, source, workers))
    else:
        raise SystemExit(f"unknown task {task}")
    out["seconds"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    out["load_average"] = round(os.getloadavg()[0], 1)  # other work on the machine distorts every ratio
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). ru_maxrss is not used: Linux carries it across
    exec, so a child started by a parent that held the generated table would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(
    task: str, source: str, memory_limit: str = "4GB", workers: int = 1, src: str | None = None
) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    if src:  # another checkout of the engine, first on the path of the child and of its workers
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_bench", "--child", task, source, memory_limit, str(workers)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        return {"error": tail}
    return json.loads(done.stdout.strip().splitlines()[-1])


def out_of_core(rows: int, memory_limit: str, data: Path | None = None) -> dict:
    folder = data or Path(tempfile.mkdtemp(prefix="datacert-scale-bench-"))
    try:
        started = time.perf_counter()
        if data is None or not any(data.glob("*.parquet")):
            generate(folder, rows)
        rows = pl.scan_parquet(folder / "*.parquet").select(pl.len()).collect().item()
        size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        source = str(folder / "*.parquet")
        print(
            f"generated {rows:,} x 10 ({size / 1e9:.2f} GB of Parquet) "
            f"in {time.perf_counter() - started:.0f} s"
        )
        scan = measure("polars_scan", source)
        print(f"polars streaming scan: {scan}")
        ours = measure("datacert_stream", source, memory_limit)
        print(f"datacert check --memory-limit {memory_limit}: {ours}")
    finally:
        if data is None:
            shutil.rmtree(folder, ignore_errors=True)
    result = {
        "rows": rows,
        "parquet_bytes": size,
        "memory_limit": memory_limit,
        "polars_scan": scan,
        "datacert": ours,
    }
    if "error" not in scan and "error" not in ours:
        scan_rate = rows / scan["seconds"]
        check_rate = rows / ours["seconds"]
        pass_rate = rows / max(1e-9, ours["seconds"] - ours["assay_seconds"])
        result.update(
            scan_rows_per_s=round(scan_rate),
            check_rows_per_s=round(check_rate),
            pass_rows_per_s=round(pass_rate),
            check_vs_scan=round(check_rate / scan_rate, 3),
            pass_vs_scan=round(pass_rate / scan_rate, 3),
            cpu_check_vs_scan=round(scan["cpu_seconds"] / ours["cpu_seconds"], 3),
            peak_rss_gb=round(ours["peak_rss_mb"] / 1024, 2),
        )
    return result


def dask_child(task: str, source: str, workers: int) -> dict:
    """One Dask measurement on `workers` worker processes, using only calls every engine version has.

    dask_warm: the whole-table pass on a LocalCluster started (and its workers given the kernel)
    before the clock; dask_cold: the same pass starting its own cluster, start-up counted;
    dask_check: the whole `check` (pass, then the assay of the sample on the client).
    """
    from datacert.roles import Roles
    from datacert.scale._assay import whole_table_pass

    roles = Roles.build(target="target")
    out: dict = {}
    started = time.perf_counter()
    if task == "dask_warm":
        from distributed import Client

        with _local_cluster(workers) as cluster, Client(cluster) as client:
            client.run(importlib.import_module, KERNEL)
            before = client.run(process_cpu_seconds)
            ready, client_cpu = time.perf_counter(), process_cpu_seconds()
            plan, _, result = whole_table_pass(
                source, roles, engine="dask", scheduler=cluster.scheduler_address
            )
            out["pass_seconds"] = time.perf_counter() - ready
            # the client's process also runs the scheduler (LocalCluster): both are in this figure
            out["client_pass_cpu_seconds"] = round(process_cpu_seconds() - client_cpu, 2)
            after = client.run(process_cpu_seconds)
        out.update(
            cluster_seconds=round(ready - started, 2),
            worker_cpu_seconds=sorted(round(after[w] - before[w], 2) for w in after),
            engine_seconds=result.engine.get("seconds"),
            rows=plan.rows,
            partitions=len(plan.partitions),
        )
    elif task == "dask_check_warm":
        from distributed import Client

        from datacert.scale import check_partitioned

        warm_up = Path(tempfile.mkdtemp(prefix="datacert-dask-warm-"))
        try:
            pl.read_parquet(sorted(Path(source).parent.glob("*.parquet"))[-1]).head(3_000).write_parquet(
                warm_up / "part-0.parquet"
            )
            with _local_cluster(workers) as cluster, Client(cluster) as client:
                # a standing cluster: the workers have imported the checks and their libraries
                check_partitioned(
                    str(warm_up / "*.parquet"), roles, engine="dask", scheduler=cluster.scheduler_address
                )
                before = client.run(process_cpu_seconds)
                ready, client_cpu = time.perf_counter(), process_cpu_seconds()
                certificate = check_partitioned(
                    source, roles, engine="dask", scheduler=cluster.scheduler_address
                )
                out["check_seconds"] = time.perf_counter() - ready
                out["client_check_cpu_seconds"] = round(process_cpu_seconds() - client_cpu, 2)
                after = client.run(process_cpu_seconds)
            out.update(
                worker_cpu_seconds=sorted(round(after[w] - before[w], 2) for w in after),
                engine_seconds=certificate.run["engine"].get("seconds"),
                verdict=certificate.verdict,
            )
        finally:
            shutil.rmtree(warm_up, ignore_errors=True)
    elif task in ("dask_warm_sessions", "dask_cold_sessions"):
        out.update(_dask_in_sessions(task, source, workers, roles))
    elif task == "dask_cold":
        plan, _, result = whole_table_pass(source, roles, engine="dask", workers=workers)
        out.update(pass_seconds=time.perf_counter() - started, engine_seconds=result.engine.get("seconds"))
    else:
        from datacert.scale import check_partitioned

        certificate = check_partitioned(source, roles, engine="dask", workers=workers)
        out.update(
            check_seconds=time.perf_counter() - started,
            assay_seconds=certificate.run["seconds"],
            engine_seconds=certificate.run["engine"].get("seconds"),
            verdict=certificate.verdict,
        )
    if task in ("dask_cold", "dask_check"):
        # the cluster's processes (nannies and workers) have ended and been waited for
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["cluster_cpu_seconds"] = round(children.ru_utime + children.ru_stime, 2)
    out["client_cpu_seconds"] = round(process_cpu_seconds(), 2)
    return out


def _dask_in_sessions(task: str, source: str, workers: int, roles) -> dict:
    """The pass with each worker a `dask worker` process in a session of its own.

    Linux's autogroup scheduling shares the cores between sessions, not processes: workers started
    by a LocalCluster share the one session of the run, so on a machine busy with other sessions a
    second worker adds no CPU, only a second queue. A session per worker (and one for the scheduler)
    is what a worker on a machine of its own gets. `warm`: the clock starts once the workers have
    joined and imported the kernel; `cold`: it starts before they are spawned (they import the
    kernel at their first task).
    """
    from distributed import Client

    from datacert.scale._assay import whole_table_pass

    out: dict = {}
    folder = Path(tempfile.mkdtemp(prefix="datacert-dask-sessions-"))
    scheduler_file = folder / "scheduler.json"
    env = dict(os.environ, **ONE_THREAD)
    cli = [sys.executable, "-m"]
    scheduler = subprocess.Popen(
        [*cli, "distributed.cli.dask_scheduler", "--scheduler-file", str(scheduler_file), "--port", "0"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs = [scheduler]
    log = open(folder / "workers.log", "wb")  # the workers' messages, closed with the folder
    try:
        while not scheduler_file.exists():
            time.sleep(0.1)
        time.sleep(0.2)  # written, not necessarily complete
        with Client(scheduler_file=str(scheduler_file)) as client:
            address = client.scheduler.address
            started = time.perf_counter()
            worker = [*cli, "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny"]
            worker += ["--no-dashboard", "--death-timeout", "60"]
            procs += [
                subprocess.Popen(
                    worker, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log
                )
                for _ in range(workers)
            ]
            client.wait_for_workers(workers, timeout=300)
            if task == "dask_warm_sessions":
                client.run(importlib.import_module, KERNEL)
            before = client.run(process_cpu_seconds)
            ready, client_cpu = time.perf_counter(), process_cpu_seconds()
            _, _, result = whole_table_pass(source, roles, engine="dask", scheduler=address)
            ended = time.perf_counter()
            after = client.run(process_cpu_seconds)
            warm = task == "dask_warm_sessions"
            out.update(
                pass_seconds=ended - (ready if warm else started),
                start_seconds=round(ready - started, 2),
                client_pass_cpu_seconds=round(process_cpu_seconds() - client_cpu, 2),
                # cold: what the workers spent since they started (interpreter, distributed, the kernel)
                worker_cpu_seconds=sorted(round(after[w] - (before[w] if warm else 0), 2) for w in after),
                engine_seconds=result.engine.get("seconds"),
            )
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a worker may hang closing its connections
                proc.kill()
                proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
    return out


KERNEL = "datacert.scale._partition"  # what a worker needs; imported before the clock in dask_warm
# one core per worker process, as the engine sets it (written out: the benchmark also measures
# engine versions that keep this constant elsewhere)
ONE_THREAD = {
    "POLARS_MAX_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _local_cluster(workers: int):
    """A LocalCluster of one-threaded worker processes, as the warmed Dask tasks measure it."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, env=ONE_THREAD
    )


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


DASK_TASKS = {
    "dask_warm": "pass_seconds",
    "dask_cold": "pass_seconds",
    "dask_check": "check_seconds",
    "dask_check_warm": "check_seconds",
    "dask_warm_sessions": "pass_seconds",
    "dask_cold_sessions": "pass_seconds",
}


def dask_scaling(
    counts: tuple[int, ...] = (1, 2),
    tasks: tuple[str, ...] = ("dask_warm_sessions", "dask_warm"),
    repeat: int = 1,
    sources: dict[str, str | None] | None = None,
) -> dict:
    """Each task on each worker count, `repeat` rounds interleaved (1, 2, 1, 2, ...); medians.

    `sources` names engine checkouts to measure back to back in every round (label -> the `src`
    folder put first on the children's PYTHONPATH; None for the installed engine), so a change is
    set against its base under the same load.
    """
    from benchmarks.workloads import workload_path

    sources = sources or {"installed": None}
    tall = pl.read_parquet(workload_path("tall"))
    folder = Path(tempfile.mkdtemp(prefix="datacert-dask-bench-"))
    runs: dict = {label: {task: {n: [] for n in counts} for task in tasks} for label in sources}
    try:
        step = -(-tall.height // 8)
        for i in range(8):
            tall.slice(i * step, step).write_parquet(folder / f"part-{i}.parquet", row_group_size=step)
        del tall
        source = str(folder / "*.parquet")
        for round_ in range(repeat):
            for task in tasks:
                for n in counts:
                    for label, src in sources.items():
                        run = measure(task, source, workers=n, src=src)
                        run["uptime"] = uptime()
                        runs[label][task][n].append(run)
                        print(f"round {round_ + 1} {label} {task} {n} worker(s): {run}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result: dict = {"workload": "tall (1,000,000 x 50, 8 files)", "repeat": repeat, "runs": runs}
    for label in sources:
        summary = result.setdefault("summary", {}).setdefault(label, {})
        for task in tasks:
            medians = {}
            for n in counts:
                ok = [r for r in runs[label][task][n] if "error" not in r]
                if ok:
                    medians[n] = float(np.median([r[DASK_TASKS[task]] for r in ok]))
            entry: dict = {"median_seconds": {n: round(v, 2) for n, v in medians.items()}}
            if {1, 2} <= set(medians):
                entry["speedup_2_vs_1"] = round(medians[1] / medians[2], 2)
                # the same ratio round by round: each pair ran back to back, under the same load
                pairs = zip(runs[label][task][1], runs[label][task][2], strict=False)
                entry["speedup_by_round"] = [
                    round(a[DASK_TASKS[task]] / b[DASK_TASKS[task]], 2)
                    for a, b in pairs
                    if "error" not in a and "error" not in b
                ]
            summary[task] = entry
    first = result["summary"][next(iter(sources))]
    # benchmarks.run's table reads `speedup_2_vs_1`: workers in sessions of their own when measured
    # (as on machines of their own: Linux autogroup gives one session one share of the cores, so the
    # workers of one LocalCluster share one share on a busy machine), else one LocalCluster
    for task in ("dask_warm_sessions", "dask_warm"):
        if "speedup_2_vs_1" in first.get(task, {}):
            result["speedup_2_vs_1"] = first[task]["speedup_2_vs_1"]
            result["speedup_task"] = task
            break
    return result


def uptime() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        task, source, memory_limit, workers = argv[1:5]
        print(json.dumps(child(task, source, memory_limit, int(workers))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows of the out-of-core table")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument(
        "--data", type=Path, help="keep the generated table in this folder (reused when present)"
    )
    parser.add_argument("--workers", default="1,2", help="Dask worker counts to compare, e.g. 1,2")
    parser.add_argument(
        "--dask-tasks",
        default="dask_warm_sessions,dask_warm",
        help="dask_warm_sessions (each worker in a session of its own, started before the clock), "
        "dask_warm (one LocalCluster, started before the clock), dask_cold (start-up counted), "
        "dask_cold_sessions, dask_check, dask_check_warm (the whole check on a warm cluster)",
    )
    parser.add_argument(
        "--no-installed",
        action="store_true",
        help="measure only the --compare-src engines (e.g. two snapshots)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the Dask measurements, interleaved")
    parser.add_argument(
        "--compare-src",
        action="append",
        default=[],
        metavar="LABEL=SRC",
        help="also measure the engine in SRC (a checkout's src folder) in every round, back to back",
    )
    args = parser.parse_args(argv)
    report: dict = {
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(), "polars": pl.__version__},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if not args.skip_stream:
        report["out_of_core"] = out_of_core(args.rows, args.memory_limit, args.data)
    if not args.skip_dask:
        sources: dict[str, str | None] = {} if args.no_installed else {"this": None}
        for item in args.compare_src:
            label, _, src = item.partition("=")
            sources[label] = str(Path(src).resolve())
        report["dask"] = dask_scaling(
            tuple(int(n) for n in args.workers.split(",")),
            tuple(args.dask_tasks.split(",")),
            args.repeat,
            sources,
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
    ooc = report.get("out_of_core", {})
    if "check_vs_scan" in ooc:
        print(
            f"out of core {ooc['rows']:,} x 10: peak {ooc['peak_rss_gb']} GB (limit {ooc['memory_limit']}); "
            f"check {ooc['check_rows_per_s']:,} rows/s = {ooc['check_vs_scan']}x the polars streaming scan "
            f"({ooc['scan_rows_per_s']:,} rows/s); whole-table pass alone {ooc['pass_vs_scan']}x"
        )
    for label, tasks in report.get("dask", {}).get("summary", {}).items():
        for task, entry in tasks.items():
            if "speedup_2_vs_1" in entry:
                print(
                    f"dask {label} {task}: 2 workers vs 1 on the tall table {entry['speedup_2_vs_1']}x "
                    f"(medians {entry['median_seconds']} s; round by round {entry['speedup_by_round']})"
                )


if __name__ == "__main__":
    main()
