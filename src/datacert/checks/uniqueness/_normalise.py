"""Canonical forms of records for near-duplicate detection: case, accents, spaces, number formats.

Two records are near-duplicates when their canonical forms are equal: text lowered, accents and
repeated spaces removed, numbers written as text read as numbers ("12,50" = "12.5") and rounded
to 6 significant digits, and stored numbers equal within a relative tolerance of 1e-6.
Candidates are found by hashing records with stored numbers rounded to 14 mantissa bits (about
4 significant digits: coarser than the tolerance, so that two close values rarely fall on either
side of a rounding edge); candidates are then compared exactly (text) and within the tolerance
(numbers).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.semantics import parse_number_expr

SIGNIFICANT_DIGITS = 6  # numbers written as text
MANTISSA_BITS = 14  # 2**-14 ~ 6e-5: about 4 significant digits
TOLERANCE = 1e-6  # relative tolerance between stored numbers
WIDE_NUMERIC = 200  # above this many numeric columns the numeric block is hashed in numpy
WIDE_CELLS = 30_000_000


def canonical_text(expr: pl.Expr) -> pl.Expr:
    """Text in canonical form; text that reads as a number becomes the rounded number."""
    text = (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"(\d)[\s\u00a0\u202f](\d{3})", "${1}${2}")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    number = (parse_number_expr(text).round_sig_figs(SIGNIFICANT_DIGITS) + 0.0).cast(pl.String)
    return pl.coalesce(number, text)


def canonical_expressions(schema: pl.Schema, columns: list[str]) -> list[pl.Expr]:
    """Canonical form of each non-float column (stored floats are compared within the tolerance)."""
    out = []
    for c in columns:
        dtype = schema[c]
        if dtype == pl.String or dtype == pl.Categorical:
            out.append(canonical_text(pl.col(c).cast(pl.String)).alias(c))
        elif not dtype.is_float():
            out.append(pl.col(c))
    return out


def round_bits(x: np.ndarray) -> np.ndarray:
    """Float bits rounded to 14 mantissa bits (about 4 significant digits, relative 6e-5).

    Integer arithmetic on the IEEE-754 bit pattern: round-to-nearest carries into the exponent
    correctly, and costs a few vectorised passes (no logarithms). -0.0 becomes 0.0, NaN one pattern.
    """
    x = np.asarray(x, dtype=np.float64) + 0.0  # a copy of our own: the passes below work in place
    np.copyto(x, np.nan, where=np.isnan(x))
    bits = x.view(np.uint64)
    bits += np.uint64(1 << (52 - MANTISSA_BITS - 1))
    bits &= ~np.uint64((1 << (52 - MANTISSA_BITS)) - 1)
    return bits


def close_rows(x: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Rows of `x` equal to `anchor` within the relative tolerance (missing equals missing)."""
    with np.errstate(invalid="ignore"):
        near = np.abs(x - anchor) <= TOLERANCE * np.maximum(np.abs(x), np.abs(anchor))
    same = (x == anchor) | near | (np.isnan(x) & np.isnan(anchor))
    return same.all(axis=1)


def _canonical_series(series: pl.Series) -> pl.Series:
    """Canonical text computed once per distinct value, then mapped onto the rows (cheap on tall data)."""
    if series.dtype not in (pl.String, pl.Categorical):
        return series
    text = series.cast(pl.String)
    distinct = text.drop_nulls().unique()
    canon = distinct.to_frame("v").select(canonical_text(pl.col("v"))).to_series()
    if canon.equals(distinct, check_names=False):  # already canonical (coded levels): nothing to map
        return text
    return text.replace(distinct, canon)


def _mix(hashes: np.ndarray, values: np.ndarray, weight: int) -> np.ndarray:
    """Fold one column of 64-bit values into the row hashes (seeded multiply-xor, wrapping)."""
    return (hashes ^ (values * np.uint64(weight | 1))) * np.uint64(0x9E3779B97F4A7C15)


def canonical_hashes(data, columns: list[str]) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Candidate hashes of the records, the raw numeric block (wide tables only, else None) and the
    columns left to the engine (non-float columns of tall tables: text, integers, dates...).

    Stored floats are hashed in numpy on their rounded bits (one column at a time on tall tables,
    the shared matrix on wide ones); everything else in one engine pass over canonical forms.
    """
    schema = data.schema
    numeric = data.numeric_feature_columns()
    block = None
    engine_columns = columns
    weights = np.random.default_rng(1).integers(1, 2**63 - 1, size=len(columns), dtype=np.int64).tolist()
    weight_of = dict(zip(columns, weights, strict=True))
    hashes = np.zeros(data.n_rows, dtype=np.uint64)
    if len(numeric) > WIDE_NUMERIC and data.n_rows * len(numeric) <= WIDE_CELLS:
        wanted = set(columns)
        in_block = [c for c in numeric if c in wanted]
        position = {c: i for i, c in enumerate(numeric)}
        index = [position[c] for c in in_block]
        matrix = data.numeric_matrix()
        # every numeric column, in order (the usual case): the shared matrix itself, not a copy
        block = matrix if index == list(range(matrix.shape[1])) else matrix[:, index]
        rounded = round_bits(block)
        row_weights = np.asarray([weight_of[c] | 1 for c in in_block], dtype=np.int64).astype(np.uint64)
        rounded *= row_weights[None, :]
        hashes = rounded.sum(axis=1, dtype=np.uint64)
        held = set(in_block)
        engine_columns = [c for c in columns if c not in held]
    floats = [c for c in engine_columns if schema[c].is_float()]
    for c in floats:
        values = data.frame.get_column(c).cast(pl.Float64).to_numpy()
        hashes = _mix(hashes, round_bits(values), weight_of[c])
    exact = [_canonical_series(data.frame.get_column(c)) for c in engine_columns if not schema[c].is_float()]
    if exact:
        engine = pl.DataFrame(exact).hash_rows(seed=0).to_numpy()
        hashes = _mix(hashes, engine, 0x632BE59BD9B4E019)
    return hashes, block, engine_columns
