"""Read any supported file, or a dataframe object, into a LoadedTable with exact row order."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import polars as pl

from datacert.io._csv import read_delimited, read_stream
from datacert.io._errors import InputError
from datacert.io._limits import ReadLimits, current_limits
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


def read_table(path: str | Path, limits: ReadLimits | None = None) -> LoadedTable:
    """Read a data file; raise InputError with one clear sentence when it cannot be read.

    The file is opened once: a named pipe or a device is read into memory as it streams, a
    regular file is parsed in place. `limits` defaults to those of the running command.
    """
    path = Path(path)
    limits = limits or current_limits()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be opened: {(exc.strerror or str(exc)).lower()}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder, not a data file.")
    streamed = not stat.S_ISREG(st.st_mode)
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
            if not head:
                raise InputError(f"{path.name} is empty: there is no header and no record to check.")
            fmt = detect_format(path, head)
            if fmt in ("csv", "tsv"):
                if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                    raise InputError(f"{path.name} looks like a binary file, not delimited text.")
                raw = read_stream(handle, path.name, head, limits)
                return read_delimited(path, raw, fmt, limits)
            source: Path | io.BytesIO = path
            if streamed:
                source = io.BytesIO(head + handle.read())
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {(exc.strerror or str(exc)).lower()}.") from None
    reader = {
        "parquet": _read_parquet,
        "xlsx": _read_excel,
        "xpt": _read_sas,
        "sas7bdat": _read_sas,
        "jsonl": _read_jsonl,
    }[fmt]
    try:
        frame, facts = reader(source, fmt, limits)
    except InputError:
        raise
    except BaseException as exc:  # every library has its own exceptions; the user needs one sentence
        # a Rust panic inside a reader (a corrupt Parquet page) surfaces as pyo3's PanicException,
        # which derives from BaseException; interrupts and exits are not ours to catch
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        if type(exc).__name__ == "PanicException":  # the library's internals mean nothing to the user
            raise InputError(
                f"{path.name} could not be read as {fmt}: its content is damaged "
                "(the reader stopped on an internal consistency check)."
            ) from None
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"{path.name} could not be read as {fmt}: {first[:200]}") from None
    if frame.width == 0:
        raise InputError(f"{path.name} has no columns.")
    if frame.height == 0:
        raise InputError(f"{path.name} has no data record to check.")
    limits.check_columns(path.name, frame.width)
    limits.check_rows(path.name, frame.height)
    return LoadedTable(frame=frame, format=fmt, path=str(path), facts=facts)


def _name(source: Path | io.BytesIO) -> str:
    return source.name if isinstance(source, Path) else "the input"


def _read_parquet(
    source: Path | io.BytesIO, fmt: str, limits: ReadLimits
) -> tuple[pl.DataFrame, dict[str, Any]]:
    # the footer, read by polars itself: sizes are known before any column is read, and pyarrow
    # (52 MB resident once imported) is not loaded for it
    width = len(pl.read_parquet_schema(source))
    limits.check_columns(_name(source), width)
    if isinstance(source, io.BytesIO):
        source.seek(0)
    limits.check_rows(_name(source), pl.scan_parquet(source).select(pl.len()).collect().item())
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return pl.read_parquet(source), {}


_HEADER_SCAN_ROWS = 10


def _read_excel(
    source: Path | io.BytesIO, fmt: str, limits: ReadLimits
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The first worksheet that holds data, with its header row found and said.

    Empty worksheets (a blank second sheet, a cover page without cells) are skipped, not refused.
    A merged group-header row ("Biology" over three columns) leaves most of its cells empty, so
    the header is the first of the top rows that fills the most cells with text; rows above it
    are skipped and the certificate's `dataset.source.notes` says so.
    """
    import fastexcel

    from datacert.io._csv import type_text_columns

    data = source if isinstance(source, Path) else source.getvalue()
    reader = fastexcel.read_excel(data)
    names = reader.sheet_names
    if not names:
        raise InputError(f"{_name(source)} has no worksheet.")
    notes = []
    for index, sheet in enumerate(names):
        top = reader.load_sheet(
            index, header_row=None, n_rows=_HEADER_SCAN_ROWS, dtypes="string", skip_rows=0
        ).to_polars()
        filled = [sum(v is not None and str(v).strip() != "" for v in row) for row in top.iter_rows()]
        if not any(filled):
            notes.append(f"worksheet {sheet!r} is empty and was skipped.")
            continue
        header = _header_row(top, filled)
        limits.check_columns(_name(source), filled[header])
        frame = pl.read_excel(
            data,
            sheet_id=index + 1,
            engine="calamine",
            read_options={"header_row": header},
            infer_schema_length=None,
        )
        if header > 0:
            skipped = [i + 1 for i in range(header) if filled[i]]
            what = (
                f"row{'s' if len(skipped) > 1 else ''} {', '.join(map(str, skipped))} above it "
                f"(a merged or partial group header) {'were' if len(skipped) > 1 else 'was'} skipped"
                if skipped
                else "the blank rows above it were skipped"
            )
            notes.append(f"worksheet {sheet!r}: row {header + 1} was taken as the header; {what}.")
        frame, _ = type_text_columns(frame)
        return frame, {"sheet": sheet, "sheets": len(names), "header_row": header + 1, "notes": notes}
    raise InputError(f"{_name(source)} has no worksheet with data: every sheet is empty.")


def _header_row(top: pl.DataFrame, filled: list[int]) -> int:
    """Index of the header among the top rows: the first that fills the most cells, all with text."""
    most = max(filled)
    for i, row in enumerate(top.iter_rows()):
        if filled[i] < most:
            continue
        values = [str(v).strip() for v in row if v is not None and str(v).strip() != ""]
        if all(not _looks_numeric(v) for v in values):
            return i
        return next(j for j, f in enumerate(filled) if f)  # a data row first: keep the sheet's layout
    return 0


def _looks_numeric(value: str) -> bool:
    try:
        float(value.replace(",", "."))
    except ValueError:
        return False
    return True


def _read_sas(source: Path | io.BytesIO, fmt: str, limits: ReadLimits) -> tuple[pl.DataFrame, dict[str, Any]]:
    import pyreadstat

    if isinstance(source, io.BytesIO):  # pyreadstat reads only named files
        raise InputError(f"a SAS {fmt} file must be a regular file, not a pipe or a device.")
    if fmt == "xpt":
        data, meta = pyreadstat.read_xport(str(source), row_limit=limits.max_rows + 1)
    else:
        data, meta = pyreadstat.read_sas7bdat(str(source), row_limit=limits.max_rows + 1)
    frame = pl.from_pandas(data)
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    return frame, {"column_labels": labels, "encoding": getattr(meta, "file_encoding", None)}


def _read_jsonl(
    source: Path | io.BytesIO, fmt: str, limits: ReadLimits
) -> tuple[pl.DataFrame, dict[str, Any]]:
    return pl.read_ndjson(source, infer_schema_length=None, n_rows=limits.max_rows + 1), {}


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
            converted = pl.from_pandas(data.reset_index(drop=True))
        elif module == "pyarrow":
            converted = pl.from_arrow(data)
        else:
            raise InputError(
                f"Cannot check an object of type {type(data).__name__}: pass a file path, "
                "a polars, pandas or Arrow table."
            )
        if not isinstance(converted, pl.DataFrame):
            raise InputError(
                f"Cannot check a single column ({type(data).__name__}): pass a pandas or Arrow table."
            )
        frame = converted
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
