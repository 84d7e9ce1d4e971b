"""Clinical-text benchmark: de-identification quality per label and screening/de-id throughput.

Run: `python -m benchmarks.text_bench [--notes 600] [--cv]`; writes benchmarks/results/text_bench.json.

Quality is measured on the generated French corpus (benchmarks/text_corpus.py, Faker fr_FR):
precision, recall and F1 per label, span-level, EXACT match (same start, end and label) as the
headline figure; a lenient figure (any overlap with the same label) is reported beside it.
Throughput is measured on notes of ~300 characters: screening = the phi_in_text and
prompt_injection checks (and encoding_errors when that check is registered) run through the
check runner on one text column; de-identification = `deidentify` in pseudonymise mode. The cost
of the statistical layer is the ratio of the detector's speed with and without it, in the same run.

Beside it, the French development set (../shared/data/phi-fr-dev, when present): the rules alone
scored directly, and the rules with the model scored by grouped cross-validation (whole note
skeletons per fold, a model trained without the fold) -- the shipped model was trained on the
whole set, so scoring it there would give training figures. `--cv` recomputes the cross-validation
(minutes); otherwise the figures of the last `tools/phi/train_crf.py` run are reported.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _cpu() -> float:
    """CPU seconds of this process and of the worker processes it has waited for (detection splits
    large columns over processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


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
        wall, cpu = time.perf_counter(), _cpu()
        run_checks(data, profile, {check: {}}, only=[check])
        per_check[check] = {"wall_s": time.perf_counter() - wall, "cpu_s": _cpu() - cpu}
    screen_wall = sum(v["wall_s"] for v in per_check.values())
    screen_cpu = sum(v["cpu_s"] for v in per_check.values())
    groups = [str(i % 200) for i in range(len(texts))]
    wall, cpu = time.perf_counter(), _cpu()
    deidentify(texts, groups=groups, mode="pseudonymise")
    deid_wall, deid_cpu = time.perf_counter() - wall, _cpu() - cpu
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


def detector_speed(notes: Sequence[Note], size: int = 2000) -> dict:
    """Notes per CPU-second of `detect` with the rules alone and with the shipped model."""
    from datacert.text.phi import detect
    from datacert.text.phi_model import model_available

    texts = _short_notes(notes, size)
    out = {"notes": len(texts), "model_shipped": model_available()}
    for name, model in (("rules", None), ("rules_and_model", "shipped")):
        for text in texts[:50]:
            detect(text, model=model)
        cpu = time.process_time()
        for text in texts:
            detect(text, model=model)
        out[f"{name}_notes_per_cpu_s"] = len(texts) / (time.process_time() - cpu)
    out["model_cost_ratio"] = out["rules_notes_per_cpu_s"] / out["rules_and_model_notes_per_cpu_s"]
    return out


def development_set(recompute_cv: bool) -> dict | None:
    """Rules-only scores on the development set, and the grouped cross-validation of rules + model."""
    from benchmarks.phi_dev import dev_available, evaluate_detector, load_dev
    from datacert.text.phi import detect

    if not dev_available():
        return None
    notes = load_dev()
    result: dict = {
        "notes": len(notes),
        "matching": "masked = a gold span is found when any predicted span overlaps it (the label "
        "aside); overlap = same label and overlap; exact = same start, end and label",
        "rules_only": evaluate_detector(notes, lambda t: detect(t, model=None)),
    }
    cv_path = ROOT / "benchmarks" / "results" / "phi_cv.json"
    if recompute_cv:
        from tools.phi.train_crf import main as train_main

        report = train_main(["--no-ship"])
        result["cross_validation_source"] = "recomputed in this run (tools/phi/train_crf.py --no-ship)"
    elif cv_path.is_file():
        report = json.loads(cv_path.read_text(encoding="utf-8"))
        result["cross_validation_source"] = "benchmarks/results/phi_cv.json (last tools/phi/train_crf.py run)"
    else:
        report = {}
    if "cross_validation" in report:
        result["rules_and_model_grouped_cv"] = report["cross_validation"]["rules_and_model"]
        result["folds"] = report["cross_validation"]["folds"]
        result["groups"] = report["cross_validation"]["groups"]
    return result


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=600, help="corpus size (at least 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "text_bench.json")
    parser.add_argument("--cv", action="store_true", help="recompute the grouped cross-validation (minutes)")
    args = parser.parse_args(argv)
    from datacert.text.phi import detect

    notes = generate(args.notes, seed=args.seed)
    quality = evaluate(notes, detect)
    speed = throughput(generate(3000, seed=args.seed + 1))
    speed["detector"] = detector_speed(generate(2000, seed=args.seed + 2))
    dev = development_set(args.cv)
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
        "development_set": dev,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for lab, s in quality["exact"].items():
        print(f"{lab:15s} P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f} (n={s['support']})")
    print(
        f"screening {speed['screening_notes_per_s']:.0f} notes/s, {speed['screening_notes_per_cpu_s']:.0f} per "
        f"CPU-s ({', '.join(speed['screening_checks'])}); deid {speed['deid_notes_per_s']:.0f} notes/s, "
        f"{speed['deid_notes_per_cpu_s']:.0f} per CPU-s"
    )
    print("missed targets:", result["missed_targets"] or "none")
    d = speed["detector"]
    print(
        f"detector {d['rules_notes_per_cpu_s']:.0f} notes/CPU-s with the rules, "
        f"{d['rules_and_model_notes_per_cpu_s']:.0f} with the model (x{d['model_cost_ratio']:.2f} the cost)"
    )
    if dev:
        from benchmarks.phi_dev import table

        print("development set, rules only (masked):")
        print(table(dev["rules_only"], "masked"))
        if "rules_and_model_grouped_cv" in dev:
            print(f"development set, rules + model, grouped {dev['folds']}-fold CV (masked):")
            print(table({"masked": dev["rules_and_model_grouped_cv"]["masked"]}, "masked"))
    else:
        print("development set absent (../shared/data/phi-fr-dev): skipped")
    return result


if __name__ == "__main__":
    main()
