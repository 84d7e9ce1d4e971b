"""Checks: pure functions of (dataset, profile, params) in a registry, one module per check.

Sub-packages group checks by dimension; any module in them that registers a check is found
automatically.
"""

from datacert.checks._base import (
    GOVERNANCE_TOPICS,
    Check,
    CheckResult,
    CorrectionPlan,
    Figure,
    Needs,
    Param,
    ParameterError,
    Remedy,
)
from datacert.checks._registry import (
    REGISTRY,
    catalogue,
    check_dimensions,
    checks_about,
    load_all_checks,
    prefetch_checks,
    register,
    wait_for_prefetch,
)
from datacert.checks._runner import CheckOutcome, check_threads, declared_threads, resolve_params, run_checks

__all__ = [
    "GOVERNANCE_TOPICS",
    "REGISTRY",
    "Check",
    "CheckOutcome",
    "CheckResult",
    "CorrectionPlan",
    "Figure",
    "Needs",
    "Param",
    "ParameterError",
    "Remedy",
    "catalogue",
    "check_dimensions",
    "check_threads",
    "checks_about",
    "declared_threads",
    "load_all_checks",
    "prefetch_checks",
    "register",
    "resolve_params",
    "run_checks",
    "wait_for_prefetch",
]
