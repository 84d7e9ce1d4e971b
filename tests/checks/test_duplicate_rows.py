"""duplicate_rows: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("duplicate_rows")
def planted_duplicate_rows() -> Case:
    frame = pl.DataFrame(base_cohort())
    return planted_case(pl.concat([frame, frame[:5]]))
