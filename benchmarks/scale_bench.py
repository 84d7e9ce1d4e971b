"""Out-of-core and Dask benchmarks, each figure a ratio against a baseline measured in the same run.

    python -m benchmarks.scale_bench [--rows 200000000] [--memory-limit 4GB] [--skip-dask] [--skip-stream]
        [--data FOLDER] [--workers 1,2]

1. Out of core: a Parquet table of `--rows` x 10 (generated under a temporary folder, deleted at
   the end; or generated once into `--data FOLDER` and kept there for the next run) is checked
   with `--memory-limit`; its peak RSS and rows/s are set against a polars streaming scan that
   computes per-column nulls, approximate distincts, min, max and mean. CPU seconds (all threads)
   are reported beside wall seconds: on a shared machine their ratio moves less than wall time.
2. Dask: the whole-table pass over the `tall` workload (1,000,000 x 50, cut into 8 files) on a
   LocalCluster of 1 worker process, then of 2; the speed-up is the ratio of the two.

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
    elif task == "dask_pass":
        from distributed import Client, LocalCluster

        from datacert.roles import Roles
        from datacert.scale._assay import whole_table_pass
        from datacert.scale._pass import ONE_THREAD

        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env=ONE_THREAD,
            ) as cluster,
            Client(cluster) as client,
        ):
            # workers import the kernels before the clock starts: a fixed start-up cost (seconds on a
            # loaded machine) is not part of how the pass scales
            client.run(importlib.import_module, "datacert.scale._partition")
            ready = time.perf_counter()
            plan, _, result = whole_table_pass(
                source, Roles.build(target="target"), engine="dask", scheduler=cluster.scheduler_address
            )
            out.update(
                rows=plan.rows,
                partitions=len(plan.partitions),
                cluster_seconds=round(ready - started, 2),
                pass_seconds=time.perf_counter() - ready,
                plan_and_head_seconds=result.engine["seconds"]["plan_and_head"],
                distributed_seconds=result.engine["seconds"]["pass"],
            )
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


def measure(task: str, source: str, memory_limit: str = "4GB", workers: int = 1) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
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


def dask_scaling(counts: tuple[int, ...] = (1, 2)) -> dict:
    from benchmarks.workloads import workload_path

    tall = pl.read_parquet(workload_path("tall"))
    folder = Path(tempfile.mkdtemp(prefix="datacert-dask-bench-"))
    try:
        step = -(-tall.height // 8)
        for i in range(8):
            tall.slice(i * step, step).write_parquet(folder / f"part-{i}.parquet", row_group_size=step)
        del tall
        source = str(folder / "*.parquet")
        runs = {n: measure("dask_pass", source, workers=n) for n in counts}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for n, run in runs.items():
        print(f"dask whole-table pass, {n} worker(s): {run}")
    result: dict = {"workload": "tall (1,000,000 x 50, 8 files)", "workers": runs}
    if all("error" not in r for r in runs.values()) and {1, 2} <= set(runs):
        result["speedup_2_vs_1"] = round(runs[1]["pass_seconds"] / runs[2]["pass_seconds"], 2)
        result["distributed_speedup_2_vs_1"] = round(
            runs[1]["distributed_seconds"] / runs[2]["distributed_seconds"], 2
        )
    return result


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
    args = parser.parse_args(argv)
    report: dict = {
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(), "polars": pl.__version__},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if not args.skip_stream:
        report["out_of_core"] = out_of_core(args.rows, args.memory_limit, args.data)
    if not args.skip_dask:
        report["dask"] = dask_scaling(tuple(int(n) for n in args.workers.split(",")))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
    ooc = report.get("out_of_core", {})
    if "check_vs_scan" in ooc:
        print(
            f"out of core {ooc['rows']:,} x 10: peak {ooc['peak_rss_gb']} GB (limit {ooc['memory_limit']}); "
            f"check {ooc['check_rows_per_s']:,} rows/s = {ooc['check_vs_scan']}x the polars streaming scan "
            f"({ooc['scan_rows_per_s']:,} rows/s); whole-table pass alone {ooc['pass_vs_scan']}x"
        )
    if "speedup_2_vs_1" in report.get("dask", {}):
        dask = report["dask"]
        print(
            f"dask: 2 workers vs 1 on the tall table: {dask['speedup_2_vs_1']}x "
            f"(the distributed part alone: {dask['distributed_speedup_2_vs_1']}x)"
        )


if __name__ == "__main__":
    main()
