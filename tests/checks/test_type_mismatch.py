"""type_mismatch: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case, seeded


@planted("type_mismatch")
def planted_type_mismatch() -> Case:
    cols = base_cohort()
    crp = [f"{v:.1f}" for v in seeded(2).lognormal(2, 1, 300)]
    crp[4], crp[40] = "NR", "<5"
    cols["crp"] = crp
    return planted_case(pl.DataFrame(cols), "crp")
