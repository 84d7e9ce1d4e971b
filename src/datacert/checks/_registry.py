"""The registry of checks: one decorator to add a check, one function to list them all.

Check modules are discovered by walking the `datacert.checks` package: adding a check means
adding one module (and its tests), nothing else.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from datacert.checks._base import GOVERNANCE_TOPICS, Check, validate_check_class
from datacert.findings import DIMENSIONS

REGISTRY: dict[str, type[Check]] = {}
_loaded = threading.Event()  # every check module was imported once
_prefetching: threading.Thread | None = None
_prefetch_guard = threading.Lock()


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: validate a check's identity and add it to the registry."""
    validate_check_class(cls)
    _validate_place(cls)
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

    wait_for_prefetch()
    wanted = set(only) if only is not None else None
    if wanted is not None:
        for name in _modules_named(wanted):
            importlib.import_module(name)
    else:
        for module in pkgutil.walk_packages(package.__path__, prefix="datacert.checks."):
            if not module.name.rsplit(".", 1)[-1].startswith("_"):
                importlib.import_module(module.name)
        _loaded.set()
    registry = dict(sorted(REGISTRY.items()))
    return registry if wanted is None else {k: v for k, v in registry.items() if k in wanted}


def prefetch_checks() -> None:
    """Start importing every check module on a background thread, unless done or under way.

    The check modules bring scikit-learn, pandas and SciPy's stats (about a second of import on a
    2-core machine). `load_dataset` starts this before it reads a table, so that the import runs
    while polars reads and decodes (which releases the interpreter); `load_all_checks` waits for it.
    """
    global _prefetching
    with _prefetch_guard:
        if _loaded.is_set() or _prefetching is not None:
            return
        _prefetching = threading.Thread(target=_prefetch, name="datacert-import-checks", daemon=True)
        _prefetching.start()


def _prefetch() -> None:
    try:
        load_all_checks()
    except Exception:  # the caller's own load_all_checks raises the same error, in its thread
        pass


def wait_for_prefetch() -> None:
    """Return once a started prefetch has finished (also before giving up on a run: an import cut
    short by the interpreter's shutdown can fail noisily)."""
    thread = _prefetching
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def _modules_named(wanted: set[str]) -> list[str]:
    """The check modules named in `wanted`, found from the layout without importing the others
    (nor the packages of other dimensions: plausibility's reads a knowledge file)."""
    names = []
    for dimension, module in _layout():
        leaf = module.name.rsplit(".", 1)[-1]
        if dimension is None and module.ispkg:  # a package of no dimension: walked as a whole
            pkg = importlib.import_module(module.name)
            for inner in pkgutil.walk_packages(pkg.__path__, prefix=f"{module.name}."):
                name = inner.name.rsplit(".", 1)[-1]
                if not name.startswith("_") and (inner.ispkg or name in wanted):
                    names.append(inner.name)
        elif module.ispkg or leaf in wanted:
            names.append(module.name)
    return names


def _layout() -> Iterator[tuple[str | None, pkgutil.ModuleInfo]]:
    """The public modules of the checks package, unimported: each module of a dimension's
    sub-package with that dimension, and every other top-level module with None."""
    import datacert.checks as package

    for module in pkgutil.iter_modules(package.__path__, prefix="datacert.checks."):
        leaf = module.name.rsplit(".", 1)[-1]
        if leaf.startswith("_"):
            continue
        folder = _dimension_folder(module)
        if folder is None:
            yield None, module
            continue
        for inner in pkgutil.iter_modules(folder, prefix=f"{module.name}."):
            if not inner.name.rsplit(".", 1)[-1].startswith("_"):
                yield leaf, inner


def _dimension_folder(module: pkgutil.ModuleInfo) -> list[str] | None:
    """Where the modules of a dimension's sub-package live (None for anything else), unimported."""
    leaf = module.name.rsplit(".", 1)[-1]
    if not module.ispkg or leaf not in DIMENSIONS:
        return None
    spec = importlib.util.find_spec(module.name)  # the parent is imported, the package is not
    if spec is None or spec.submodule_search_locations is None:
        return None
    return list(spec.submodule_search_locations)


def _validate_place(cls: type[Check]) -> None:
    """A check in a dimension's sub-package lives in the module named after its id and belongs to
    that dimension: the layout is then an index of the checks (`check_dimensions`)."""
    parts = cls.__module__.split(".")
    if len(parts) == 4 and parts[:2] == ["datacert", "checks"] and parts[2] in DIMENSIONS:
        if (cls.id, cls.dimension) != (parts[3], parts[2]):
            raise ValueError(
                f"{cls.__name__} in {cls.__module__} must have id {parts[3]!r} and dimension "
                f"{parts[2]!r} (got {cls.id!r}, {cls.dimension!r})"
            )


def check_dimensions() -> dict[str, str]:
    """Check id -> dimension for every check of this build, sorted, importing as few checks as can be.

    A module of a dimension's sub-package is named after its check and is of that dimension
    (`register` refuses anything else), so the layout answers for them without importing them:
    validating a scoring profile for a run of a few checks does not pay for importing the others'
    dependencies (scikit-learn, SciPy's stats, text models: over a second of CPU). Modules elsewhere
    on the package path are imported and read from the registry.
    """
    found = {check_id: cls.dimension for check_id, cls in REGISTRY.items()}
    for dimension, module in _layout():
        if dimension is None or module.ispkg:
            for check_id, declared in _imported_dimensions(module.name).items():
                found.setdefault(check_id, declared)
        else:
            found.setdefault(module.name.rsplit(".", 1)[-1], dimension)
    return dict(sorted(found.items()))


def _imported_dimensions(name: str) -> dict[str, str]:
    """The checks that importing module `name` (a package: its modules too) registers, by id."""
    module = importlib.import_module(name)
    for inner in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=f"{name}."):
        if not inner.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(inner.name)
    prefix = f"{name}."
    return {
        check_id: cls.dimension
        for check_id, cls in REGISTRY.items()
        if cls.__module__ == name or cls.__module__.startswith(prefix)
    }


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
