"""Detection on real tables: each check finds a defect planted (by the trust benchmark's seeded
injectors) in a real public table, and stays quiet on the same table left alone."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from benchmarks.trust.injectors import INJECTORS, Injected
from tests.conftest import run_one

RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}


def _table(name: str):
    (card,) = load_cards([name])
    try:
        return card, load_table(card)
    except TableUnavailable as exc:
        pytest.skip(str(exc))


def _planted(name: str, injector: str, size: float | None = None, seed: int = 0) -> Injected:
    """The real table with the defect planted as the benchmark plants it (same seeding)."""
    card, frame = _table(name)
    inj = INJECTORS[injector]
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), zlib.crc32(injector.encode())])
    return inj.apply(frame, card, inj.documented_size if size is None else float(size), rng)


def _worst(outcome, columns: tuple[str, ...] = (), rows: tuple[int, ...] = ()) -> str | None:
    """The highest severity among the findings on the planted rows (or the planted columns)."""
    hits = [
        f
        for f in outcome.findings
        if (rows and set(rows) & set(f.rows)) or (not rows and set(columns) & set(f.columns))
    ]
    return max((str(f.severity) for f in hits), key=RANK.__getitem__, default=None)


def _alarms(outcome, at: str = "warning") -> list:
    return [f for f in outcome.findings if RANK[str(f.severity)] >= RANK[at]]


def test_grouped_phone_numbers_are_an_identifier_not_free_text():
    """'06 12 34 56 78' has four spaces like a sentence, but no words: it must reach direct_identifier."""
    card, clean = _table("pbc_mayo")
    assert _alarms(run_one("direct_identifier", clean, **card.roles)) == []
    planted = _planted("pbc_mayo", "identifier_column")
    outcome = run_one("direct_identifier", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) == "error"
    (finding,) = outcome.findings
    assert finding.evidence["kind"] == "phone" and set(finding.rows) == set(planted.rows)
