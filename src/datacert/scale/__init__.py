"""Tables larger than memory, on one machine or on a Dask cluster.

A source of partitions (a big Parquet file, a folder or a glob of Parquet files, `_source`) is
scanned once (`_pass`): every partition (`_partition`) gives a partial profile, a fingerprint,
the candidates of a seeded sample and hashed record keys; the partials merge into the
whole-table profile (datacert.profile's mergeable partials), the keys are counted bucket by bucket
for exact duplicates and repeated identifiers. The usual assay then runs on the sample with the
whole-table profile and counts (`_assay`). docs/scale.md describes the costs.
"""

from datacert.scale._assay import (
    SAMPLE_ROWS,
    Engine,
    check_partitioned,
    chosen_engine,
    parse_memory_limit,
    scaled_check,
)
from datacert.scale._source import ScaleInputError, is_partitioned_source, plan_source

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
