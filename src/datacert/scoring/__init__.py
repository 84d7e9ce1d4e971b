"""Scores per dimension with coverage and intervals, gates, and the gate-first verdict.

The scoring profile (versioned YAML in `profiles/`) holds every anchor, weight, gate and floor.
"""

from datacert.scoring._assess import Assessment, assess
from datacert.scoring._profile import (
    CATALOGUE,
    ProfileError,
    ScoringProfile,
    builtin_profiles,
    load_scoring_profile,
    merge_raw,
)
from datacert.scoring._scores import ScoreResult, compute_scores, finding_rate
from datacert.scoring._verdict import FAIL_ON, Decision, GateOutcome, Verdict, decide, exit_code_for

__all__ = [
    "CATALOGUE",
    "FAIL_ON",
    "Assessment",
    "Decision",
    "GateOutcome",
    "ProfileError",
    "ScoreResult",
    "ScoringProfile",
    "Verdict",
    "assess",
    "builtin_profiles",
    "compute_scores",
    "decide",
    "exit_code_for",
    "finding_rate",
    "load_scoring_profile",
    "merge_raw",
]
