"""datacert: incoming quality control for the training data of medical AI.

    import datacert
    cert = datacert.check("cohort.csv", target="outcome", group="patient_id")
    cert.verdict, cert.scores, cert.findings
    result = datacert.prequalify("cohort.csv", target="outcome")   # .clean, .plan, .certificate
    model_steps = datacert.pipeline(result.plan)   # a fitted scikit-learn Pipeline
"""

from datacert._version import __version__
from datacert.assay import check
from datacert.certificate import Certificate
from datacert.findings import Finding, Severity
from datacert.prequalify import apply_plan, prequalify
from datacert.prequalify import build_pipeline as pipeline

__all__ = ["Certificate", "Finding", "Severity", "__version__", "apply_plan", "check", "pipeline", "prequalify"]
