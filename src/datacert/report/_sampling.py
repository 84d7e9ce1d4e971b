"""The one sentence every renderer prints when a certificate was issued on a sample of its table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def sampling_note(sampling: Mapping[str, Any]) -> str:
    """'Checked on a seeded sample of 100,000 of 200,000,000 records; ... cover every record.'"""
    whole = ", ".join(sampling.get("whole_table") or ["the profile"])
    return (
        f"Checked on a seeded sample of {sampling['sampled_rows']:,} of {sampling['population_rows']:,} "
        f"records (seed {sampling.get('seed', 0)}); {whole} cover every record."
    )
