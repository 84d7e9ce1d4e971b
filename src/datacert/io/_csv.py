"""Delimited text: delimiter, encoding and decimal-comma detection, lossless typing.

Every cell is first read as text, so nothing is guessed away at parse time: a column becomes
numeric or a date only when every non-empty value reads as one. Columns that are mostly numeric
but hold a few odd strings stay text, and the `type_mismatch` check reports them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import charset_normalizer
import polars as pl

from datacert.io._errors import InputError
from datacert.io._source import LoadedTable
from datacert.semantics import parse_number_expr

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 256 * 1024


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode text, detecting UTF-8 (with or without BOM) and CP-1252/Latin-1; never mangle accents."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(
        raw[:_SNIFF_BYTES], cp_isolation=["cp1252", "latin_1", "iso8859_15"]
    ).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:
        # cp1252 leaves 5 bytes undefined; Latin-1 maps every byte, so the text is never lost.
        return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of fields."""
    head = text[:_SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    lines = [ln for ln in head.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) / len(counts) * mode
        if score > best_score:
            best, best_score = d, score
    return best


def read_delimited(path: Path, raw: bytes, fmt: str) -> LoadedTable:
    text, encoding = decode_bytes(raw)
    if not text.strip():
        raise InputError(f"{path.name} is empty: there is no header and no record to check.")
    delimiter = "\t" if fmt == "tsv" else sniff_delimiter(text)
    if text.count('"') % 2 == 1:
        raise InputError(f"{path.name} looks truncated or malformed: a quoted field is never closed.")
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.NoDataError as exc:
        raise InputError(f"{path.name} is empty: there is no header and no record to check.") from exc
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path.name} could not be read as a delimited table: {first}") from exc
    if frame.height == 0:
        raise InputError(f"{path.name} has a header but no data record to check.")
    frame, decimal_comma = type_text_columns(frame)
    return LoadedTable(
        frame=frame,
        format=fmt,
        path=str(path),
        facts={"encoding": encoding, "delimiter": delimiter, "decimal_comma": decimal_comma},
    )


def type_text_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """Turn all-text columns into numbers or dates only where every non-empty value reads so."""
    strings = [c for c, d in frame.schema.items() if d == pl.String]
    if not strings:
        return frame, False
    blank_to_null = [
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c) for c in strings
    ]
    frame = frame.with_columns(blank_to_null)
    stats = frame.select(
        [pl.col(c).null_count().alias(f"{c}\x00null") for c in strings]
        + [parse_number_expr(pl.col(c)).null_count().alias(f"{c}\x00num") for c in strings]
        + [pl.col(c).str.contains(r"^\s*[-+]?\d+,\d+\s*$").any().alias(f"{c}\x00comma") for c in strings]
        + [pl.col(c).str.contains(r"[.,eE]").any().alias(f"{c}\x00fraction") for c in strings]
        + [
            pl.col(c).str.strptime(pl.Date, "%Y-%m-%d", strict=False).null_count().alias(f"{c}\x00iso")
            for c in strings
        ]
    ).row(0, named=True)
    casts = []
    decimal_comma = False
    for c in strings:
        nulls = stats[f"{c}\x00null"]
        if nulls == frame.height:
            continue
        if stats[f"{c}\x00num"] == nulls:
            decimal_comma |= bool(stats[f"{c}\x00comma"])
            # integers written without a decimal mark stay integers, as a typed format stores them
            dtype = pl.Float64 if stats[f"{c}\x00fraction"] else pl.Int64
            casts.append(parse_number_expr(pl.col(c)).cast(dtype).alias(c))
        elif stats[f"{c}\x00iso"] == nulls:
            casts.append(pl.col(c).str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias(c))
    if casts:
        frame = frame.with_columns(casts)
    return frame, decimal_comma
