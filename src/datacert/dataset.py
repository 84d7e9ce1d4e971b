"""Dataset: the table, the roles of its columns and their semantic types, frozen together.

Everything downstream (profile, checks, scores) receives a Dataset and never the raw file.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from datacert.fingerprint import fingerprint_frame
from datacert.io import InputError, LoadedTable
from datacert.roles import MULTI_ROLES, SINGLE_ROLES, Roles
from datacert.semantics import SemanticType, infer_semantic_types

_ID_NAME = re.compile(
    r"^(id|ipp|nda|nip|record_?id|row_?id|subject_?id|sample_?id|patient_?id|participant_?id|"
    r"sujet_?id|num_?patient|n_?patient|.*_id|id_.*)$",
    re.IGNORECASE,
)
_BIRTH_NAME = re.compile(r"naiss|birth|dob|ddn", re.IGNORECASE)
NUMERIC_KINDS = {
    SemanticType.CONTINUOUS,
    SemanticType.COUNT,
    SemanticType.INTEGER_CATEGORY,
    SemanticType.BOOLEAN,
}


class RoleError(InputError):
    """A role names a column that is not in the table."""


MATRIX_CACHE_ENTRIES = 8
MATRIX_CACHE_BYTES = 512 * 2**20
# matrices above this size are kept only for the check that built them (`release_matrices`):
# a wide block (300 x 20,000 is 48 MB) stays shared by every check, a tall one (1,000,000 x 40
# is 320 MB, rebuilt in 0.2 s) does not raise the peak of every check that runs after it
MATRIX_KEEP_BYTES = 64 * 2**20
COLUMNWISE_ROWS = 100_000  # from this many records numeric matrices are filled block by block
MATRIX_BLOCK_ROWS = 16_384  # records per block (a few MB of transient copy)
_MISSING = object()  # a cached entry not computed yet (None is a valid entry)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A table ready to be checked. Immutable: checks may read it, never change it."""

    frame: pl.DataFrame
    roles: Roles
    semantic_types: Mapping[str, SemanticType]
    inferred: Mapping[str, Any] = field(default_factory=dict)
    format: str = "polars"
    path: str | None = None
    source_facts: Mapping[str, Any] = field(default_factory=dict)
    reference: Any = None
    declared_schema: Any = None  # a datacert.declared_schema.DeclaredSchema given with --schema
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # one lock per cached entry: checks that run side by side compute a shared entry once, and a
    # check waiting for one entry never holds up the computation of another
    _locks: dict[str, threading.RLock] = field(default_factory=dict, repr=False, compare=False)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its locks (a Dataset travels between Dask workers); new ones on arrival."""
        state = dict(self.__dict__)
        state.pop("_locks", None)
        state.pop("_locks_guard", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_locks", {})
        object.__setattr__(self, "_locks_guard", threading.Lock())

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """The cached entry `key`, computed by `compute()` on first request (once, also when checks
        running side by side ask for it at the same time)."""
        value = self._cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.RLock())
        with lock:
            value = self._cache.get(key, _MISSING)
            if value is _MISSING:
                value = self._cache[key] = compute()
            return value

    @property
    def n_rows(self) -> int:
        return self.frame.height

    @property
    def n_columns(self) -> int:
        return self.frame.width

    @property
    def columns(self) -> list[str]:
        if "columns" not in self._cache:
            self._cache["columns"] = self.frame.columns
        return list(self._cache["columns"])

    @property
    def schema(self) -> pl.Schema:
        """The table's schema, cached: polars rebuilds it on every access (costly at p = 20,000)."""
        if "schema" not in self._cache:
            self._cache["schema"] = self.frame.schema
        return self._cache["schema"]

    @property
    def fingerprint(self) -> str:
        fingerprint: str = self.memo("fingerprint", lambda: fingerprint_frame(self.frame))
        return fingerprint

    def feature_columns(self) -> list[str]:
        """Columns a model would learn from: everything but target, ids, group, time, split, text."""
        excluded = self.roles.non_feature_columns()
        return [c for c in self.columns if c not in excluded]

    def numeric_feature_columns(self) -> list[str]:
        """Feature columns stored as numbers (booleans included); cached, many checks ask."""
        if "numeric_features" not in self._cache:
            schema = self.schema
            self._cache["numeric_features"] = [
                c for c in self.feature_columns() if schema[c].is_numeric() or schema[c] == pl.Boolean
            ]
        return list(self._cache["numeric_features"])

    def columns_of_type(self, *kinds: SemanticType) -> list[str]:
        return [c for c in self.columns if self.semantic_types.get(c) in kinds]

    def numeric_matrix(self, columns: list[str] | None = None) -> np.ndarray:
        """The numeric feature block as one read-only float64 matrix (NaN = missing), cached.

        Wide data (p = 20,000) is handled as one matrix: column statistics become a few
        vectorised reductions instead of one engine expression per column.
        """
        columns = self.numeric_feature_columns() if columns is None else columns
        key = "matrix:" + "\x1f".join(columns)
        cached = self._cache.get(key)
        if cached is None:
            cached = self.memo(key, lambda: self._build_matrix(columns))
            self._trim_matrices()
        matrix: np.ndarray = cached
        return matrix

    def _build_matrix(self, columns: list[str]) -> np.ndarray:
        if not columns:
            matrix = np.empty((self.n_rows, 0))
        elif self.n_rows >= COLUMNWISE_ROWS:
            # tall: filled a block of records at a time, so the only copy is the matrix itself
            # (the frame route held a cast frame, a Fortran-order and a C-order copy at once:
            # +1 GB at 1,000,000 x 40); blocks of rows, not single columns, because writing one
            # column of a C-order matrix strides across all of it (4x the CPU time). Each block
            # is gathered column by column into a small column-major buffer and transposed into
            # place: a few MB of transient copy, and 2-4x less CPU than a polars select per block
            matrix = self.numeric_block(columns, 0, self.n_rows)
        else:
            selected = self.frame.select(pl.col(columns).cast(pl.Float64))  # one expression, any width
            # row-major straight from polars: its default column-major result and the C-order
            # copy made from it cost 4x more at 300 x 20,000
            matrix = selected.to_numpy(order="c").astype(np.float64, copy=False)
            matrix = np.ascontiguousarray(matrix)
        matrix.setflags(write=False)
        return matrix

    def numeric_block(self, columns: list[str], start: int, stop: int) -> np.ndarray:
        """Records start..stop of `columns` as a new C-order float64 matrix (NaN = missing), not cached.

        The same bits as `numeric_matrix(columns)[start:stop]`, without a float copy of the whole
        table: a check that scores every record of a tall table can read it in chunks (25,000 x 40
        is 8 MB where the whole block is 320 MB).
        """
        stop = max(start, min(stop, self.n_rows))
        block = np.empty((stop - start, len(columns)))
        series = [self.frame.get_column(c) for c in columns]
        buffer = np.empty((len(columns), min(MATRIX_BLOCK_ROWS, stop - start)))
        for first in range(start, stop, MATRIX_BLOCK_ROWS):
            size = min(MATRIX_BLOCK_ROWS, stop - first)
            for j, s in enumerate(series):
                buffer[j, :size] = s.slice(first, size).cast(pl.Float64).to_numpy()
            block[first - start : first - start + size] = buffer[:, :size].T
        return block

    def release_matrices(self, keep_bytes: int = MATRIX_KEEP_BYTES) -> None:
        """Forget cached matrices larger than `keep_bytes` (the check runner calls this between
        checks): a full float copy of a tall table is cheaper to rebuild than to hold all run long."""
        for key in [k for k in list(self._cache) if k.startswith("matrix:")]:
            if getattr(self._cache.get(key), "nbytes", 0) > keep_bytes:
                self._cache.pop(key, None)

    def _trim_matrices(self) -> None:
        """Drop the oldest cached matrices beyond MATRIX_CACHE_ENTRIES or MATRIX_CACHE_BYTES (the
        newest is always kept): on a tall table each column set is hundreds of MB."""
        keys = [k for k in list(self._cache) if k.startswith("matrix:")]
        sizes = {k: getattr(self._cache.get(k), "nbytes", 0) for k in keys}
        while len(keys) > 1 and (
            len(keys) > MATRIX_CACHE_ENTRIES or sum(sizes[k] for k in keys) > MATRIX_CACHE_BYTES
        ):
            self._cache.pop(keys.pop(0), None)

    def target(self) -> pl.Series | None:
        return self.frame.get_column(self.roles.target) if self.roles.target else None


def build_dataset(
    table: LoadedTable,
    roles: Roles | None = None,
    infer_roles: bool = True,
    reference: Any = None,
    declared_schema: Any = None,
) -> Dataset:
    """Attach roles (given and safely inferred) and semantic types to a table."""
    roles = roles or Roles()
    validate_roles(table.frame, roles)
    types = infer_semantic_types(table.frame)
    if declared_schema is not None:
        types = declared_schema.override_types(types)
    inferred: dict[str, Any] = {}
    if infer_roles:
        inferred = infer_roles_from(table.frame, roles, types)
        roles = roles.merged_with(
            {
                k: v["column"] if k not in MULTI_ROLES else tuple(v["columns"])
                for k, v in inferred.items()
                if k != "site"  # a fact about columns for the batch checks, not a role
            }
        )
    return Dataset(
        frame=table.frame,
        roles=roles,
        semantic_types=types,
        inferred=inferred,
        format=table.format,
        path=table.path,
        source_facts=dict(table.facts),
        reference=reference,
        declared_schema=declared_schema,
    )


def validate_roles(frame: pl.DataFrame, roles: Roles) -> None:
    """Every role must name a column of the table; say which names are close when it does not."""
    wanted: list[tuple[str, str]] = [(r, getattr(roles, r)) for r in SINGLE_ROLES if getattr(roles, r)]
    wanted += [(r, c) for r in MULTI_ROLES for c in getattr(roles, r)]
    for role, column in wanted:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, frame.columns, n=3)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise RoleError(f"--{role} names column {column!r}, which is not in the table.{hint}")


def infer_id(frame: pl.DataFrame, roles: Roles) -> dict[str, Any] | None:
    """The id column when none is given: the first whose name reads as an identifier and whose
    values are all present and unique. Apart from the other roles because it needs no semantic
    type: a partitioned pass must know it before the head's types are inferred."""
    if roles.id:
        return None
    taken = roles.columns()
    schema = frame.schema
    candidates = [
        c for c in frame.columns if c not in taken and _ID_NAME.match(c) and not schema[c].is_float()
    ]
    if not candidates:
        return None
    uniques = frame.select(
        [pl.col(c).n_unique().alias(c) for c in candidates]
        + [pl.col(c).null_count().alias(c + "\x00n") for c in candidates]
    ).row(0, named=True)
    unique_ids = [c for c in candidates if uniques[c] == frame.height and uniques[c + "\x00n"] == 0]
    if not unique_ids:
        return None
    return {"column": unique_ids[0], "reason": "its name reads as an identifier and every value is unique"}


def infer_roles_from(frame: pl.DataFrame, roles: Roles, types: Mapping[str, SemanticType]) -> dict[str, Any]:
    """Infer only the obvious roles: a unique id column by name, the one date column, free text,
    a follow-up time paired with an event indicator (datacert.survival); and record site-like
    columns (site, centre, inst, batch...) for the batch checks."""
    taken = roles.columns()
    schema = frame.schema
    inferred: dict[str, Any] = {}
    identifier = infer_id(frame, roles)
    if identifier is not None:
        inferred["id"] = identifier
    if not roles.time:
        dates = [
            c
            for c in frame.columns
            if c not in taken and (schema[c] == pl.Date or isinstance(schema[c], pl.Datetime))
        ]
        dates = [c for c in dates if not _BIRTH_NAME.search(c)]
        if len(dates) == 1:
            inferred["time"] = {
                "column": dates[0],
                "reason": "it is the only date column besides birth dates",
            }
    if not roles.text:
        texts = [c for c in frame.columns if c not in taken and types.get(c) == SemanticType.TEXT]
        if texts:
            inferred["text"] = {"columns": texts, "reason": "long free-text values with many words"}
    if not roles.duration:
        from datacert.survival import infer_survival_roles

        used = taken | {v["column"] for v in inferred.values() if "column" in v}
        used |= {c for v in inferred.values() for c in v.get("columns", ())}
        inferred.update(infer_survival_roles(frame, used - {roles.target}, roles.target, types))
    from datacert.sites import site_like_columns  # imported here: sites reads the knowledge base

    sites = site_like_columns(frame, types, taken | {v.get("column") for v in inferred.values()})
    if sites:
        inferred["site"] = {
            "columns": list(sites),
            "reason": "; ".join(f"{c}: {r}" for c, r in sites.items()),
        }
    return inferred
