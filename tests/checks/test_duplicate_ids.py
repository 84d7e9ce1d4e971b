"""duplicate_ids: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("duplicate_ids")
def planted_duplicate_ids() -> Case:
    cols = base_cohort()
    cols["record_id"][10] = cols["record_id"][11]
    return planted_case(pl.DataFrame(cols), "record_id", id="record_id")
