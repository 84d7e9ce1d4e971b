"""Shared CLI plumbing: the guard every command runs under, one-line errors, progress on stderr.

`@guarded_command` gives a command the reading limits (`--max-field-bytes`, `--max-columns`,
`--max-rows`), `--timeout` and `--mkdir`, and turns everything that can go wrong into one sentence
on standard error and an exit code: 2 for bad input, an output that cannot be written or a limit
reached, 130/143 for SIGINT/SIGTERM, 1 only for a defect of datacert itself. Outputs are written
with `datacert.io.OutputSet`, which the guard's `--mkdir` configures.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from datacert.io import (
    InputError,
    OutputError,
    OutputSet,
    ReadLimits,
    output_settings,
    read_limits,
    register_output_hook,
)

EXIT_USAGE = 2
EXIT_INTERNAL = 1
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _audit_output(path: Path, data: bytes) -> bytes:
    """Every output of a command goes through the audit trail: signed under --sign, noted for the log."""
    from datacert.audit import on_output

    return on_output(path, data)


register_output_hook(_audit_output)


def one_line(message: str) -> str:
    """A message as one line of plain text: newlines and control characters never reach a terminal."""
    return _CONTROL.sub(
        lambda m: " " if m.group() in "\n\r\t" else f"\\x{ord(m.group()):02x}", message
    ).strip()


def say(message: str) -> None:
    """Print `datacert: message` on stderr as one unwrapped line."""
    sys.stderr.write(f"datacert: {one_line(message)}\n")
    sys.stderr.flush()


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one clear sentence on stderr and return the exit to raise."""
    say(message)
    return typer.Exit(code)


def _stop(message: str, code: int) -> None:
    """Remove every pending output, say why, and end the process at once.

    An exception raised from a signal handler can land inside a library that catches it (or
    inside an import it leaves half done), so the handler does the cleanup itself and exits.
    The renames of a set being committed hold the signals, so a set is never half written.
    """
    from datacert.io import discard_pending

    written = discard_pending()
    say(message + ("; the outputs were already written." if written else "; no output was written."))
    os._exit(code)


def _on_signal(signum: int, frame: Any) -> None:
    received = signal.Signals(signum)
    _stop(f"stopped by {received.name}", SIGNAL_EXIT[received])


def _on_timeout(signum: int, frame: Any) -> None:
    _stop("stopped: the run took longer than --timeout allows", EXIT_USAGE)


@contextmanager
def _signal_handlers(timeout: float) -> Iterator[None]:
    """SIGINT/SIGTERM and the --timeout alarm clean up and exit, for the time of one command."""
    try:
        previous = {s: signal.signal(s, _on_signal) for s in SIGNAL_EXIT}
    except ValueError:  # not the main thread (a test runner's worker): no handlers to install
        yield
        return
    if timeout > 0:
        previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, _on_timeout)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        if timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for s, handler in previous.items():
            signal.signal(s, handler)


_RUST_PANIC = re.compile(r"^thread '[^']*' (\(\d+\) )?panicked at ")


def drop_rust_panics(text: str) -> str:
    """`text` without the reports Rust's panic hook writes (header, message, backtrace, final note).

    polars raises a Rust panic as pyo3's PanicException, which the guard turns into one sentence;
    the hook has already written its report straight to file descriptor 2 by then, and polars
    offers no setting to silence it (its hook only mutes panics caused by Ctrl-C).
    """
    kept: list[str] = []
    in_panic = after_panic = False
    for line in text.splitlines(keepends=True):
        if _RUST_PANIC.match(line):
            in_panic = True
            if kept and not kept[-1].strip():  # the hook starts a report with a blank line
                kept.pop()
        elif in_panic and line.startswith("note: "):
            in_panic, after_panic = False, True
            continue
        if after_panic and not line.strip():  # the blank line that may follow a report
            continue
        after_panic = False
        if not in_panic:
            kept.append(line)
    return "".join(kept)


@contextmanager
def native_stderr_held() -> Iterator[None]:
    """Hold what native code writes on file descriptor 2 during a command; replay it without panics.

    Python's own `sys.stderr` (our one-sentence messages, the progress spinner) keeps going to the
    real standard error at once; only writes that bypass it (Rust panic reports, C libraries) are
    held in a temporary file and written after the command, with Rust panic reports removed.
    DATACERT_DEBUG=1 leaves standard error alone.
    """
    if os.environ.get("DATACERT_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2 (a detached process)
        yield
        return
    python_on_fd2 = _fileno(sys.stderr) == 2
    original = sys.stderr
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        if python_on_fd2:
            sys.stderr = open(
                saved, "w", encoding=original.encoding, errors="backslashreplace", closefd=False
            )
        try:
            yield
        finally:
            if python_on_fd2:
                sys.stderr.flush()
                sys.stderr = original
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            rest = drop_rust_panics(held.read().decode("utf-8", errors="replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()


def _fileno(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None


@contextmanager
def exit_on_errors(*input_errors: type[Exception]) -> Iterator[None]:
    """Bad input (InputError and the given kinds) -> one sentence, exit 2; anything else is our bug -> "
    "exit 1. What native code writes on standard error is held and replayed without Rust panic reports."""
    with native_stderr_held():
        with _errors_as_exits(*input_errors):
            yield


@contextmanager
def _errors_as_exits(*input_errors: type[Exception]) -> Iterator[None]:
    expected: tuple[type[Exception], ...] = (InputError, OutputError, *input_errors)
    try:
        yield
    except expected as exc:
        raise fail(str(exc)) from None
    except typer.Exit:
        raise
    except MemoryError:
        raise fail("the input needs more memory than this machine has; no output was written.") from None
    except RecursionError:
        raise fail("the input is nested too deeply to be read; no output was written.") from None
    except BaseException as exc:
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise  # SystemExit, KeyboardInterrupt: not a defect
        if os.environ.get("DATACERT_DEBUG"):
            raise
        raise fail(
            f"internal error (a defect of datacert; please report it): {type(exc).__name__}: {exc}",
            EXIT_INTERNAL,
        ) from None


def _run_option(
    name: str, annotation: type, default: Any, flag: str, help: str, **bounds: Any
) -> inspect.Parameter:
    """One keyword-only option that every guarded command gains (limits, timeout, --mkdir)."""
    option = typer.Option(default, flag, help=help, **bounds)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


_RUN_OPTIONS = [
    _run_option(
        "max_field_bytes",
        int,
        ReadLimits.max_field_bytes,
        "--max-field-bytes",
        "Refuse an input field or line longer than this many bytes.",
        min=1024,
    ),
    _run_option(
        "max_columns",
        int,
        ReadLimits.max_columns,
        "--max-columns",
        "Refuse an input with more columns.",
        min=1,
    ),
    _run_option(
        "max_rows", int, ReadLimits.max_rows, "--max-rows", "Refuse an input with more records.", min=1
    ),
    _run_option(
        "timeout", float, 0.0, "--timeout", "Stop with exit 2 after this many seconds (0: no limit).", min=0.0
    ),
    _run_option("mkdir", bool, False, "--mkdir", "Create missing folders of output paths."),
]


def guarded_command(func: Callable[..., None]) -> Callable[..., None]:
    """Run a command under the limits, the signal handlers, the warning capture and the error guard.

    Use it under `@app.command(...)`; the command itself writes its files with `OutputSet`.
    """
    signature = inspect.signature(func)
    names = {p.name for p in _RUN_OPTIONS}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        limits = ReadLimits(
            max_field_bytes=kwargs.pop("max_field_bytes", ReadLimits.max_field_bytes),
            max_columns=kwargs.pop("max_columns", ReadLimits.max_columns),
            max_rows=kwargs.pop("max_rows", ReadLimits.max_rows),
        )
        timeout = kwargs.pop("timeout", 0.0)
        mkdir = kwargs.pop("mkdir", False)
        with (
            exit_on_errors(),
            _signal_handlers(timeout),
            read_limits(limits),
            output_settings(mkdir),
            warnings.catch_warnings(),
        ):
            # library warnings never reach the terminal; the assay records them in `run.warnings`
            warnings.simplefilter("ignore")
            func(*args, **kwargs)

    params = [p for p in signature.parameters.values() if p.name not in names] + _RUN_OPTIONS
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return wrapper


def command_outputs(outputs: dict[str, Path | None], inputs: list[Path | None] | None = None) -> OutputSet:
    """The outputs of a command, validated now (before the run): a shorthand for OutputSet."""
    return OutputSet(outputs, inputs=inputs or [])


@contextmanager
def progress_display(enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A spinner on stderr naming the current step, only when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with stderr.status("profiling...") as status:
        yield lambda step: status.update(f"running {step}...")


def write_atomic(path: str | Path, content: str | bytes) -> None:
    """Write one file atomically through the output module (kept for callers of the old helper)."""
    from datacert.io import write_outputs

    write_outputs({"output": Path(path)}, {"output": content}, mkdir=True)


def guard_outputs_differ(inputs: Sequence[Path | None], outputs: Sequence[Path | None]) -> None:
    """Refuse outputs that are inputs (by name, symlink or hard link) or share a path, before the run."""
    named = {f"output {i + 1}": p for i, p in enumerate(outputs) if p is not None}
    OutputSet(named, inputs=[p for p in inputs if p is not None]).discard()
