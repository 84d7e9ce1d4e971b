"""Reading limits: how big a field, a line, a table may be before the reader refuses it.

The limits are checked before a table is parsed where the format allows it (a CSV header and its
lines as they stream in, Parquet metadata), so an oversized file is refused in seconds and in a
few megabytes of memory, with one sentence naming the option that raises the limit.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from datacert.io._errors import InputError

MIB = 1024 * 1024


class LimitError(InputError):
    """The input is larger than a reading limit (exit code 2, like any unreadable input)."""


@dataclass(frozen=True)
class ReadLimits:
    """Limits a reader enforces; the defaults fit the largest clinical and omics tables we expect."""

    max_field_bytes: int = 16 * MIB  # also the longest physical line of a delimited file
    max_columns: int = 100_000
    max_rows: int = 50_000_000

    def check_columns(self, name: str, columns: int) -> None:
        if columns > self.max_columns:
            raise LimitError(
                f"{name} has {columns:,} columns, more than the limit of {self.max_columns:,} "
                "(raise it with --max-columns)."
            )

    def check_rows(self, name: str, rows: int) -> None:
        if rows > self.max_rows:
            raise LimitError(
                f"{name} has more than {self.max_rows:,} records, the limit (raise it with --max-rows)."
            )


_CURRENT: contextvars.ContextVar[ReadLimits | None] = contextvars.ContextVar(
    "datacert_read_limits", default=None
)


def current_limits() -> ReadLimits:
    """The limits of the running command (the defaults outside one)."""
    return _CURRENT.get() or ReadLimits()


@contextmanager
def read_limits(limits: ReadLimits) -> Iterator[None]:
    """Apply `limits` to every read inside the block."""
    token = _CURRENT.set(limits)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def human_bytes(n: int) -> str:
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n:,} bytes"
