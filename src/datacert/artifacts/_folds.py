"""The cross-validation fold plan: the one place the whole product decides how records are split.

The reference model of `datacert check`, the learning curve of insufficient_sample_size, the
energy estimate and the learnability search of `prequalify` all split with this function, so the
same target and groups give the same folds everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from datacert.artifacts._task import Task

if TYPE_CHECKING:
    from sklearn.model_selection import KFold, StratifiedKFold

SEED = 0
N_SPLITS = 5

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class FoldPlan:
    """Train/test index pairs (into the rows the plan was made for) and how they were drawn."""

    splits: tuple[Split, ...]
    grouped: bool
    stratified: bool

    @property
    def n_splits(self) -> int:
        return len(self.splits)

    @property
    def splitter(self) -> str:
        """The scikit-learn splitter's name, for the record."""
        if self.grouped:
            return "StratifiedGroupKFold" if self.stratified else "GroupKFold"
        return "StratifiedKFold" if self.stratified else "KFold"

    def fold_index(self) -> np.ndarray:
        """The test fold of every row."""
        size = sum(test.size for _, test in self.splits)
        index = np.zeros(size, dtype=np.int64)
        for i, (_, test) in enumerate(self.splits):
            index[test] = i
        return index


def fold_plan(
    y: np.ndarray,
    task: Task,
    groups: np.ndarray | None = None,
    n_splits: int = N_SPLITS,
    seed: int = SEED,
) -> FoldPlan:
    """Seeded, shuffled folds: stratified on classes, grouped (a patient's records in one fold).

    Grouping needs at least `n_splits` groups, else the folds are not grouped. Stratified folds
    are capped at the size of the smallest class (at least 2), and plain folds at the row count.
    """
    # imported here: every command imports this package, and scikit-learn (with SciPy and pandas)
    # costs a second of start-up that only the model-based steps need
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

    placeholder = np.zeros((y.shape[0], 1))
    stratified = task == "classification"
    if groups is not None and len(np.unique(groups)) >= n_splits:
        grouped_splitter = (
            StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
            if stratified
            else GroupKFold(n_splits, shuffle=True, random_state=seed)
        )
        splits = grouped_splitter.split(placeholder, y, groups)
        return FoldPlan(tuple(splits), grouped=True, stratified=stratified)
    if stratified:
        _, counts = np.unique(y, return_counts=True)
        k = max(2, min(n_splits, int(counts.min())))
        splitter: StratifiedKFold | KFold = StratifiedKFold(k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(max(2, min(n_splits, y.shape[0])), shuffle=True, random_state=seed)
    return FoldPlan(tuple(splitter.split(placeholder, y)), grouped=False, stratified=stratified)
