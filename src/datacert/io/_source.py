"""What a reader returns: the table plus the facts about where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class LoadedTable:
    """A table as read, rows in file order (row 0 = first data record), with source facts."""

    frame: pl.DataFrame
    format: str
    path: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
