"""The project's evaluation, small: a generated 200-note French corpus must meet the F1/recall targets."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.text_bench import evaluate, failures  # noqa: E402
from benchmarks.text_corpus import covering_every_label, generate  # noqa: E402

from datacert.text.phi import LABELS, detect  # noqa: E402


def test_corpus_covers_every_label_and_is_varied():
    notes = generate(200, seed=11)
    assert covering_every_label(notes) == set(LABELS)
    assert len({n.text for n in notes}) == 200
    for note in notes:
        for start, end, _ in note.spans:
            assert 0 <= start < end <= len(note.text)


def test_detector_meets_the_targets_on_a_fresh_corpus():
    scores = evaluate(generate(200, seed=11), detect)["exact"]
    assert set(scores) == set(LABELS)
    assert failures(scores) == []
