"""unreadable_time: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from tests.checks._planted import Case, planted, planted_case


@planted("unreadable_time")
def planted_unreadable_time() -> Case:
    days = [(date(2020, 1, 1) + timedelta(days=30 * i)).strftime("%d/%m/%Y") for i in range(200)]
    for i in range(0, 200, 20):
        days[i] = "inconnue"
    return planted_case(pl.DataFrame({"date": days, "x": list(range(200))}), "date", time="date")
