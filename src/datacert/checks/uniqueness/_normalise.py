"""Canonical forms of records for near-duplicate detection: case, accents, spaces, number formats.

Two records are near-duplicates when their canonical forms are equal: text lowered, accents and
repeated spaces removed, numbers written as text read as numbers ("12,50" = "12.5") and rounded
to 6 significant digits, and stored numbers equal within a relative tolerance of 1e-6.
Candidates are found by hashing records with numbers rounded to 4 significant digits (coarser
than the tolerance, so that two close values rarely fall on either side of a rounding edge);
candidates are then compared exactly (text) and within the tolerance (numbers).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.semantics import parse_number_expr

SIGNIFICANT_DIGITS = 6      # numbers written as text
HASH_DIGITS = 4             # stored numbers, for the candidate hash only
TOLERANCE = 1e-6            # relative tolerance between stored numbers
WIDE_NUMERIC = 200          # above this many numeric columns the numeric block is hashed in numpy
WIDE_CELLS = 30_000_000


def canonical_text(expr: pl.Expr) -> pl.Expr:
    """Text in canonical form; text that reads as a number becomes the rounded number."""
    text = (expr.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.to_lowercase()
            .str.replace_all(r"(\d)[\s\u00a0\u202f](\d{3})", "${1}${2}")
            .str.replace_all(r"\s+", " ").str.strip_chars())
    number = (parse_number_expr(text).round_sig_figs(SIGNIFICANT_DIGITS) + 0.0).cast(pl.String)
    return pl.coalesce(number, text)


def canonical_number(expr: pl.Expr, digits: int = HASH_DIGITS) -> pl.Expr:
    # + 0.0 turns -0.0 into 0.0; NaN becomes missing so that it compares equal to itself
    return (expr.cast(pl.Float64).round_sig_figs(digits) + 0.0).fill_nan(None)


def canonical_expressions(schema: pl.Schema, columns: list[str], floats: bool = True) -> list[pl.Expr]:
    """Canonical form of each column (floats rounded for hashing; left out when `floats` is False)."""
    out = []
    for c in columns:
        dtype = schema[c]
        if dtype == pl.String or dtype == pl.Categorical:
            out.append(canonical_text(pl.col(c).cast(pl.String)).alias(c))
        elif dtype.is_float():
            if floats:
                out.append(canonical_number(pl.col(c)).alias(c))
        else:
            out.append(pl.col(c))
    return out


def round_matrix(x: np.ndarray, digits: int = HASH_DIGITS) -> np.ndarray:
    """Round every value to `digits` significant digits (NaN kept, -0.0 made 0.0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x))))
        scale = 10.0 ** (digits - 1 - magnitude)
        return np.round(x * scale) / scale + 0.0


def close_rows(x: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Rows of `x` equal to `anchor` within the relative tolerance (missing equals missing)."""
    with np.errstate(invalid="ignore"):
        near = np.abs(x - anchor) <= TOLERANCE * np.maximum(np.abs(x), np.abs(anchor))
    same = (x == anchor) | near | (np.isnan(x) & np.isnan(anchor))
    return same.all(axis=1)


def hash_matrix_rows(x: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of a float matrix: seeded weighted sum of the value bits (wrapping)."""
    bits = np.where(np.isnan(x), np.nan, x).view(np.uint64)  # one NaN bit pattern
    weights = np.random.default_rng(1).integers(1, 2**63 - 1, size=x.shape[1], dtype=np.int64)
    weights = weights.astype(np.uint64) | np.uint64(1)
    return (bits * weights[None, :]).sum(axis=1, dtype=np.uint64)


def canonical_hashes(data, columns: list[str]) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Candidate hashes of the records (numbers rounded to 4 significant digits), the raw numeric
    block hashed in numpy (wide tables only, else None) and the columns hashed by the engine."""
    schema = data.schema
    numeric = data.numeric_feature_columns()
    block = None
    engine_columns = columns
    if len(numeric) > WIDE_NUMERIC and data.n_rows * len(numeric) <= WIDE_CELLS:
        wanted = set(columns)
        in_block = [c for c in numeric if c in wanted]
        position = {c: i for i, c in enumerate(numeric)}
        block = data.numeric_matrix()[:, [position[c] for c in in_block]]
        held = set(in_block)
        engine_columns = [c for c in columns if c not in held]
    hashes = np.zeros(data.n_rows, dtype=np.uint64)
    if engine_columns:
        hashes = data.frame.select(canonical_expressions(schema, engine_columns)).hash_rows(seed=0).to_numpy()
    if block is not None:
        hashes = hashes * np.uint64(0x9E3779B97F4A7C15) + hash_matrix_rows(round_matrix(block))
    return hashes, block, engine_columns
