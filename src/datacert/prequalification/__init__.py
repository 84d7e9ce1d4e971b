"""Pre-qualification: find, prove and apply the preprocessing that makes a dataset fit to train on.

`prequalify(data, target=...)` checks the table, builds candidate recipes from the fixable
findings, scores them (mask-and-score imputation accuracy, in-fold cross-validated learnability,
quality score after the recipe), applies the best one and records a replayable plan.
`apply_plan(plan, frame)` replays a plan on new data of the same schema; `build_pipeline(plan)`
returns the fitted scikit-learn Pipeline (table in, model feature matrix out).

t-SNE and UMAP are for the report's maps only: they are never used to transform training data.
"""

from datacert.prequalification._plan import apply_plan, build_pipeline, load_plan, plan_to_json
from datacert.prequalification._recipe import RecipeError, load_recipe
from datacert.prequalification._run import PrequalifyResult, prequalify, run_prequalification
from datacert.prequalification._steps import PlanError

__all__ = [
    "PlanError",
    "PrequalifyResult",
    "RecipeError",
    "apply_plan",
    "build_pipeline",
    "load_plan",
    "load_recipe",
    "plan_to_json",
    "prequalify",
    "run_prequalification",
]
