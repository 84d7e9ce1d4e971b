"""Clinical-text benchmark: de-identification quality per label and screening/de-id throughput.

Run: `python -m benchmarks.text_bench [--notes 600]`; writes benchmarks/results/text_bench.json.

Quality is measured on the generated French corpus (benchmarks/text_corpus.py, Faker fr_FR):
precision, recall and F1 per label, span-level, EXACT match (same start, end and label) as the
headline figure; a lenient figure (any overlap with the same label) is reported beside it.
Throughput is measured on notes of ~300 characters: screening = the phi_in_text and
prompt_injection checks (and encoding_errors when that check is registered) run through the
check runner on one text column; de-identification = `deidentify` in pseudonymise mode.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.text_corpus import Note, generate  # noqa: E402

TARGET_F1 = 0.95
TARGET_RECALL = {"SECU": 0.98, "TEL": 0.98, "MAIL": 0.98, "DATE_NAISSANCE": 0.98}


def evaluate(notes: Sequence[Note], detect: Callable[[str], list]) -> dict:
    """Per-label counts and P/R/F1, exact and overlap matching."""
    labels = sorted({s[2] for n in notes for s in n.spans})
    exact = {lab: [0, 0, 0] for lab in labels}  # tp, fp, fn
    overlap = {lab: [0, 0, 0] for lab in labels}
    for note in notes:
        gold = {(s, e, lab) for s, e, lab in note.spans}
        pred = {(sp[0], sp[1], sp[2]) for sp in detect(note.text)}
        for lab in {x[2] for x in gold | pred}:
            exact.setdefault(lab, [0, 0, 0])
            overlap.setdefault(lab, [0, 0, 0])
            g = {x for x in gold if x[2] == lab}
            p = {x for x in pred if x[2] == lab}
            exact[lab][0] += len(g & p)
            exact[lab][1] += len(p - g)
            exact[lab][2] += len(g - p)
            overlap[lab][0] += sum(1 for x in g if any(y[0] < x[1] and x[0] < y[1] for y in p))
            overlap[lab][2] += sum(1 for x in g if not any(y[0] < x[1] and x[0] < y[1] for y in p))
            overlap[lab][1] += sum(1 for y in p if not any(y[0] < x[1] and x[0] < y[1] for x in g))
    return {"exact": _scores(exact), "overlap": _scores(overlap)}


def _scores(counts: dict) -> dict:
    out = {}
    for lab, (tp, fp, fn) in sorted(counts.items()):
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[lab] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": tp + fn,
        }
    return out


def failures(scores: dict) -> list[str]:
    """Which targets the exact-match scores miss (empty when all are met)."""
    missed = []
    for lab, s in scores.items():
        if s["support"] and s["f1"] < TARGET_F1:
            missed.append(f"{lab} F1 {s['f1']:.3f} < {TARGET_F1}")
        if lab in TARGET_RECALL and s["recall"] < TARGET_RECALL[lab]:
            missed.append(f"{lab} recall {s['recall']:.3f} < {TARGET_RECALL[lab]}")
    return missed


def _short_notes(notes: Sequence[Note], size: int) -> list[str]:
    """Notes cut near ~300 characters at a line or sentence end, to match the throughput target.

    Every note is distinct: phi_in_text scans a repeated note once, so repeats would flatter it.
    """
    out = []
    for note in notes:
        text = note.text
        if len(text) > 330:
            cut = max(text.rfind("\n", 0, 330), text.rfind(". ", 0, 330))
            text = text[: cut + 1] if cut > 150 else text[:300]
        out.append(text)
    return out[:size]


def throughput(notes: Sequence[Note], size: int = 3000) -> dict:
    """Notes per second for screening (checks) and for de-identification."""
    import polars as pl

    from datacert.checks import load_all_checks, run_checks
    from datacert.dataset import build_dataset
    from datacert.io import from_object
    from datacert.profile import compute_profile
    from datacert.roles import Roles
    from datacert.text.deid import deidentify

    texts = _short_notes(notes, size)
    assert len(set(texts)) == len(texts), "throughput notes must be distinct"
    frame = pl.DataFrame({"note": texts})
    data = build_dataset(from_object(frame), Roles.build(text=["note"]))
    profile = compute_profile(data.frame, dict(data.semantic_types))
    registry = load_all_checks()
    screening = [c for c in ("phi_in_text", "prompt_injection", "encoding_errors") if c in registry]
    per_check = {}
    for check in screening:  # warm-up: regex compilation and resource loading are not per-note costs
        run_checks(data, profile, {check: {}}, only=[check])
    for check in screening:
        wall, cpu = time.perf_counter(), time.process_time()
        run_checks(data, profile, {check: {}}, only=[check])
        per_check[check] = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    screen_wall = sum(v["wall_s"] for v in per_check.values())
    screen_cpu = sum(v["cpu_s"] for v in per_check.values())
    groups = [str(i % 200) for i in range(len(texts))]
    wall, cpu = time.perf_counter(), time.process_time()
    deidentify(texts, groups=groups, mode="pseudonymise")
    deid_wall, deid_cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(texts)
    return {
        "notes": n,
        "mean_chars": sum(map(len, texts)) / n,
        "screening_checks": screening,
        "per_check_notes_per_s": {c: n / v["wall_s"] for c, v in per_check.items()},
        "screening_notes_per_s": n / screen_wall,
        "screening_notes_per_cpu_s": n / screen_cpu,
        "deid_notes_per_s": n / deid_wall,
        "deid_notes_per_cpu_s": n / deid_cpu,
        "note": "wall-clock figures depend on the machine's load; per-CPU-second figures sum every thread",
        "targets": {"screening_notes_per_s": 1000, "deid_notes_per_s": 300},
    }


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=600, help="corpus size (at least 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "text_bench.json")
    args = parser.parse_args(argv)
    from datacert.text.phi import detect

    notes = generate(args.notes, seed=args.seed)
    quality = evaluate(notes, detect)
    speed = throughput(generate(3000, seed=args.seed + 1))
    result = {
        "benchmark": "text",
        "corpus": {
            "notes": len(notes),
            "seed": args.seed,
            "patients": len({n.group for n in notes}),
            "generator": "benchmarks/text_corpus.py (Faker fr_FR)",
        },
        "matching": "exact span match (start, end, label); 'overlap' = same label, any overlap",
        "quality": quality,
        "missed_targets": failures(quality["exact"]),
        "throughput": speed,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for lab, s in quality["exact"].items():
        print(f"{lab:15s} P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f} (n={s['support']})")
    print(
        f"screening {speed['screening_notes_per_s']:.0f} notes/s, "
        f"{speed['screening_notes_per_cpu_s']:.0f} per "
        f"CPU-s ({', '.join(speed['screening_checks'])}); deid {speed['deid_notes_per_s']:.0f} notes/s, "
        f"{speed['deid_notes_per_cpu_s']:.0f} per CPU-s"
    )
    print("missed targets:", result["missed_targets"] or "none")
    return result


if __name__ == "__main__":
    main()
