"""Command line: `datacert check` and the other sub-commands, each in its own module.

Importing a command module registers its commands on the shared typer app:
check, checks (the catalogue), compare, prequalify and apply, the `text` sub-app, the traceability
commands (`audit`, `keys`, `verify`, `lineage`, `evidence`) and the service (serve, worker, submit
and the `users` sub-app).
"""

from datacert.cli import (  # noqa: F401
    _audit,
    _catalogue,
    _check,
    _compare,
    _evidence,
    _keys,
    _lineage,
    _prequalify,
    _serve,
    _submit,
    _text,
    _users,
)
from datacert.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
