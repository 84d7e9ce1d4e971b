"""datacert: incoming quality control for the training data of medical AI.

import datacert
cert = datacert.check("cohort.csv", target="outcome", group="patient_id")
cert.verdict, cert.scores, cert.findings
result = datacert.prequalify("cohort.csv", target="outcome")   # .clean, .plan, .certificate
model_steps = datacert.pipeline(result.plan)   # a fitted scikit-learn Pipeline
synthetic = datacert.synth("train.csv", "synthetic.csv", holdout="holdout.csv", target="outcome")
"""

from typing import Any

from datacert._version import __version__
from datacert.assay import check
from datacert.certificate import Certificate
from datacert.findings import Finding, Severity

__all__ = [
    "Certificate",
    "Finding",
    "Severity",
    "__version__",
    "apply_plan",
    "check",
    "pipeline",
    "prequalify",
    "synth",
]

# Pre-qualification pulls in scikit-learn; it is imported on first use so that `check` and the
# command line start fast.
_LAZY = {"prequalify": "prequalify", "apply_plan": "apply_plan", "pipeline": "build_pipeline"}
_LAZY_MODULE = {"synth": "datacert.synth"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module("datacert.prequalification"), _LAZY[name])
        globals()[name] = value
        return value
    if name in _LAZY_MODULE:
        import importlib

        # the package datacert.synth is itself callable: datacert.synth(...) is datacert.synth.synth(...)
        return importlib.import_module(_LAZY_MODULE[name])
    raise AttributeError(f"module 'datacert' has no attribute {name!r}")
