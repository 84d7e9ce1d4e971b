"""Shared CLI plumbing: atomic writes, error exits, progress on stderr."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

EXIT_USAGE = 2
EXIT_INTERNAL = 1

stderr = Console(stderr=True, highlight=False)


def write_atomic(path: str | Path, content: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    from datacert.audit import on_output

    data = on_output(path, data)  # signs JSON documents under --sign and notes the output for the audit log
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600; outputs get the usual permissions
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one clear sentence on stderr and return the exit to raise."""
    stderr.print(f"datacert: {message}", markup=False, highlight=False)
    return typer.Exit(code)


@contextmanager
def exit_on_errors(*input_errors: type[Exception]) -> Iterator[None]:
    """Bad input (InputError and the given kinds) -> one sentence, exit 2; anything else is our bug -> exit 1."""
    from datacert.io import InputError

    try:
        yield
    except (InputError, *input_errors) as exc:
        raise fail(str(exc)) from None
    except typer.Exit:
        raise
    except Exception as exc:
        raise fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL) from exc


def guard_outputs_differ(inputs: list[Path], outputs: list[Path | None]) -> None:
    """Refuse to overwrite an input file with an output."""
    resolved = {p.resolve() for p in inputs if p is not None}
    for out in outputs:
        if out is not None and Path(out).resolve() in resolved:
            raise fail(f"refusing to write {out}: it is an input file, and inputs are never modified.")


@contextmanager
def progress_display(enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A spinner on stderr naming the current step, only when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with stderr.status("profiling...") as status:
        yield lambda step: status.update(f"running {step}...")
