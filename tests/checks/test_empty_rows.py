"""empty_rows: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("empty_rows")
def planted_empty_rows() -> Case:
    frame = pl.DataFrame(base_cohort())
    blank = [c for c in frame.columns if c != "record_id"]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([30, 31])).then(None).otherwise(pl.col(c)).alias(c)
        for c in blank
    )
    return planted_case(frame)
