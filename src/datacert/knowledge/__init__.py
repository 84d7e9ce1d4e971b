"""Curated clinical knowledge shipped with datacert as data files (YAML), with their sources.

Files are read with `importlib.resources`, so they work from a wheel as well as from a checkout.
"""

from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it: the same documents, four times faster to read
# (the physiological limits file took over a second per run with the pure-Python parser)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse a knowledge file as yaml.safe_load does (safe constructors only)."""
    return yaml.load(text, Loader=_LOADER)
