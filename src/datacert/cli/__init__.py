"""Command line: `datacert check` and the other sub-commands, each in its own module.

Importing a command module registers its commands on the shared typer app:
check, checks (the catalogue), compare, prequalify and apply, synth, and the `text` sub-app.
"""

from datacert.cli import _catalogue, _check, _compare, _prequalify, _synth, _text  # noqa: F401
from datacert.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
