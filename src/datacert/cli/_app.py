"""The typer application that every sub-command module registers on.

Usage errors (an unknown option, a bad value) are printed as one line, `datacert: ...`, instead of
typer's framed box, so that every message of the tool has the same shape and fits a log line.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from datacert._version import __version__

try:  # recent typer carries its own copy of click, whose errors derive from TyperException
    from typer.exceptions import TyperException as ClickException
except ImportError:  # pragma: no cover - older typer runs on click itself
    # mypy sees the recent typer installed here, whose class has another name
    from click.exceptions import ClickException  # type: ignore[assignment]


class _OneLineErrors(TyperGroup):
    """The command group, with click's usage errors turned into one sentence and exit code 2."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from datacert.cli._output import say

        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "datacert"
            message = exc.format_message().rstrip(".")
            say(f"{message[:1].lower()}{message[1:]} (see `{where} --help`).")
            sys.exit(exc.exit_code)
        except typer.Abort:
            say("aborted.")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="datacert",
    help="Incoming quality control for medical AI training data: assay a dataset, issue a certificate, "
    "release it, release it after named corrections (prequalify), or reject it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_OneLineErrors,
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
