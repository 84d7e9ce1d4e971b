"""Command line: `datacert check` and the other sub-commands, each in its own module."""

from datacert.cli import _check  # noqa: F401  (registers the command)
from datacert.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
