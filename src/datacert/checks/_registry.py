"""The registry of checks: one decorator to add a check, one function to list them all.

Check modules are discovered by walking the `datacert.checks` package: adding a check means
adding one module (and its tests), nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

from datacert.checks._base import GOVERNANCE_TOPICS, Check, validate_check_class

REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: validate a check's identity and add it to the registry."""
    validate_check_class(cls)
    existing = REGISTRY.get(cls.id)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"check id {cls.id!r} is registered twice ({existing.__name__}, {cls.__name__})")
    REGISTRY[cls.id] = cls
    return cls


def load_all_checks(only: Iterable[str] | None = None) -> dict[str, type[Check]]:
    """Import check modules once and return the registry, sorted by id.

    A check's module is named after its id, so `only` imports just the modules it names (a run
    of a few checks does not pay for importing the others' dependencies).
    """
    import datacert.checks as package

    wanted = set(only) if only is not None else None
    for module in pkgutil.walk_packages(package.__path__, prefix="datacert.checks."):
        leaf = module.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or (wanted is not None and leaf not in wanted and module.ispkg is False):
            continue
        importlib.import_module(module.name)
    registry = dict(sorted(REGISTRY.items()))
    return registry if wanted is None else {k: v for k, v in registry.items() if k in wanted}


def checks_about(topic: str) -> tuple[str, ...]:
    """Ids of the registered checks whose findings answer a governance topic, sorted.

    This is how governance documents (the art. 10 matrix, the datasheet, Croissant) pick their
    checks: each check declares its topics, so a new check joins them without touching the audit.
    """
    if topic not in GOVERNANCE_TOPICS:
        raise ValueError(f"unknown governance topic {topic!r} (known: {', '.join(GOVERNANCE_TOPICS)})")
    return tuple(check_id for check_id, cls in load_all_checks().items() if topic in cls.governance)


def catalogue() -> list[dict[str, Any]]:
    """One entry per registered check, from its class attributes and docstring (sorted by id).

    This is the check catalogue users and the contract see (`datacert checks`), generated here so
    that it can never disagree with the checks themselves.
    """
    entries = []
    for check_id, cls in load_all_checks().items():
        doc = (cls.__doc__ or "").strip()
        entries.append(
            {
                "check": check_id,
                "dimension": cls.dimension,
                "kahn": cls.kahn,
                "summary": doc.splitlines()[0] if doc else "",
                "needs": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(cls.needs).items() if v},
                "action": cls.remedy.action,
                "order": cls.remedy.order,
                "automatic": cls.remedy.automatic,
                "correction": cls.has_correction(),
                "figure": cls.figure.kind if cls.figure is not None else None,
                "governance": list(cls.governance),
                "params": cls.defaults(),
                "parameters": [p.to_dict() for p in cls.params],
                "cost": cls.cost,
            }
        )
    return entries
