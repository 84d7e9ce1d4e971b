"""The French development set (../shared/data/phi-fr-dev): rules alone, and the shipped model's contract.

The shipped model was trained on these notes, so it is not scored on them here (its figures come
from grouped cross-validation in tools/phi/train_crf.py); the rules were not trained and are.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.phi_dev import (  # noqa: E402
    dev_available,
    evaluate_detector,
    grouped_folds,
    load_dev,
    skeleton,
    skeleton_groups,
)

from datacert.text.phi import detect  # noqa: E402
from datacert.text.phi_model import model_available  # noqa: E402

needs_dev = pytest.mark.skipif(not dev_available(), reason="../shared/data/phi-fr-dev is absent")


@needs_dev
def test_rules_alone_on_the_development_set():
    scores = evaluate_detector(load_dev(), lambda t: detect(t, model=None))["masked"]
    assert scores["ALL"]["recall"] >= 0.70 and scores["ALL"]["precision"] >= 0.95
    for label in ("DATE", "SECU", "TEL", "MAIL", "IPP"):
        assert scores[label]["recall"] >= 0.95, label


@needs_dev
def test_folds_never_split_a_skeleton():
    notes = load_dev()
    groups = skeleton_groups(notes)
    folds = grouped_folds(groups, 5)
    assert sorted(i for f in folds for i in f) == list(range(len(notes)))
    where = {i: k for k, f in enumerate(folds) for i in f}
    by_skeleton: dict[str, set[int]] = {}
    for i, note in enumerate(notes):
        by_skeleton.setdefault(skeleton(note), set()).add(where[i])
    assert all(len(f) == 1 for f in by_skeleton.values())


def test_the_model_ships_and_only_adds_to_the_rules():
    assert model_available()
    text = "Chirurgiens : C. Varnelot, D. MOUSSARDIN\nTél : 01 42 16 00 00"
    rules = set(detect(text, model=None))
    both = set(detect(text))
    assert rules <= both and len(both) > len(rules)
