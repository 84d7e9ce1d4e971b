"""short_records: the case the common tests (test_common.py) run it on."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.checks._planted import Case, planted


@planted("short_records")
def planted_short_records() -> Case:
    from datacert.assay import load_dataset
    from datacert.roles import Roles

    rows = "id,age,sbp,outcome\n" + "".join(f"{i},{30 + i % 40},{110 + i % 30},{i % 2}\n" for i in range(60))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "short.csv"
        path.write_text(rows + "60,45\n61,50,120\n", encoding="utf-8")
        return Case(load_dataset(path, Roles.build(target="outcome")))
