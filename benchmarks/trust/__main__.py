"""`python -m benchmarks.trust`: run the trust benchmark (resumable, parallel) and write docs/trust.md.

python -m benchmarks.trust                      # every table, injector, size, 5 seeds
python -m benchmarks.trust --seeds 1 --sizes documented --tables pbc_mayo whas500
python -m benchmarks.trust --update-gate        # rewrite the test slice's expected figures
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.trust.corpus import load_cards
from benchmarks.trust.document import write_docs
from benchmarks.trust.gate import GATE_PATH, gate_figures, run_gate
from benchmarks.trust.injectors import INJECTORS
from benchmarks.trust.runner import RESULTS_DIR, plan_tasks, run
from benchmarks.trust.summary import summarise

ROOT = Path(__file__).resolve().parents[2]


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trust", description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", help="card names (default: every card)")
    parser.add_argument("--injectors", nargs="*", choices=sorted(INJECTORS), help="default: every injector")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", choices=("all", "documented"), default="all")
    parser.add_argument(
        "--other-size-seeds",
        type=int,
        default=None,
        help="seeds for the sizes other than the documented one (default: --seeds)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR / "trust-results.jsonl")
    parser.add_argument("--fresh", action="store_true", help="start a new results file instead of resuming")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "trust.md")
    parser.add_argument(
        "--update-gate", action="store_true", help="rewrite the test slice's expected figures"
    )
    args = parser.parse_args(argv)

    if args.update_gate:
        figures = gate_figures(run_gate())
        GATE_PATH.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {GATE_PATH}")
        return 0
    cards = load_cards(args.tables)
    if not cards:
        print("no card matches --tables", file=sys.stderr)
        return 2
    if args.fresh and args.results.exists():
        args.results.unlink()
    tasks = plan_tasks(
        cards, args.injectors or sorted(INJECTORS), args.seeds, args.sizes, args.other_size_seeds
    )
    started = time.perf_counter()
    records = run(tasks, args.results, jobs=args.jobs)
    summary = summarise(records)
    summary_path = args.results.with_suffix(".summary.json")
    summary_path.write_text(
        json.dumps(summary, indent=2, sort_keys=True, default=list) + "\n", encoding="utf-8"
    )
    from datacert import __version__

    meta = {
        "results": args.results.relative_to(ROOT) if args.results.is_relative_to(ROOT) else args.results,
        "version": __version__,
        "commit": _commit(),
        "seeds": args.seeds,
        "other_size_seeds": args.other_size_seeds,
    }
    docs = write_docs(summary, cards, args.docs, meta)
    print(f"{len(records)} tasks in {time.perf_counter() - started:.0f} s; wrote {summary_path} and {docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
