"""The French PHI development set (../shared/data/phi-fr-dev): loading, note skeletons, span scores.

The set is read where it lies and never copied into the project. Its notes are fragments of a
few hundred templates, so two notes may share a skeleton (the same text once the identifiers are
blanked out); any cross-validation on it is grouped by skeleton so that no template is seen in
training and test alike.

Scores are span-level, per label: a gold span is found when a predicted span of the same label
covers it exactly ("exact") or overlaps it ("overlap"); "masked" ignores the label (what matters
for de-identification: the characters are hidden whatever the label says).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_PATH = ROOT.parent / "shared" / "data" / "phi-fr-dev" / "notes.jsonl"


@dataclass(frozen=True)
class DevNote:
    id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]


def dev_available(path: Path = DEV_PATH) -> bool:
    return path.is_file()


def load_dev(path: Path = DEV_PATH) -> list[DevNote]:
    """Every development note, in file order."""
    notes = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                spans = tuple(sorted((s["start"], s["end"], s["label"]) for s in row["spans"]))
                notes.append(DevNote(row["id"], row["text"], spans))
    return notes


def skeleton(note: DevNote) -> str:
    """The note with its identifiers replaced by their labels, digits and case folded away."""
    parts, at = [], 0
    for start, end, label in note.spans:
        parts += [note.text[at:start], f"<{label}>"]
        at = end
    parts.append(note.text[at:])
    text = "".join(parts).lower()
    text = re.sub(r"\d", "0", text)
    return re.sub(r"\s+", " ", text).strip()


def skeleton_groups(notes: Sequence[DevNote]) -> list[int]:
    """A group id per note: notes with one skeleton share a group, so do notes with no identifier
    that repeat a line of one another (the same header or table row in two fragments)."""
    ids: dict[str, int] = {}
    return [ids.setdefault(skeleton(n), len(ids)) for n in notes]


def grouped_folds(groups: Sequence[int], k: int = 5) -> list[list[int]]:
    """k folds of note indices, whole groups per fold, balanced by size (deterministic)."""
    sizes: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        sizes.setdefault(g, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    for members in sorted(sizes.values(), key=lambda m: (-len(m), m[0])):
        min(folds, key=len).extend(members)
    return [sorted(f) for f in folds]


def score(
    gold_and_pred: Iterable[tuple[Sequence[tuple[int, int, str]], Sequence[tuple[int, int, str]]]],
) -> dict:
    """Per-label and overall span counts and precision/recall for exact, overlap and masked matching."""
    counts: dict[str, dict[str, list[int]]] = {"exact": {}, "overlap": {}, "masked": {}}
    for gold, pred in gold_and_pred:
        gold_set = {tuple(g) for g in gold}
        pred_set = {tuple(p[:3]) for p in pred}
        for mode in counts:
            for g in gold_set:
                hit = _matched(g, pred_set, mode)
                row = counts[mode].setdefault(g[2], [0, 0, 0])  # tp, fp, fn
                row[0 if hit else 2] += 1
            for p in pred_set:
                if not _matched(p, gold_set, mode):
                    counts[mode].setdefault(p[2], [0, 0, 0])[1] += 1
    return {mode: _ratios(rows) for mode, rows in counts.items()}


def _matched(span: tuple, others: set, mode: str) -> bool:
    if mode == "exact":
        return span in others
    same_label = mode == "overlap"
    return any(o[0] < span[1] and span[0] < o[1] and (not same_label or o[2] == span[2]) for o in others)


def _ratios(rows: dict[str, list[int]]) -> dict:
    out = {}
    total = [0, 0, 0]
    for label, (tp, fp, fn) in sorted(rows.items()):
        out[label] = _figures(tp, fp, fn)
        total = [total[0] + tp, total[1] + fp, total[2] + fn]
    out["ALL"] = _figures(*total)
    return out


def _figures(tp: int, fp: int, fn: int) -> dict:
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "support": tp + fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


def evaluate_detector(notes: Sequence[DevNote], detect: Callable[[str], list]) -> dict:
    """Scores of a detector (text -> spans with start, end, label) over development notes."""
    return score((n.spans, [(s[0], s[1], s[2]) for s in detect(n.text)]) for n in notes)


def table(scores: dict, mode: str = "overlap") -> str:
    """A plain per-label table of one matching mode."""
    lines = [f"{'label':15s} {'n':>4s} {'recall':>7s} {'precision':>9s}"]
    for label, s in scores[mode].items():
        lines.append(f"{label:15s} {s['support']:4d} {s['recall']:7.3f} {s['precision']:9.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    from datacert.text.phi import detect

    result = evaluate_detector(load_dev(), detect)
    for mode in ("exact", "overlap", "masked"):
        print(mode)
        print(table(result, mode))
