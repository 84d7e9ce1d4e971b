"""Tables larger than memory, on one machine or on a Dask cluster.

A source of partitions (a big Parquet file, a folder or a glob of Parquet files, `_source`) is
scanned once (`_pass`, or `_dask` on a cluster): every partition (`_partition`) gives a partial
profile, a fingerprint, the candidates of a seeded sample and hashed record keys; the partials
merge into the whole-table profile (datacert.profile's mergeable partials), the keys are counted
bucket by bucket for exact duplicates and repeated identifiers. The usual assay then runs on the
sample with the whole-table profile and counts (`_assay`). docs/scale.md describes the costs.

The names below are loaded on first use: a Dask worker imports `datacert.scale._partition`, and
with it this package, and must not pay for the assay it never runs (scikit-learn and the checks).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datacert.scale._assay import (
        SAMPLE_ROWS,
        Engine,
        check_partitioned,
        chosen_engine,
        parse_memory_limit,
        scaled_check,
    )
    from datacert.scale._source import ScaleInputError, is_partitioned_source, plan_source

_HOME = {
    "SAMPLE_ROWS": "_assay",
    "Engine": "_assay",
    "check_partitioned": "_assay",
    "chosen_engine": "_assay",
    "parse_memory_limit": "_assay",
    "scaled_check": "_assay",
    "ScaleInputError": "_source",
    "is_partitioned_source": "_source",
    "plan_source": "_source",
}

__all__ = [
    "SAMPLE_ROWS",
    "Engine",
    "ScaleInputError",
    "check_partitioned",
    "chosen_engine",
    "is_partitioned_source",
    "parse_memory_limit",
    "plan_source",
    "scaled_check",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'datacert.scale' has no attribute {name!r}")
    value = getattr(import_module(f"datacert.scale.{_HOME[name]}"), name)
    globals()[name] = value
    return value
