"""Exact, deterministic storage of fitted arrays in a plan (JSON): base64 of little-endian bytes."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import numpy as np

from datacert.findings import to_plain


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """A JSON-ready, lossless record of a float or int array (same array -> same text)."""
    array = np.ascontiguousarray(array)
    kind = "<f8" if array.dtype.kind == "f" else "<i8"
    data = np.ascontiguousarray(array.astype(kind, copy=False)).tobytes()
    return {"dtype": kind, "shape": list(array.shape), "base64": base64.b64encode(data).decode("ascii")}


def decode_array(record: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(record["base64"].encode("ascii"))
    return np.frombuffer(raw, dtype=np.dtype(record["dtype"])).reshape(record["shape"]).copy()


def is_encoded(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"dtype", "shape", "base64"}


def summarise_arrays(value: Any) -> Any:
    """The same structure with every encoded array replaced by its shape and digest (for certificates)."""
    if is_encoded(value):
        digest = hashlib.sha256(value["base64"].encode("ascii")).hexdigest()[:16]
        return {"array_shape": value["shape"], "sha256": digest}
    if isinstance(value, dict):
        return {k: summarise_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [summarise_arrays(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """numpy scalars and tuples to JSON values, without rounding (plans must replay exactly)."""
    return to_plain(value, significant_digits=None)
