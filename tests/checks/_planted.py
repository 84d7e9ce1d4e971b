"""The kit a check's own test module uses to give the common tests its planted case.

Each check's test module (tests/checks/test_<id>.py) registers, with `@planted("<id>")`, a small
table with exactly the defect the check finds; checks whose quiet side is delicate also register,
with `@clean_twins("<id>")`, clean tables of the same shape. The common tests
(tests/checks/test_common.py) load every test module, then run each registered check on its case:
it must fire on the planted columns, and stay quiet on its twins. Adding a check means its module
and its test module, nothing else: a check without a planted case fails the common tests.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from tests.conftest import make_dataset

from datacert.dataset import Dataset


@dataclass(frozen=True)
class Case:
    """The dataset a check must fire on, and the columns its findings must name."""

    data: Dataset
    columns: tuple[str, ...] = ()


PLANTED: dict[str, Callable[[], Case]] = {}
CLEAN: dict[str, Callable[[], tuple[Dataset, ...]]] = {}


def planted(check_id: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
    """Register the builder of a check's planted case."""

    def register(builder: Callable[[], Case]) -> Callable[[], Case]:
        PLANTED[check_id] = builder
        return builder

    return register


def clean_twins(
    check_id: str,
) -> Callable[[Callable[[], tuple[Dataset, ...]]], Callable[[], tuple[Dataset, ...]]]:
    """Register the builder of clean tables of the same shape as a check's planted case."""

    def register(builder: Callable[[], tuple[Dataset, ...]]) -> Callable[[], tuple[Dataset, ...]]:
        CLEAN[check_id] = builder
        return builder

    return register


def load_cases() -> None:
    """Import every check test module of this package, so that their cases are registered."""
    import tests.checks as package

    for module in pkgutil.iter_modules(package.__path__, prefix="tests.checks."):
        if module.name.rsplit(".", 1)[-1].startswith("test_"):
            importlib.import_module(module.name)


def seeded(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def base_cohort(n: int = 300, seed: int = 0) -> dict[str, object]:
    """A plain clinical table the planted defects are written into."""
    rng = seeded(seed)
    return {
        "record_id": [f"R{i:05d}" for i in range(n)],
        "age": rng.integers(18, 90, n),
        "sex": rng.choice(["F", "M"], n),
        "weight_kg": rng.normal(75, 12, n).round(1),
        "sbp_mmhg": rng.normal(130, 15, n).round(0),
        "y": rng.integers(0, 2, n),
    }


def planted_case(frame: pl.DataFrame, *columns: str, **roles: object) -> Case:
    return Case(make_dataset(frame, **roles), tuple(columns))


def clean_table() -> pl.DataFrame:
    """The shared clean clinical table of tests/conftest.py, outside a fixture."""
    from tests.conftest import clean_frame

    return clean_frame.__wrapped__()
