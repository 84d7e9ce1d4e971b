"""The reference model of the model-based checks, for the packages that reuse it.

The energy pilot (`audit.energy`) measures one reference fit and synthetic-data utility
(`synth.utility`) trains the same candidates on real and synthetic records: both must use the
design, the models and the scores the checks use, so they import them from here rather than
from the private module that implements them.
"""

from datacert.checks._reference_model import (
    Design,
    ReferenceFit,
    candidate_models,
    design_of,
    fit_predict,
    model_factory,
    reference_fit,
    score_predictions,
    target_task,
)

__all__ = [
    "Design",
    "ReferenceFit",
    "candidate_models",
    "design_of",
    "fit_predict",
    "model_factory",
    "reference_fit",
    "score_predictions",
    "target_task",
]
