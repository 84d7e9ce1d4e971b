"""constant_columns: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("constant_columns")
def planted_constant_columns() -> Case:
    return planted_case(pl.DataFrame(base_cohort()).with_columns(pl.lit("FR").alias("country")), "country")
