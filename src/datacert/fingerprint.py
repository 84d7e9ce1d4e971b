"""Content fingerprint of a table: the same table gives the same hash from CSV, Parquet or Excel.

Columns are normalised to one canonical type per family (Int64, Float64, Date, Datetime(us),
Boolean, String) and hashed from their raw value buffers plus a null mask, in column order.
Polars' own row hash is not used: it is not stable across polars releases.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl


def canonical_column(series: pl.Series) -> pl.Series:
    dtype = series.dtype
    if dtype.is_integer():
        return series.cast(pl.Int64)
    if dtype.is_float() or dtype.is_decimal():
        return series.cast(pl.Float64)
    if dtype == pl.Date or dtype == pl.Boolean:
        return series
    if isinstance(dtype, pl.Datetime):
        return series.dt.replace_time_zone(None).cast(pl.Datetime("us")) if dtype.time_zone else series.cast(
            pl.Datetime("us"))
    return series.cast(pl.String)


def fingerprint_frame(frame: pl.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(f"{frame.height}x{frame.width}".encode())
    for name in frame.columns:
        series = canonical_column(frame.get_column(name))
        digest.update(b"\x1ecol\x1f" + name.encode("utf-8") + b"\x1f" + str(series.dtype).encode())
        nulls = series.is_null().to_numpy()
        digest.update(np.packbits(nulls).tobytes())
        filled = series
        if series.dtype == pl.String:
            filled = series.fill_null("")
            digest.update(filled.str.len_bytes().to_numpy().astype("<u4").tobytes())
            digest.update(filled.str.join("").item().encode("utf-8"))
        else:
            if series.dtype == pl.Boolean:
                filled = series.cast(pl.UInt8)
            elif series.dtype == pl.Date:
                filled = series.cast(pl.Int32)
            elif isinstance(series.dtype, pl.Datetime):
                filled = series.cast(pl.Int64)
            values = filled.fill_null(0).to_numpy()
            if values.dtype.kind == "f":
                values = np.where(values == 0.0, 0.0, values)  # -0.0 and 0.0 are the same value
            digest.update(np.ascontiguousarray(values).astype(values.dtype.newbyteorder("<")).tobytes())
    return "sha256:" + digest.hexdigest()
