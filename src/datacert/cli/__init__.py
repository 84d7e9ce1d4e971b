"""Command line: `datacert check` and the other sub-commands, each in its own module."""

from datacert.cli import _catalogue, _check  # noqa: F401  (register their commands)
from datacert.cli import _compare  # noqa: F401  (registers compare)
from datacert.cli import _prequalify  # noqa: F401  (registers prequalify and apply)
from datacert.cli import _text  # noqa: F401  (registers the text sub-app: deid, normalize)
from datacert.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
