"""The typer application that every sub-command module registers on."""

from __future__ import annotations

import typer

from datacert._version import __version__

app = typer.Typer(
    name="datacert",
    help="Incoming quality control for medical AI training data: assay a dataset, issue a certificate, "
    "release it, release it after named corrections (prequalify), or reject it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"datacert {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """datacert: certificates of analysis for training data."""
