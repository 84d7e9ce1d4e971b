"""datacert: incoming quality control for the training data of medical AI.

import datacert
cert = datacert.check("cohort.csv", target="outcome", group="patient_id")
cert.verdict, cert.scores, cert.findings
result = datacert.prequalify("cohort.csv", target="outcome")   # .clean, .plan, .certificate
model_steps = datacert.pipeline(result.plan)   # a fitted scikit-learn Pipeline
synthetic = datacert.synth("train.csv", "synthetic.csv", holdout="holdout.csv", target="outcome")
"""

from typing import TYPE_CHECKING, Any

from datacert._memory import configure_polars_allocator
from datacert._version import __version__

configure_polars_allocator()  # read by polars when it loads, so before any engine import

if TYPE_CHECKING:
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

# Everything is imported on first use: `import datacert` stays cheap, so the command line can
# install its signal handlers before the engine (polars, scipy, scikit-learn) loads.
_LAZY = {
    "check": ("datacert.assay", "check"),
    "Certificate": ("datacert.certificate", "Certificate"),
    "Finding": ("datacert.findings", "Finding"),
    "Severity": ("datacert.findings", "Severity"),
    "prequalify": ("datacert.prequalification", "prequalify"),
    "apply_plan": ("datacert.prequalification", "apply_plan"),
    "pipeline": ("datacert.prequalification", "build_pipeline"),
}
_LAZY_MODULE = {"synth": "datacert.synth"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    if name in _LAZY_MODULE:
        import importlib

        # the package datacert.synth is itself callable: datacert.synth(...) is datacert.synth.synth(...)
        return importlib.import_module(_LAZY_MODULE[name])
    raise AttributeError(f"module 'datacert' has no attribute {name!r}")
