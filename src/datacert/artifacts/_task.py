"""The learning task a target defines: the one place the whole product decides it.

`datacert check` (its model checks), `prequalify` (its learnability search) and `compare` all ask
this module, so a target is never classification for one command and regression for another.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from datacert.semantics import SemanticType, infer_semantic_types

Task = Literal["classification", "regression"]
TaskKind = Literal["binary", "multiclass", "regression"]

# a text target with more distinct values than this is not a set of classes a model can learn
MAX_CLASSES = 50
# a count target (whole numbers) with at most this many values is a set of ordered classes
MAX_COUNT_CLASSES = 10
_CLASS_TYPES = {SemanticType.BOOLEAN, SemanticType.CATEGORY, SemanticType.INTEGER_CATEGORY}
_UNLEARNABLE_TYPES = {SemanticType.TEXT, SemanticType.IDENTIFIER, SemanticType.EMPTY}


def learning_task(target: pl.Series, semantic_type: SemanticType | str | None) -> Task | None:
    """'classification', 'regression' or None (a target no model can learn).

    Booleans and categories are classes; numbers are regression unless they are counts or
    identifiers with few values; free text and identifiers are not learnable; any other target
    with up to MAX_CLASSES values is a set of classes. A single value is (degenerate) classification.
    """
    n_unique = target.drop_nulls().n_unique()
    if n_unique < 2:
        return "classification" if n_unique == 1 else None
    if semantic_type is None:  # a bare column: type it as the dataset would
        semantic_type = infer_semantic_types(target.to_frame())[target.name]
    if semantic_type in _CLASS_TYPES or target.dtype == pl.Boolean:
        return "classification"
    if target.dtype.is_numeric():
        integral = semantic_type in (SemanticType.COUNT, SemanticType.IDENTIFIER)
        return "classification" if integral and n_unique <= MAX_COUNT_CLASSES else "regression"
    if semantic_type in _UNLEARNABLE_TYPES:
        return None
    return "classification" if n_unique <= MAX_CLASSES else None


def is_class_target(target: pl.Series, semantic_type: SemanticType | str | None) -> bool:
    """Whether the target is 2 to MAX_CLASSES classes: what per-class tests (subgroup outcome
    rates, missingness against the target) need; a numeric target a model regresses is not."""
    n_unique = target.drop_nulls().n_unique()
    return 2 <= n_unique <= MAX_CLASSES and learning_task(target, semantic_type) == "classification"


def task_kind(target: pl.Series, semantic_type: SemanticType | str | None) -> TaskKind | None:
    """The task with classification split into binary and multiclass; None when not learnable."""
    task = learning_task(target, semantic_type)
    if task is None or task == "regression":
        return task
    n_unique = target.drop_nulls().n_unique()
    if n_unique < 2:
        return None
    return "binary" if n_unique == 2 else "multiclass"
