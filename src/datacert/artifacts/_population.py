"""The whole table behind a sampled Dataset: its size and the counts only the whole table can give.

An out-of-core or distributed run checks a seeded sample of a table too large to hold; what must
be counted on every row (exact duplicate records, repeated identifiers) is counted in the same
pass over the whole table and handed to the checks as the `population` artifact. For a table
checked in memory the artifact is None: the Dataset is its own population.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RepeatedKeys:
    """Groups of records sharing one key (the whole record, or the identifier), whole-table positions.

    `groups` are the first groups by first position (each sorted ascending) and `rows` the first
    repeated positions, both capped; `n_groups` and `n_rows` count all of them.
    """

    n_groups: int = 0
    n_rows: int = 0  # records in a group of two or more
    pairs: int = 0  # identical pairs: the sum of C(size, 2) over the groups
    groups: tuple[tuple[int, ...], ...] = ()
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    @property
    def extra(self) -> int:
        """Records beyond the first of each group: the copies."""
        return self.n_rows - self.n_groups


@dataclass(frozen=True)
class Population:
    """The table the sample was drawn from.

    `positions[i]` is the whole-table position of the Dataset's row i. `duplicate_records` ignores
    the id column; `repeated_ids` and `missing_ids` exist when an id role was set.
    """

    rows: int
    positions: np.ndarray
    duplicate_records: RepeatedKeys
    repeated_ids: RepeatedKeys | None = None
    missing_ids: RepeatedKeys | None = None  # n_rows and rows only

    @property
    def sampled_rows(self) -> int:
        return len(self.positions)
