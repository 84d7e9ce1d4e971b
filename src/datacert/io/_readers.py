"""Read any supported file, or a dataframe object, into a LoadedTable with exact row order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from datacert.io._csv import read_delimited
from datacert.io._errors import InputError
from datacert.io._source import LoadedTable

SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xpt": "xpt",
    ".sas7bdat": "sas7bdat",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_MAGIC = {b"PAR1": "parquet", b"PK\x03\x04": "xlsx"}


def detect_format(path: Path, head: bytes) -> str:
    suffix = "".join(path.suffixes[-1:]).lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    for magic, fmt in _MAGIC.items():
        if head.startswith(magic):
            return fmt
    if head.startswith(b"HEADER RECORD*******LIBRARY"):
        return "xpt"
    return "csv"


def read_table(path: str | Path) -> LoadedTable:
    """Read a data file; raise InputError with one clear sentence when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a data file.")
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise InputError(f"{path} cannot be opened: {exc.strerror or exc}.") from exc
    if not head:
        raise InputError(f"{path.name} is empty: there is no header and no record to check.")
    fmt = detect_format(path, head)
    if fmt in ("csv", "tsv"):
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(f"{path.name} looks like a binary file, not delimited text.")
        return read_delimited(path, path.read_bytes(), fmt)
    reader = {
        "parquet": _read_parquet,
        "xlsx": _read_excel,
        "xpt": _read_sas,
        "sas7bdat": _read_sas,
        "jsonl": _read_jsonl,
    }[fmt]
    try:
        frame, facts = reader(path, fmt)
    except InputError:
        raise
    except Exception as exc:  # every library has its own exceptions; the user needs one sentence
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"{path.name} could not be read as {fmt}: {first}") from exc
    if frame.width == 0:
        raise InputError(f"{path.name} has no columns.")
    if frame.height == 0:
        raise InputError(f"{path.name} has no data record to check.")
    return LoadedTable(frame=frame, format=fmt, path=str(path), facts=facts)


def _read_parquet(path: Path, fmt: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    return pl.read_parquet(path), {}


def _read_excel(path: Path, fmt: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    from datacert.io._csv import type_text_columns

    sheets = pl.read_excel(path, sheet_id=0, engine="calamine", infer_schema_length=None)
    if not sheets:
        raise InputError(f"{path.name} has no worksheet.")
    name = next(iter(sheets))
    frame = sheets[name]
    frame, _ = type_text_columns(frame)
    return frame, {"sheet": name, "sheets": len(sheets)}


def _read_sas(path: Path, fmt: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    import pyreadstat

    if fmt == "xpt":
        data, meta = pyreadstat.read_xport(str(path))
    else:
        data, meta = pyreadstat.read_sas7bdat(str(path))
    frame = pl.from_pandas(data)
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    return frame, {"column_labels": labels, "encoding": getattr(meta, "file_encoding", None)}


def _read_jsonl(path: Path, fmt: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    return pl.read_ndjson(path, infer_schema_length=None), {}


def from_object(data: Any) -> LoadedTable:
    """Accept a polars, pandas or Arrow table from the Python API (never modified)."""
    if isinstance(data, LoadedTable):
        return data
    if isinstance(data, pl.LazyFrame):
        frame = data.collect()
    elif isinstance(data, pl.DataFrame):
        frame = data
    else:
        module = type(data).__module__.split(".")[0]
        if module == "pandas":
            frame = pl.from_pandas(data.reset_index(drop=True))
        elif module == "pyarrow":
            frame = pl.from_arrow(data)
        else:
            raise InputError(
                f"Cannot check an object of type {type(data).__name__}: pass a file path, "
                "a polars, pandas or Arrow table."
            )
    if frame.width == 0 or frame.height == 0:
        raise InputError("The table has no columns or no data record to check.")
    frame = _objects_to_text(frame)
    return LoadedTable(frame=frame, format=module_name(data), path=None, facts={})


def module_name(data: Any) -> str:
    return {"polars": "polars", "pandas": "pandas", "pyarrow": "arrow"}.get(
        type(data).__module__.split(".")[0], "object"
    )


def _objects_to_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Python-object columns (from numpy object arrays) become text; polars cannot compute on them."""
    objects = [c for c, d in frame.schema.items() if d == pl.Object]
    if not objects:
        return frame
    converted = []
    for c in objects:
        values = frame.get_column(c).to_list()
        converted.append(pl.Series(c, [None if v is None else str(v) for v in values], dtype=pl.String))
    return frame.with_columns(converted)
