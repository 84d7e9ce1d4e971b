"""formula_injection: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import polars as pl
from tests.checks._planted import Case, base_cohort, planted, planted_case


@planted("formula_injection")
def planted_formula_injection() -> Case:
    cols = base_cohort()
    comments = ["RAS"] * 300
    comments[45] = '=HYPERLINK("http://x.example","voir")'
    cols["comment"] = comments
    return planted_case(pl.DataFrame(cols), "comment")
