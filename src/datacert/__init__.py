"""datacert: incoming quality control for the training data of medical AI.

    import datacert
    cert = datacert.check("cohort.csv", target="outcome", group="patient_id")
    cert.verdict, cert.scores, cert.findings
"""

from datacert._version import __version__
from datacert.certificate import Certificate
from datacert.findings import Finding, Severity
from datacert.pipeline import check
from datacert.prequalify import prequalify

__all__ = ["Certificate", "Finding", "Severity", "__version__", "check", "prequalify"]
