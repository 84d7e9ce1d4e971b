"""`python -m benchmarks.trust`: run the trust benchmark (resumable, parallel) and write docs/trust.md.

python -m benchmarks.trust                      # every table and injector (5 seeds at the documented size,
                                                #   1 at the other sizes)
python -m benchmarks.trust --seeds 1 --sizes documented --tables pbc_mayo whas500
python -m benchmarks.trust --update-gate        # rewrite the test slice's expected figures

A resumed run re-does exactly the tasks that are missing or whose code fingerprint changed (the
matching check, the injector, the table's card, the scoring profile or the runner); `--rerun-engine`
also re-does tasks measured on another version of the shared engine (dataset, profile, semantics).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.trust.corpus import load_cards
from benchmarks.trust.document import write_docs
from benchmarks.trust.fingerprint import code_state, engine_fingerprint
from benchmarks.trust.gate import GATE_PATH, gate_figures, run_gate
from benchmarks.trust.injectors import INJECTORS
from benchmarks.trust.runner import RESULTS_DIR, plan_tasks, read_results, run, task_fingerprints
from benchmarks.trust.summary import summarise

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trust", description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", help="card names (default: every card)")
    parser.add_argument("--injectors", nargs="*", choices=sorted(INJECTORS), help="default: every injector")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", choices=("all", "documented"), default="all")
    parser.add_argument(
        "--other-size-seeds",
        type=int,
        default=1,
        help="seeds for the sizes other than the documented one (default: 1; the documented size "
        "carries the headline figures and gets --seeds)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR / "trust-results.jsonl")
    parser.add_argument("--fresh", action="store_true", help="start a new results file instead of resuming")
    parser.add_argument(
        "--rerun-engine",
        action="store_true",
        help="also re-run tasks measured on another version of the shared engine",
    )
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "trust.md")
    parser.add_argument(
        "--docs-only",
        action="store_true",
        help="write the summary and docs from the results already recorded, running nothing",
    )
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
    if args.docs_only:
        records = read_results(args.results, tasks, task_fingerprints(tasks))
    else:
        records = run(tasks, args.results, jobs=args.jobs, rerun_engine=args.rerun_engine)
    summary = summarise(records, cards)
    summary_path = args.results.with_suffix(".summary.json")
    summary_path.write_text(
        json.dumps(summary, indent=2, sort_keys=True, default=list) + "\n", encoding="utf-8"
    )
    state = code_state()
    meta = {
        "results": args.results.relative_to(ROOT) if args.results.is_relative_to(ROOT) else args.results,
        "version": state["version"],
        "commit": state["commit"],
        "engine": engine_fingerprint(),
        "measured_commits": dict(Counter(r.get("code", {}).get("commit", "unknown") for r in records)),
        "seeds": args.seeds,
        "other_size_seeds": args.other_size_seeds,
        "planned": len(tasks),
    }
    docs = write_docs(summary, cards, args.docs, meta)
    print(f"{len(records)} tasks in {time.perf_counter() - started:.0f} s; wrote {summary_path} and {docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
