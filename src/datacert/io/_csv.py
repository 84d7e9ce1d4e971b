"""Delimited text: delimiter, encoding and decimal-comma detection, lossless typing.

Every cell is first read as text, so nothing is guessed away at parse time: a column becomes
numeric or a date only when every non-empty value reads as one. Columns that are mostly numeric
but hold a few odd strings stay text, and the `type_mismatch` check reports them.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import BinaryIO

import charset_normalizer
import numpy as np
import polars as pl

from datacert.io._errors import InputError
from datacert.io._limits import LimitError, ReadLimits, human_bytes
from datacert.io._source import LoadedTable
from datacert.semantics import parse_number_expr

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 256 * 1024
_CHUNK = 8 * 1024 * 1024


def read_stream(handle: BinaryIO, name: str, head: bytes, limits: ReadLimits) -> bytes:
    """Read the rest of an open file in chunks, refusing a line longer than the field limit early.

    The file is opened once (a FIFO can be read only once) and a huge line is refused after at
    most `max_field_bytes` of it, not after the whole line has been parsed.
    """
    chunks = [head]
    line_no = 1  # 1-based number of the line being measured
    run = 0  # bytes of that line seen so far
    limit = limits.max_field_bytes
    chunk = head
    while chunk:
        view = np.frombuffer(chunk, dtype=np.uint8)
        breaks = np.flatnonzero(view == 10)
        if breaks.size == 0:
            run += len(chunk)
            if run > limit:
                _too_long(name, line_no, limit)
        else:
            if run + int(breaks[0]) > limit:
                _too_long(name, line_no, limit)
            if breaks.size > 1:
                gaps = np.diff(breaks) - 1
                worst = int(np.argmax(gaps))
                if int(gaps[worst]) > limit:
                    _too_long(name, line_no + worst + 1, limit)
            line_no += int(breaks.size)
            run = len(chunk) - int(breaks[-1]) - 1
            if run > limit:
                _too_long(name, line_no, limit)
        chunk = handle.read(_CHUNK)
        if chunk:
            chunks.append(chunk)
    return b"".join(chunks)


def _too_long(name: str, line_no: int, limit: int) -> None:
    raise LimitError(
        f"{name}: line {line_no:,} is longer than {human_bytes(limit)}, the longest field or line "
        "allowed (raise it with --max-field-bytes)."
    )


def decode_bytes(raw: bytes) -> tuple[str, str, list[int]]:
    """Decode text: UTF-8 (with or without BOM), UTF-16, or CP-1252/Latin-1, never mangling accents.

    A file whose lines mix UTF-8 and a single-byte encoding (two exports pasted together) is
    decoded line by line, and the 1-based numbers of the lines that were not UTF-8 are returned,
    so the good lines are never garbled by decoding the whole file as CP-1252.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        try:
            return raw.decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            return _decode_mixed(raw, "utf-8-sig")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as exc:
            raise InputError(f"the file starts as UTF-16 but is not valid UTF-16: {exc.reason}.") from None
    try:
        return raw.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    if _has_utf8_multibyte(raw):
        return _decode_mixed(raw, "utf-8")
    encoding = _single_byte_encoding(raw)
    try:
        return raw.decode(encoding), encoding, []
    except UnicodeDecodeError:
        # cp1252 leaves 5 bytes undefined; Latin-1 maps every byte, so the text is never lost.
        return raw.decode("latin-1"), "latin-1", []


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _has_utf8_multibyte(raw: bytes) -> bool:
    """True when some line is valid UTF-8 with accented characters (so the file is not all CP-1252)."""
    for line in raw.splitlines():
        if _UTF8_MULTIBYTE.search(line):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return True
    return False


def _single_byte_encoding(raw: bytes) -> str:
    best = charset_normalizer.from_bytes(
        raw[:_SNIFF_BYTES], cp_isolation=["cp1252", "latin_1", "iso8859_15"]
    ).best()
    return best.encoding if best is not None else "cp1252"


def _decode_mixed(raw: bytes, main: str) -> tuple[str, str, list[int]]:
    lines = raw.split(b"\n")
    bad = []
    for i, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
    other = _single_byte_encoding(b"\n".join(lines[i] for i in bad[:2000]))
    decoded = []
    bad_set = set(bad)
    for i, line in enumerate(lines):
        if i in bad_set:
            try:
                decoded.append(line.decode(other))
            except UnicodeDecodeError:
                decoded.append(line.decode("latin-1"))
        else:
            decoded.append(line.decode("utf-8"))
    return "\n".join(decoded), f"{main}+{other}", [i + 1 for i in bad]


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
        try:
            counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        except (csv.Error, StopIteration):
            continue
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) / len(counts) * mode
        if score > best_score:
            best, best_score = d, score
    return best


def header_fields(text: str, delimiter: str) -> int:
    """Number of fields of the header record (quoted delimiters and newlines understood)."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    if '"' in first:
        try:
            return len(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
        except (csv.Error, StopIteration):
            pass
    return first.count(delimiter) + 1


def scan_quotes(text: str, delimiter: str) -> tuple[int | None, bool]:
    """(line where a quoted field opens and never closes, whether literal quotes occur in fields).

    A quote only opens a field at the start of the field (RFC 4180), so `5'11"` or `12" ruler`
    inside a field is a literal character, not a truncated file.
    """
    total = text.count('"')
    if total == 0:
        return None, False
    opening = re.compile(r"(?:^|[" + re.escape(delimiter) + r"\n])[ ]*\"")
    consumed = 0
    line_no = 1
    pos = 0
    n = len(text)
    while pos < n:
        match = opening.search(text, pos)
        if match is None:
            break
        line_no += text.count("\n", pos, match.end())
        pos = match.end()
        consumed += 1
        while True:  # inside a quoted field: "" is an escaped quote
            close = text.find('"', pos)
            if close < 0:
                return line_no, True
            if close + 1 < n and text[close + 1] == '"':
                consumed += 2
                pos = close + 2
                continue
            consumed += 1
            line_no += text.count("\n", pos, close)
            pos = close + 1
            break
    return None, consumed != total


def _dedupe(names: list[str]) -> list[str]:
    """Header names made unique the way polars does it (`x`, `x_duplicated_0`, ...)."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"column_{i + 1}"
        if name in seen:
            out.append(f"{name}_duplicated_{seen[name]}")
            seen[name] += 1
        else:
            seen[name] = 0
            out.append(name)
    return out


def _read_with_literal_quotes(name: str, text: str, delimiter: str) -> tuple[pl.DataFrame, list[int]]:
    """Parse with the standard library, which keeps a quote inside a field as a character.

    The fast parser treats any quote as a field delimiter and would merge records after `5'11"`.
    """
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    if len(rows) < 2:
        raise InputError(f"{name} has a header but no data record to check.")
    header = _dedupe(rows[0])
    width = len(header)
    short = []
    for i, row in enumerate(rows[1:]):
        if len(row) > width:
            raise InputError(
                f"{name} could not be read as a delimited table: record {i} has {len(row)} fields, "
                f"the header {width}."
            )
        if len(row) < width:
            short.append(i)
    columns = {
        h: pl.Series(h, [r[j] if j < len(r) else None for r in rows[1:]], dtype=pl.String)
        for j, h in enumerate(header)
    }
    return pl.DataFrame(columns), short


def read_delimited(path: Path, raw: bytes, fmt: str, limits: ReadLimits | None = None) -> LoadedTable:
    """Decode, sniff, check the limits and parse a delimited file; every failure is one InputError."""
    try:
        return _read_delimited(path, raw, fmt, limits or ReadLimits())
    except csv.Error as exc:  # the standard library parser, used for headers and literal quotes
        if "field larger than field limit" in str(exc):
            raise LimitError(
                f"{path.name} has a field longer than "
                f"{human_bytes(limits.max_field_bytes if limits else ReadLimits().max_field_bytes)} "
                "(raise the limit with --max-field-bytes)."
            ) from None
        raise InputError(f"{path.name} could not be read as a delimited table: {exc}.") from None


def _read_delimited(path: Path, raw: bytes, fmt: str, limits: ReadLimits) -> LoadedTable:
    name = path.name
    try:
        text, encoding, repaired = decode_bytes(raw)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None
    del raw
    if not text.strip():
        raise InputError(f"{name} is empty: there is no header and no record to check.")
    csv.field_size_limit(max(limits.max_field_bytes, 131072))
    delimiter = "\t" if fmt == "tsv" else sniff_delimiter(text)
    limits.check_columns(name, header_fields(text, delimiter))
    bad_quote, literal_quotes = scan_quotes(text, delimiter)
    if bad_quote is not None:
        raise InputError(
            f"{name} looks truncated or malformed: the quoted field opened on line {bad_quote:,} "
            "is never closed."
        )
    if literal_quotes:
        frame, short_rows = _read_with_literal_quotes(name, text, delimiter)
        return _finish(name, path, fmt, frame, text, limits, encoding, repaired, delimiter, short_rows)
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
            n_rows=limits.max_rows + 1,
        )
    except pl.exceptions.NoDataError as exc:
        raise InputError(f"{name} is empty: there is no header and no record to check.") from exc
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name} could not be read as a delimited table: {first}") from exc
    short_rows = _short_rows(text, delimiter, frame.width) if frame.width > 1 else []
    short_rows = [r for r in short_rows if r < frame.height]  # a bare CR splits records differently
    return _finish(name, path, fmt, frame, text, limits, encoding, repaired, delimiter, short_rows)


def _finish(
    name: str,
    path: Path,
    fmt: str,
    frame: pl.DataFrame,
    text: str,
    limits: ReadLimits,
    encoding: str,
    repaired: list[int],
    delimiter: str,
    short_rows: list[int],
) -> LoadedTable:
    if frame.height == 0:
        raise InputError(f"{name} has a header but no data record to check.")
    limits.check_rows(name, frame.height)
    if len(text) > limits.max_field_bytes:  # a field this long can only span quoted lines
        longest = frame.select(pl.col(pl.String).str.len_bytes().max()).max_horizontal().item()
        if longest is not None and longest > limits.max_field_bytes:
            raise LimitError(
                f"{name} has a field longer than {human_bytes(limits.max_field_bytes)} "
                "(raise the limit with --max-field-bytes)."
            )
    frame, decimal_comma = type_text_columns(frame)
    facts: dict[str, object] = {"encoding": encoding, "delimiter": delimiter, "decimal_comma": decimal_comma}
    if repaired:
        facts["encoding_repaired_lines"] = repaired
    if short_rows:
        facts["short_rows"] = short_rows
    return LoadedTable(frame=frame, format=fmt, path=str(path), facts=facts)


def _short_rows(text: str, delimiter: str, width: int) -> list[int]:
    """Positions (data records from 0) of records with fewer fields than the header.

    The parser fills the missing fields with null, which would hide a shifted or cut record among
    ordinary missing values, so the reader counts the fields itself and the `short_rows` check
    reports them. Without quotes a line is a record and delimiters are counted in bulk; with
    quotes the standard library's CSV parser (in C) counts the fields of each record.
    """
    if '"' in text:
        counts = [len(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    else:
        lines = pl.Series(text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
        lines = lines.filter(lines.str.len_bytes() > 0)
        counts = (lines.str.count_matches(delimiter, literal=True) + 1).to_list()
    return [i - 1 for i, c in enumerate(counts) if i > 0 and c < width]


def _not_integer(text: pl.Expr) -> pl.Expr:
    """True where a value that reads as a number cannot be stored as Int64: a decimal mark or an
    exponent, inf or nan (no decimal mark, yet no integer), or beyond the 64-bit range."""
    number = parse_number_expr(text)
    return text.str.contains(r"[.,eE]") | ~number.is_finite() | (number.abs() >= 2.0**63)


# Past this many text columns, one expression per column makes the query plan itself the cost
# (100,000 columns x 3 rows took minutes): the columns are typed in long form instead.
WIDE_COLUMNS = 2_000


def _type_wide(frame: pl.DataFrame, strings: list[str]) -> tuple[pl.DataFrame, bool]:
    """type_text_columns for very wide tables: one long column, statistics by group, same rules."""
    height = frame.height
    value = pl.col("value")
    long = (
        frame.select(strings)
        .unpivot(variable_name="column", value_name="value")  # column-major: block i is column i
        .select(
            "column",
            pl.when(value.str.strip_chars() == "").then(None).otherwise(value).alias("value"),
        )
        .with_columns(
            parse_number_expr(value).alias("number"),
            value.str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias("iso"),
        )
    )
    stats = long.group_by("column", maintain_order=True).agg(
        value.null_count().alias("nulls"),
        pl.col("number").null_count().alias("num"),
        value.str.contains(r"^\s*[-+]?\d+,\d+\s*$").any().alias("comma"),
        _not_integer(value).any().alias("fraction"),
        pl.col("iso").null_count().alias("iso"),
    )
    by_name = {row["column"]: row for row in stats.iter_rows(named=True)}
    values, numbers, dates = long.get_column("value"), long.get_column("number"), long.get_column("iso")
    position = {c: i for i, c in enumerate(strings)}
    decimal_comma = False
    columns = []
    for name in frame.columns:
        if name not in position:
            columns.append(frame.get_column(name))
            continue
        st, start = by_name[name], position[name] * height
        if st["nulls"] < height and st["num"] == st["nulls"]:
            decimal_comma |= bool(st["comma"])
            dtype = pl.Float64 if st["fraction"] else pl.Int64
            columns.append(numbers.slice(start, height).cast(dtype).alias(name))
        elif st["nulls"] < height and st["iso"] == st["nulls"]:
            columns.append(dates.slice(start, height).alias(name))
        else:
            columns.append(values.slice(start, height).alias(name))
    return pl.DataFrame(columns), decimal_comma


def type_text_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """Turn all-text columns into numbers or dates only where every non-empty value reads so."""
    strings = [c for c, d in frame.schema.items() if d == pl.String]
    if not strings:
        return frame, False
    if len(strings) > WIDE_COLUMNS:
        return _type_wide(frame, strings)
    blank_to_null = [
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c) for c in strings
    ]
    frame = frame.with_columns(blank_to_null)
    stats = frame.select(
        [pl.col(c).null_count().alias(f"{c}\x00null") for c in strings]
        + [parse_number_expr(pl.col(c)).null_count().alias(f"{c}\x00num") for c in strings]
        + [pl.col(c).str.contains(r"^\s*[-+]?\d+,\d+\s*$").any().alias(f"{c}\x00comma") for c in strings]
        + [_not_integer(pl.col(c)).any().alias(f"{c}\x00fraction") for c in strings]
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
