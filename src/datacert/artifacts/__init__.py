"""Named results shared by the whole run, each computed in one place.

The learning task a target defines (`learning_task`) and the cross-validation folds (`fold_plan`)
are decided here for `check`, `prequalify` and `compare`. `Artifacts` holds the results several
checks need (the learning task, the fold plan, the reference model's design and fit, the
stratified row sampler behind every row budget) for one dataset: the check runner makes one per
run and hands it to each check that declares the artifact in its `Needs`, so nothing travels
through a cache hidden in the Dataset.
"""

from datacert.artifacts._folds import FoldPlan, fold_plan
from datacert.artifacts._population import Population, RepeatedKeys
from datacert.artifacts._sample import RowSample, auc_rows, row_sample, rows_matrix, share_rows
from datacert.artifacts._store import ARTIFACTS, Artifacts, provide
from datacert.artifacts._task import (
    MAX_CLASSES,
    Task,
    TaskKind,
    is_class_target,
    learning_task,
    task_kind,
)

__all__ = [
    "ARTIFACTS",
    "MAX_CLASSES",
    "Artifacts",
    "FoldPlan",
    "Population",
    "RepeatedKeys",
    "RowSample",
    "Task",
    "TaskKind",
    "auc_rows",
    "fold_plan",
    "is_class_target",
    "learning_task",
    "provide",
    "row_sample",
    "rows_matrix",
    "share_rows",
    "task_kind",
]
