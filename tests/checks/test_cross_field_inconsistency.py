"""cross_field_inconsistency: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, planted, planted_case, seeded


@planted("cross_field_inconsistency")
def planted_cross_field_inconsistency() -> Case:
    rng = seeded(3)
    sbp = rng.normal(130, 15, 200).round()
    dbp = (sbp - rng.normal(50, 8, 200)).round()
    dbp[[3, 7]] = sbp[[3, 7]] + 5
    return planted_case(pl.DataFrame({"PAS": sbp, "PAD": dbp, "age": rng.integers(18, 90, 200)}), "PAD")
