"""The registry of checks: one decorator to add a check, one function to list them all.

Check modules are discovered by walking the `datacert.checks` package: adding a check means
adding one module (and its tests), nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil

from datacert.checks._base import Check, validate_check_class

REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: validate a check's identity and add it to the registry."""
    validate_check_class(cls)
    existing = REGISTRY.get(cls.id)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"check id {cls.id!r} is registered twice ({existing.__name__}, {cls.__name__})")
    REGISTRY[cls.id] = cls
    return cls


def load_all_checks() -> dict[str, type[Check]]:
    """Import every check module once and return the registry, sorted by id."""
    import datacert.checks as package

    for module in pkgutil.walk_packages(package.__path__, prefix="datacert.checks."):
        if module.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        importlib.import_module(module.name)
    return dict(sorted(REGISTRY.items()))
