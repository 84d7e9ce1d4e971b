"""Library warnings silenced per thread while checks run side by side.

`warnings.catch_warnings` swaps the process-wide filter list: two checks silencing warnings on two
threads restore each other's lists in the wrong order, and the filters of the rest of the run end
up as one of them left them. While `per_thread_warnings()` is active, `ignoring()` therefore marks
its own thread only, and the warning a marked thread raises is dropped where the warnings module
hands a warning on for display (`warnings._showwarnmsg`, which both the C and the Python `warn`
call). Outside it, `ignoring()` is `catch_warnings` with an "ignore" filter, as before. The standard
library offers no per-thread filter before Python 3.14, hence this module.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_local = threading.local()
_guard = threading.Lock()
_active = 0  # how many `per_thread_warnings` blocks are open (nested runs share one wrapper)
_shown: Callable[[Any], None] | None = None  # the display hook the wrapper replaced


def routing() -> bool:
    """Whether `ignoring()` marks its thread instead of changing the process's filters."""
    return _active > 0


@contextmanager
def ignoring(category: type[Warning] = Warning) -> Iterator[None]:
    """Silence warnings of `category` (and its subclasses) raised in the block, on this thread."""
    if not routing():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category)
            yield
        return
    marks: list[type[Warning]] = _local.__dict__.setdefault("ignored", [])
    marks.append(category)
    try:
        yield
    finally:
        marks.pop()


@contextmanager
def per_thread_warnings() -> Iterator[None]:
    """While open, `ignoring()` on any thread silences that thread only (see the module's docstring).

    Where the warnings module has no `_showwarnmsg` to wrap, nothing changes: `ignoring()` keeps
    using the process's filters.
    """
    global _active, _shown
    if not hasattr(warnings, "_showwarnmsg"):
        yield
        return
    with _guard:
        if _active == 0:
            _shown = warnings._showwarnmsg
            warnings._showwarnmsg = _show_unless_ignored
        _active += 1
    try:
        yield
    finally:
        with _guard:
            _active -= 1
            if _active == 0:
                warnings._showwarnmsg = _shown
                _shown = None


def _show_unless_ignored(message: Any) -> None:
    marks = getattr(_local, "ignored", ())
    if any(issubclass(message.category, category) for category in marks):
        return
    shown = _shown
    if shown is not None:
        shown(message)
