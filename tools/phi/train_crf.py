"""Train the PHI model that ships in the package, and measure it by grouped cross-validation.

Run: `python tools/phi/train_crf.py [--folds 5] [--generated 4000] [--no-ship]`

Training data: fragments generated in the forms real notes use (tools/phi/fragments.py, seeded)
plus the development set of ../shared/data/phi-fr-dev when it is there (read in place, never
copied). The figures reported are those of grouped k-fold cross-validation on the development set:
folds hold whole note skeletons (benchmarks/phi_dev.py), each fold is scored by a model trained on
the generated fragments and the other folds only. Then the shipped model is trained on all of it.
Writes src/datacert/text/resources/phi_crf.crfsuite and benchmarks/results/phi_cv.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pycrfsuite  # noqa: E402
from benchmarks.phi_dev import (  # noqa: E402
    dev_available,
    grouped_folds,
    load_dev,
    score,
    skeleton_groups,
    table,
)

from datacert.text import phi_model  # noqa: E402
from datacert.text._unicode import composed_view  # noqa: E402
from datacert.text.phi import detect  # noqa: E402
from tools.phi.fragments import generate  # noqa: E402

MODEL_PATH = ROOT / "src" / "datacert" / "text" / "resources" / phi_model.MODEL_RESOURCE
THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
PARAMS = {"c1": 0.05, "c2": 0.02, "max_iterations": 150, "feature.possible_transitions": True}


def sequence(text: str, spans) -> tuple[list[list[str]], list[str]]:
    """Features and BIO tags of one note, the rules' labels included as features."""
    view = composed_view(text)
    assert view.starts is None, "training notes are expected in NFC"
    rules = [(s.start, s.end, s.label) for s in detect(text, model=None)]
    tokens = phi_model.tokenize(text)
    return phi_model.features(text, tokens, phi_model.rule_token_labels(tokens, rules)), phi_model.bio(
        tokens, spans
    )


def train(sequences, path: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in sequences:
        if xseq:
            trainer.append(xseq, yseq)
    trainer.set_params(PARAMS)
    trainer.train(str(path))


def tagger(path: Path) -> pycrfsuite.Tagger:
    t = pycrfsuite.Tagger()
    t.open(str(path))
    return t


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--generated", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ship", action="store_true", help="measure only, keep the shipped model")
    parser.add_argument(
        "--dump", type=Path, help="write the cross-validated predictions here (error analysis)"
    )
    args = parser.parse_args(argv)

    fragments = generate(args.generated, seed=args.seed)
    generated = [sequence(f.text, f.spans) for f in fragments]
    report: dict = {
        "generated_fragments": len(fragments),
        "params": PARAMS,
        "o_threshold": phi_model.O_THRESHOLD,
    }
    dev = load_dev() if dev_available() else []
    dev_sequences = [sequence(n.text, n.spans) for n in dev]
    with tempfile.TemporaryDirectory() as tmp:
        if dev:
            groups = skeleton_groups(dev)
            folds = grouped_folds(groups, args.folds)
            predictions: dict[int, list] = {}
            by_threshold: dict[float, dict[int, list]] = {t: {} for t in THRESHOLDS}
            for k, fold in enumerate(folds):
                held = set(fold)
                path = Path(tmp) / f"fold{k}.crfsuite"
                train(generated + [dev_sequences[i] for i in range(len(dev)) if i not in held], path)
                model = tagger(path)
                for i in fold:
                    predictions[i] = [(s.start, s.end, s.label) for s in detect(dev[i].text, model=model)]
                shipped_threshold = phi_model.O_THRESHOLD
                try:
                    for t in THRESHOLDS:
                        phi_model.O_THRESHOLD = t
                        for i in fold:
                            by_threshold[t][i] = [
                                (s.start, s.end, s.label) for s in detect(dev[i].text, model=model)
                            ]
                finally:
                    phi_model.O_THRESHOLD = shipped_threshold
            cv = score((dev[i].spans, predictions[i]) for i in range(len(dev)))
            sweep = {}
            for t, preds in by_threshold.items():
                masked = score((dev[i].spans, preds[i]) for i in range(len(dev)))["masked"]
                sweep[str(t)] = {
                    "recall": masked["ALL"]["recall"],
                    "precision": masked["ALL"]["precision"],
                    "lowest_label_recall": min(v["recall"] for k, v in masked.items() if v["support"]),
                }
                print(f"threshold {t}: {sweep[str(t)]}")
            if args.dump:
                rows = [{"id": dev[i].id, "pred": predictions[i]} for i in range(len(dev))]
                args.dump.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
            rules = score(
                (n.spans, [(s.start, s.end, s.label) for s in detect(n.text, model=None)]) for n in dev
            )
            report["cross_validation"] = {
                "folds": args.folds,
                "grouping": "note skeleton (identifiers blanked, digits and case folded)",
                "groups": len(set(groups)),
                "notes": len(dev),
                "rules_and_model": cv,
                "rules_only": rules,
                "o_threshold_sweep": sweep,
            }
            print("grouped CV, rules + model (masked = any label):")
            print(table(cv, "masked"))
            print("rules only:")
            print(table(rules, "masked"))
        if not args.no_ship:
            path = Path(tmp) / "final.crfsuite"
            train(generated + dev_sequences, path)
            MODEL_PATH.write_bytes(path.read_bytes())
            report["shipped_model"] = {"bytes": MODEL_PATH.stat().st_size, "trained_on_dev_notes": len(dev)}
            print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size} bytes)")
    out = ROOT / "benchmarks" / "results" / "phi_cv.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
