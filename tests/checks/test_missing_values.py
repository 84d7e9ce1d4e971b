"""missing_values: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("missing_values")
def planted_missing_values() -> Case:
    cols = base_cohort()
    cols["hba1c"] = [None if i % 3 == 0 else 6.0 + (i % 7) / 10 for i in range(300)]
    return planted_case(pl.DataFrame(cols), "hba1c")
