"""Curated clinical knowledge shipped with datacert as data files (YAML), with their sources.

Files are read with `importlib.resources`, so they work from a wheel as well as from a checkout.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def safe_load(text: str) -> Any:
    """yaml.safe_load, through libyaml when PyYAML was built with it: the pure-Python parser spends
    about half a second of every run on the 110 KB physiological limits file, libyaml a twentieth."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_knowledge(name: str) -> Any:
    """A packaged knowledge file (`datacert/knowledge/NAME`), parsed."""
    return safe_load(resources.files("datacert.knowledge").joinpath(name).read_text("utf-8"))
