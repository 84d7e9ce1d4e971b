"""Scores per dimension and the gate-first verdict."""

from datacert.scoring._scores import score_dimensions
from datacert.scoring._verdict import Verdict, decide_verdict

__all__ = ["Verdict", "decide_verdict", "score_dimensions"]
