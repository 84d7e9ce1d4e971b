"""The source of partitions: a big Parquet file, a folder or a glob of them, cut into row partitions.

The plan is read from the Parquet footers alone (no data page is decoded): files in sorted order,
each cut at row-group boundaries into partitions of about `PARTITION_ROWS` rows, each with the
whole-table position of its first row. Every engine works on the same plan, which is what makes a
distributed certificate equal to a single-machine one: the same partitions, merged in the same
order.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from datacert.io import InputError

PARTITION_ROWS = 1_000_000  # rows per partition: a task's worth of work, a few tens of MB decoded
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_GLOB = re.compile(r"[*?\[]")


class ScaleInputError(InputError):
    """The partitioned source cannot be checked (no file, mixed schemas, engine missing or away)."""


@dataclass(frozen=True)
class Partition:
    """Consecutive row groups of one file; `offset` is the whole-table position of its first row,
    `file_offset` its position in its file."""

    index: int
    path: str
    row_groups: tuple[int, ...]
    offset: int
    rows: int
    file_offset: int = 0


@dataclass(frozen=True)
class SourcePlan:
    """The files of a partitioned table, their common schema and the partitions to scan."""

    spec: str
    files: tuple[str, ...]
    schema: pa.Schema
    partitions: tuple[Partition, ...]
    decoded_bytes: int  # uncompressed size of the column chunks, from the footers

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    @property
    def bytes_per_row(self) -> float:
        return self.decoded_bytes / max(1, self.rows)


def is_partitioned_source(spec: str | Path) -> bool:
    """Whether a path names a folder or a glob pattern, which only the partitioned engines read."""
    text = str(spec)
    return bool(_GLOB.search(text)) or Path(text).is_dir()


def resolve_files(spec: str | Path) -> list[str]:
    """The Parquet files a path, folder or glob pattern names, sorted; a clear error when none."""
    text = str(spec)
    if _GLOB.search(text):
        found = sorted(p for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not found:
            raise ScaleInputError(f"no file matches the pattern {text!r}.")
        others = [p for p in found if not p.lower().endswith(PARQUET_SUFFIXES)]
        if others:
            raise ScaleInputError(
                f"the pattern {text!r} also matches {Path(others[0]).name!r}, which is not a Parquet "
                "file; narrow it to the Parquet files (e.g. '*.parquet')."
            )
        return found
    path = Path(text)
    if path.is_dir():
        found = sorted(
            str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
        )
        if not found:
            raise ScaleInputError(f"the folder {text!r} holds no Parquet file (*.parquet).")
        return found
    if not path.is_file():
        raise ScaleInputError(f"{text!r} does not exist.")
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        raise ScaleInputError(
            f"{path.name!r} is not a Parquet file: out-of-core and distributed runs read Parquet only."
        )
    return [str(path)]


def plan_source(spec: str | Path, partition_rows: int = PARTITION_ROWS) -> SourcePlan:
    """Read the footers of every file, check they share one schema, and cut the table into partitions."""
    files = resolve_files(spec)
    partitions: list[Partition] = []
    schema: pa.Schema | None = None
    offset = 0
    decoded = 0
    for path in files:
        try:
            meta = pq.read_metadata(path)
            file_schema = meta.schema.to_arrow_schema()
        except (OSError, pa.ArrowException) as exc:
            raise ScaleInputError(f"{Path(path).name!r} cannot be read as Parquet ({exc}).") from None
        file_schema = _without_metadata(file_schema)
        if schema is None:
            schema, first = file_schema, path
        elif not file_schema.equals(schema):
            raise ScaleInputError(_schema_difference(Path(first).name, schema, Path(path).name, file_schema))
        group: list[int] = []
        rows = in_file = 0
        for i in range(meta.num_row_groups):
            row_group = meta.row_group(i)
            decoded += row_group.total_byte_size
            if row_group.num_rows == 0:
                continue
            group.append(i)
            rows += row_group.num_rows
            if rows >= partition_rows:
                partitions.append(Partition(len(partitions), path, tuple(group), offset, rows, in_file))
                offset, in_file, group, rows = offset + rows, in_file + rows, [], 0
        if group:
            partitions.append(Partition(len(partitions), path, tuple(group), offset, rows, in_file))
            offset += rows
    assert schema is not None
    if not partitions:
        raise ScaleInputError(f"{str(spec)!r} holds no record.")
    return SourcePlan(str(spec), tuple(files), schema, tuple(partitions), decoded)


def _without_metadata(schema: pa.Schema) -> pa.Schema:
    return schema.remove_metadata()


def _schema_difference(name_a: str, a: pa.Schema, name_b: str, b: pa.Schema) -> str:
    """One sentence naming the first column that differs between two files."""
    if a.names != b.names:
        only_a = [n for n in a.names if n not in b.names]
        only_b = [n for n in b.names if n not in a.names]
        if only_a or only_b:
            what = f"column {only_a[0]!r} is missing" if only_a else f"column {only_b[0]!r} is extra"
            return f"the files have different columns: in {name_b!r} {what} (compared with {name_a!r})."
        return f"the files have their columns in different orders ({name_a!r} and {name_b!r})."
    for field_a, field_b in zip(a, b, strict=True):
        if not field_a.equals(field_b):
            return (
                f"the files have different schemas: column {field_a.name!r} is {field_a.type} in "
                f"{name_a!r} and {field_b.type} in {name_b!r}."
            )
    return f"the files {name_a!r} and {name_b!r} have different schemas."
