"""Certificates for synthetic training data ("digital twins"): `datacert synth REAL SYNTH`.

A synthetic table is assayed against the real training table it was generated from, and a real
holdout the generator never saw: validity (what the generator introduced, by the full `check`
on both tables), fidelity, utility (train on synthetic, test on real) and privacy risk, scored by
the versioned profile `synthetic_training_data` into release, prequalify or reject.

    import datacert
    cert = datacert.synth("train.csv", "synthetic.csv", holdout="holdout.csv", target="outcome")
    cert.verdict, cert.scores, cert.findings, cert.extra["not_computable"]
"""

import sys
import types
from typing import Any

from datacert.synth._assay import SynthCertificate, certify_synthetic, synth
from datacert.synth._metric import Metric
from datacert.synth._profile import METRIC_IDS, load_synth_profile
from datacert.synth._tables import SynthInputError, load_tables

__all__ = [
    "METRIC_IDS",
    "Metric",
    "SynthCertificate",
    "SynthInputError",
    "certify_synthetic",
    "load_synth_profile",
    "load_tables",
    "synth",
]


class _CallablePackage(types.ModuleType):
    """`datacert.synth(...)` is the API call, and `datacert.synth` is also this package.

    Importing any submodule binds the package to the name `synth` on `datacert`, which would hide
    a function of that name; making the package callable keeps both meanings.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> SynthCertificate:
        return synth(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
