"""Where the memory of a full check goes: the peak RSS of each step, one process, Linux only.

python -m benchmarks.check_peaks [--workload tall] [--trim] [--top 12]

The whole-run peak that `benchmarks.run` reports says how high memory went, not which check took
it there. This runs `certify` once on a workload and, from its progress callback, resets the
kernel's high-water mark (`/proc/self/clear_refs`, value 5) before each step and reads it
(`VmHWM`) after: each row is that step's own peak, with the resident size when it started and
ended. A step that ends higher than it started holds memory (a cache, or allocator pages not given
back); `--trim` returns glibc's free pages between steps (`malloc_trim`) to tell the two apart
(the check runner itself does so between checks of a table from 100,000 records).
The goal figure is the issue's 2.5x the Arrow size of the table.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks._measure import current_rss_mb, peak_rss_mb

CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_high_water_mark() -> None:
    CLEAR_REFS.write_text("5")


@dataclass
class Step:
    name: str
    start_mb: float
    cpu_start: float
    peak_mb: float = 0.0
    end_mb: float = 0.0
    cpu_seconds: float = 0.0


def measure(workload: str, trim: bool) -> tuple[list[Step], dict[str, float]]:
    """Run the full check of a workload once and return each step's peak, plus the run's facts."""
    from benchmarks.workloads import TARGETS, workload_path
    from datacert._memory import return_free_memory
    from datacert.assay import certify, load_dataset
    from datacert.checks import load_all_checks
    from datacert.roles import Roles

    path = workload_path(workload)  # generated before anything is measured
    release = return_free_memory if trim else None
    load_all_checks(None)
    facts = {"imports_mb": current_rss_mb()}
    dataset = load_dataset(str(path), Roles.build(target=TARGETS.get(workload)))
    facts["loaded_mb"] = current_rss_mb()
    facts["arrow_mb"] = dataset.frame.estimated_size() / 2**20
    steps: list[Step] = []

    def close_step() -> None:
        if steps:
            last = steps[-1]
            last.peak_mb, last.end_mb = peak_rss_mb(), current_rss_mb()
            last.cpu_seconds = time.process_time() - last.cpu_start

    def progress(name: str) -> None:
        close_step()
        if release is not None:
            release()
        _reset_high_water_mark()
        steps.append(Step(name, current_rss_mb(), time.process_time()))

    certify(dataset, progress=progress)
    close_step()
    if steps:  # no progress call follows the last check: scoring and figures count in its row
        steps[-1].name += " +scoring"
    return steps, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="tall", help="bc, medium, wide or tall (benchmarks.workloads)")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) between steps")
    parser.add_argument("--top", type=int, default=12, help="steps shown by peak (0: all, in order)")
    args = parser.parse_args()
    if not CLEAR_REFS.exists():
        parser.exit(2, "check_peaks needs Linux's /proc/self/clear_refs\n")
    steps, facts = measure(args.workload, args.trim)
    goal = 2.5 * facts["arrow_mb"]
    print(
        f"{args.workload}: Arrow {facts['arrow_mb']:.1f} MB (goal 2.5x = {goal:.1f} MB); "
        f"after imports {facts['imports_mb']:.0f} MB, after loading {facts['loaded_mb']:.0f} MB"
    )
    shown = sorted(steps, key=lambda s: (-s.peak_mb, s.name))[: args.top] if args.top else steps
    print(f"{'step':32s} {'peak MB':>8s} {'x Arrow':>8s} {'start':>7s} {'end':>7s} {'CPU s':>6s}")
    for s in shown:
        print(
            f"{s.name:32s} {s.peak_mb:8.0f} {s.peak_mb / facts['arrow_mb']:8.2f} "
            f"{s.start_mb:7.0f} {s.end_mb:7.0f} {s.cpu_seconds:6.2f}"
        )


if __name__ == "__main__":
    main()
