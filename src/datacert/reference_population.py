"""The intended-use population: expected proportions of each sensitive subgroup (`--reference FILE`).

A reference file is YAML or JSON mapping each sensitive attribute to the proportions its levels
should have in the population the model is meant for:

    sexe: {F: 0.52, M: 0.48}
    age: {"<18": 0.0, "18-39": 0.25, "40-64": 0.40, "65-79": 0.25, ">=80": 0.10}

Numeric sensitive columns are compared by age band (see the representativeness checks), so the
bands are the levels to give for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from datacert.io import InputError, read_settings_file

SUM_TOLERANCE = 0.02


class ReferencePopulationError(InputError):
    """A reference-population file that cannot be used: unreadable, malformed or inconsistent."""


def load_reference(source: str | Path | Mapping[str, Any], sensitive: Iterable[str] | None = None) -> dict:
    """Read and validate a reference population: {attribute: {level: proportion}}.

    Proportions must lie in [0, 1] and sum to 1 (within 0.02) per attribute; when `sensitive` is
    given, every attribute must be one of those columns. Levels are kept as strings.
    """
    if isinstance(source, Mapping):
        raw: Any = dict(source)
        where = "The reference population"
    else:
        path = Path(source)
        where = f"Reference file {path}"
        raw = read_settings_file(path, ReferencePopulationError, where)
    if not isinstance(raw, Mapping) or not raw:
        raise ReferencePopulationError(
            f"{where} must map each sensitive attribute to its levels' proportions."
        )
    allowed = None if sensitive is None else set(sensitive)
    reference: dict[str, dict[str, float]] = {}
    for attribute, levels in raw.items():
        name = str(attribute)
        if allowed is not None and name not in allowed:
            given = ", ".join(sorted(allowed)) or "none"
            raise ReferencePopulationError(
                f"{where} names attribute {name!r}, which is not a --sensitive column (given: {given})."
            )
        if not isinstance(levels, Mapping) or not levels:
            raise ReferencePopulationError(f"{where}: attribute {name!r} must map its levels to proportions.")
        proportions: dict[str, float] = {}
        for level, value in levels.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not 0.0 <= float(value) <= 1.0
            ):
                raise ReferencePopulationError(
                    f"{where}: the proportion of {name}={level} must be a number between "
                    f"0 and 1, not {value!r}."
                )
            proportions[str(level)] = float(value)
        total = sum(proportions.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise ReferencePopulationError(f"{where}: the proportions of {name!r} sum to {total:.3f}, not 1.")
        reference[name] = proportions
    return reference
