"""Command line: `datacert check` and the other sub-commands, each in its own module.

Importing a command module registers its commands on the shared typer app:
check, checks (the catalogue), compare, prequalify and apply, report, synth, the `text` sub-app,
the traceability commands (`audit`, `keys`, `verify`, `lineage`, `evidence`) and the service
(serve, worker, submit and the `users` sub-app).

The modules are imported when `app` or `main` is first asked for, not when this package is: `python
-m datacert.cli` imports the package before running its `__main__`, which must install the signal
handlers (`datacert._entry`) before the engine loads.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datacert.cli._app import app

COMMAND_MODULES = (
    "_audit",
    "_catalogue",
    "_check",
    "_compare",
    "_evidence",
    "_keys",
    "_lineage",
    "_prequalify",
    "_report",
    "_serve",
    "_submit",
    "_synth",
    "_text",
    "_users",
)

__all__ = ["app", "main"]


def _registered_app() -> Any:
    for name in COMMAND_MODULES:
        import_module(f"datacert.cli.{name}")
    return import_module("datacert.cli._app").app


def main() -> None:
    _registered_app()()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _registered_app()
    raise AttributeError(f"module 'datacert.cli' has no attribute {name!r}")
