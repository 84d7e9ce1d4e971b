"""Outputs of a run, written as a set: validated before the run, committed together at its end.

Every command that writes files goes through `OutputSet`:

    with OutputSet({"--json": json_out, "--html": html_out}, inputs=[path]) as outputs:
        ...the run...
        outputs.write("--json", certificate.to_json())

Creating the set checks every destination before any work is done (a folder, a missing parent, a
read-only folder, an input file reached by name, symlink or hard link, two options on one path)
and reserves a temporary file beside each destination, which proves the folder is writable. The
contents go to the temporary files as the run produces them; leaving the block renames them all
into place, and an error or a signal inside the block removes them, so a failed run leaves nothing.

An existing symlink is written through (its target is replaced, the link stays); a character
device, FIFO or socket (`/dev/stdout`, `/dev/null`, a named pipe) is opened and written, never
replaced by a regular file.
"""

from __future__ import annotations

import contextvars
import errno
import os
import re
import signal
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

# the `--mkdir` setting of the running command; API callers pass mkdir= explicitly
_MKDIR: contextvars.ContextVar[bool] = contextvars.ContextVar("datacert_output_mkdir", default=False)


# sets not yet committed or discarded, so that a signal handler can remove their temporary files
_PENDING: set[OutputSet] = set()
_COMMITTED = [False]


# Functions every output passes through before it is staged (path, bytes) -> bytes: the command
# line registers the audit trail's, which signs JSON documents under --sign and notes the file for
# the audit event. A registry keeps io free of any dependency on the packages built on top of it.
OUTPUT_HOOKS: list[Callable[[Path, bytes], bytes]] = []


def register_output_hook(hook: Callable[[Path, bytes], bytes]) -> None:
    """Pass every output written by an OutputSet through `hook` (registered once)."""
    if hook not in OUTPUT_HOOKS:
        OUTPUT_HOOKS.append(hook)


def discard_pending() -> bool:
    """Remove the temporary files of every live set; True when some set was already committed."""
    for pending in list(_PENDING):
        pending.discard()
    return _COMMITTED[0]


class OutputError(Exception):
    """An output cannot be written: one sentence a user can act on, mapped to exit code 2."""


@contextmanager
def output_settings(mkdir: bool) -> Iterator[None]:
    """Set the default of `OutputSet(mkdir=...)` for the commands run inside the block."""
    token = _MKDIR.set(mkdir)
    try:
        yield
    finally:
        _MKDIR.reset(token)


@dataclass
class _Destination:
    option: str
    given: Path  # as the user wrote it, for messages
    target: Path  # where the bytes land: symlinks followed
    special: bool  # a device, FIFO or socket: written through, never renamed over
    mode: int | None  # permissions of the file replaced, kept on the new one
    temp: Path | None = None
    pending: bytes | None = None  # contents for a special file, written at commit
    written: bool = False
    created_dirs: list[Path] = field(default_factory=list)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    return (exc.strerror or type(exc).__name__).lower()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _is_special_name(path: Path) -> bool:
    """Paths under /dev and /proc (e.g. /dev/stdout -> /proc/self/fd/1) are streams, not files."""
    absolute = Path(os.path.abspath(path))
    return absolute.parts[1:2] in (("dev",), ("proc",))


class OutputSet:
    """The files one run writes, validated up front and committed as a set (see the module doc)."""

    def __init__(
        self,
        outputs: Mapping[str, str | Path | None],
        inputs: Iterable[str | Path | None] = (),
        mkdir: bool | None = None,
    ) -> None:
        self._mkdir = _MKDIR.get() if mkdir is None else mkdir
        self._destinations: dict[str, _Destination] = {}
        self._closed = False
        input_ids = {}
        input_names = {}
        for p in inputs:
            if p is None:
                continue
            ident = _identity(Path(p))
            if ident is not None:
                input_ids[ident] = Path(p)
            input_names[os.path.realpath(p)] = Path(p)
        seen: dict[str, str] = {}
        seen_ids: dict[tuple[int, int], str] = {}
        try:
            for option, value in outputs.items():
                if value is None:
                    continue
                given = Path(value)
                dest = self._validate(option, given, input_ids, input_names)
                key = os.path.realpath(dest.target) if not dest.special else os.path.abspath(given)
                ident = _identity(dest.target)
                other = seen.get(key) or (seen_ids.get(ident) if ident else None)
                if other is not None:
                    raise OutputError(
                        f"{other} and {option} both name {given}: give each output its own file."
                    )
                seen[key] = option
                if ident:
                    seen_ids[ident] = option
                self._destinations[option] = dest
            _PENDING.add(self)
            for dest in self._destinations.values():
                self._reserve(dest)
        except BaseException:
            self.discard()
            raise

    # -- validation ------------------------------------------------------------------------------
    def _validate(
        self,
        option: str,
        given: Path,
        input_ids: dict[tuple[int, int], Path],
        input_names: dict[str, Path],
    ) -> _Destination:
        if str(given) == "" or str(given).endswith(os.sep):
            raise OutputError(f"{option} needs a file name, not {str(given)!r}.")
        ident = _identity(given)
        if (ident is not None and ident in input_ids) or os.path.realpath(given) in input_names:
            raise OutputError(
                f"refusing to write {option} {given}: it is an input file "
                "(by name, symlink or hard link), and inputs are never modified."
            )
        try:
            st = os.stat(given)
        except FileNotFoundError:
            st = None
        except NotADirectoryError:
            blocker = next(p for p in given.parents if p.exists())
            raise OutputError(f"cannot write {option} {given}: {blocker} is not a folder.") from None
        except OSError as exc:
            raise OutputError(f"cannot write {option} {given}: {_reason(exc)}.") from None
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                raise OutputError(f"cannot write {option} {given}: it is a folder; give a file name.")
            if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):
                if not os.access(given, os.W_OK):
                    raise OutputError(f"cannot write {option} {given}: permission denied.")
                return _Destination(option, given, given, special=True, mode=None)
            if not stat.S_ISREG(st.st_mode):
                raise OutputError(
                    f"cannot write {option} {given}: it is neither a regular file nor a stream."
                )
            if not os.access(given, os.W_OK):
                raise OutputError(f"cannot write {option} {given}: the file is read-only.")
            target = Path(os.path.realpath(given))
            if _is_special_name(given) and not _is_special_name(target):
                # /dev/stdout redirected to a file: write into the shell's file, never rename over it
                return _Destination(option, given, given, special=True, mode=None)
            return _Destination(option, given, target, special=False, mode=stat.S_IMODE(st.st_mode))
        if os.path.islink(given):  # a dangling symlink: create the file it points to
            target = Path(os.path.realpath(given))
        else:
            target = Path(os.path.abspath(given))
        parent = target.parent
        if not parent.exists():
            if not self._mkdir:
                raise OutputError(
                    f"cannot write {option} {given}: the folder {parent} does not exist "
                    "(create it, or add --mkdir)."
                )
            return _Destination(option, given, target, special=False, mode=None)
        if not parent.is_dir():
            raise OutputError(f"cannot write {option} {given}: {parent} is not a folder.")
        return _Destination(option, given, target, special=False, mode=None)

    def _reserve(self, dest: _Destination) -> None:
        """Create the temporary file now: it proves the folder is writable before the run starts."""
        if dest.special:
            return
        parent = dest.target.parent
        try:
            if not parent.exists():
                missing = []
                p = parent
                while not p.exists():
                    missing.append(p)
                    p = p.parent
                parent.mkdir(parents=True, exist_ok=True)
                dest.created_dirs = missing  # deepest first, removed again if the run fails
            # a signal between creating the file and recording it would leave the file behind
            with _signals_deferred():
                fd, tmp = tempfile.mkstemp(prefix=f".{dest.target.name}.", suffix=".tmp", dir=parent)
                dest.temp = Path(tmp)
                os.close(fd)
        except OSError as exc:
            raise OutputError(f"cannot write {dest.option} {dest.given}: {_reason(exc)}.") from None

    # -- writing ---------------------------------------------------------------------------------
    @property
    def options(self) -> list[str]:
        return list(self._destinations)

    def __contains__(self, option: str) -> bool:
        return option in self._destinations

    def path(self, option: str) -> Path | None:
        dest = self._destinations.get(option)
        return dest.given if dest else None

    def write(self, option: str, content: str | bytes) -> None:
        """Stage the contents of one output; nothing is visible at its path before `commit`."""
        dest = self._destinations.get(option)
        if dest is None:
            return  # the user did not ask for this output
        if self._closed:
            raise RuntimeError("this OutputSet was already committed or discarded")
        data = content.encode("utf-8") if isinstance(content, str) else content
        for hook in OUTPUT_HOOKS:
            data = hook(Path(dest.given), data)
        if dest.special:
            dest.pending = data
            dest.written = True
            return
        assert dest.temp is not None
        try:
            with open(dest.temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise OutputError(f"cannot write {option} {dest.given}: {_reason(exc)}.") from None
        dest.written = True

    def commit(self) -> None:
        """Rename every staged output into place; SIGINT/SIGTERM wait until the set is complete."""
        if self._closed:
            return
        with _signals_deferred():
            try:
                # devices and pipes first: a write through them can still fail (a full disk, a closed
                # pipe) and cannot be undone, so no file of the set is renamed into place before
                for dest in sorted(self._destinations.values(), key=lambda d: not d.special):
                    if dest.written:
                        self._commit_one(dest)
            except BaseException:
                self.discard()
                raise
            for dest in self._destinations.values():
                if dest.temp is not None and dest.temp.exists():
                    dest.temp.unlink(missing_ok=True)
            self._closed = True
            _PENDING.discard(self)
            _COMMITTED[0] = _COMMITTED[0] or any(d.written for d in self._destinations.values())

    def _commit_one(self, dest: _Destination) -> None:
        try:
            if dest.special:
                _write_through(dest.given, dest.pending or b"")
                return
            assert dest.temp is not None
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(dest.temp, dest.mode if dest.mode is not None else 0o666 & ~umask)
            os.replace(dest.temp, dest.target)
            dest.temp = None
            dest.created_dirs = []
        except OSError as exc:
            raise OutputError(f"cannot write {dest.option} {dest.given}: {_reason(exc)}.") from None

    def discard(self) -> None:
        """Remove every temporary file (and any folder --mkdir created for this run)."""
        for dest in self._destinations.values():
            if dest.temp is not None:
                try:
                    dest.temp.unlink(missing_ok=True)
                except OSError:
                    pass
                dest.temp = None
            for folder in dest.created_dirs:
                try:
                    folder.rmdir()
                except OSError:
                    break
            dest.created_dirs = []
        self._closed = True
        _PENDING.discard(self)

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


_FD_NAMES = {"/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATTERN = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")


def _write_through(path: Path, data: bytes) -> None:
    """Write into an open stream of this process by its descriptor, or open a device or FIFO."""
    name = os.path.abspath(path)
    match = _FD_PATTERN.match(name)
    fd = _FD_NAMES.get(name, int(match.group(1)) if match else None)
    if fd is not None:
        if fd in (1, 2):
            import sys

            (sys.stdout if fd == 1 else sys.stderr).flush()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return
    with open(path, "wb") as handle:
        handle.write(data)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while a temporary file is created or a set renamed into place.

    So a set is never left half committed and no temporary file exists that discard() cannot see.
    """
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not the main thread, or no POSIX signals
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_outputs(
    outputs: Mapping[str, str | Path | None],
    contents: Mapping[str, str | bytes],
    inputs: Iterable[str | Path | None] = (),
    mkdir: bool | None = None,
) -> None:
    """Validate, write and commit a set of outputs in one call (for callers with contents in hand)."""
    with OutputSet(outputs, inputs=inputs, mkdir=mkdir) as out:
        for option, content in contents.items():
            out.write(option, content)
