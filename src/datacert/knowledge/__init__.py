"""Curated clinical knowledge shipped with datacert as data files (YAML), with their sources.

This module is the only reader of these files: checks ask `load(name)` and never open a file
themselves (the common tests forbid it). Files are read with `importlib.resources`, so they work
from a wheel as well as from a checkout, and each is read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

# the knowledge files this package ships (file name without `.yaml`)
FILES = ("cross_field_rules", "person_names", "physiological_limits", "unit_conversions")


@lru_cache(maxsize=len(FILES))
def load(name: str) -> Any:
    """The parsed content of the knowledge file `name` (one of FILES), read once."""
    if name not in FILES:
        raise KeyError(f"unknown knowledge file {name!r}; known: {', '.join(FILES)}")
    return yaml.safe_load(resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8"))


def preload() -> None:
    """Read every knowledge file now (so that no later step reads one)."""
    for name in FILES:
        load(name)
