"""Give freed memory back to the system soon: glibc's heap between checks, polars' allocator on a
shorter timer.

A check's transient arrays (a float copy of the sampled rows, a mask, a sort) are freed when it
ends, but glibc keeps the freed pages of its heaps mapped for reuse: on a 1,000,000 x 50 table
the process grew from about 860 to 1,000 MB over the run with nothing held, and every check's
own peak was stacked on that. `malloc_trim(0)` returns those pages (also from the middle of a
heap), so each check starts from what the run really holds. It is a glibc call with no Python
binding in the standard library or a maintained package, hence ctypes. Elsewhere (musl, macOS,
Windows) there is no such call and nothing is done.

polars allocates through its own jemalloc, which keeps freed pages for `dirty_decay_ms` (polars
sets 500) and then, still resident, for `muzzy_decay_ms` (1000): a check's polars work was
still resident while the next checks ran. polars reads `_RJEM_MALLOC_CONF` once, when it loads,
and appends it to its own settings; datacert sets it on import, before the engine loads, unless
polars is already loaded or the variable holds a value other than the one polars writes itself.
On the 1,000,000 x 50 benchmark table the run's peak fell from 953-972 to 906-913 MB at the same
CPU time (three runs each, one machine).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable
from functools import cache

POLARS_ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"
# freed pages kept 200 ms, then returned (not marked lazily free, which still counts as resident)
POLARS_ALLOCATOR_SETTINGS = "dirty_decay_ms:200,muzzy_decay_ms:0"


# what polars itself writes into the variable when it loads (polars 2.1, polars/__init__.py): a
# process started by one that imported polars inherits it, and it is not a choice of the user's
POLARS_OWN_SETTINGS = (
    "dirty_decay_ms:500,muzzy_decay_ms:1000",
    "dirty_decay_ms:500,muzzy_decay_ms:1000,thp:always,metadata_thp:always",
)


def configure_polars_allocator() -> bool:
    """Shorten polars' jemalloc decay before polars loads; False when it is too late or the user
    chose a setting (the variable is then left as it is, also when set empty)."""
    if "polars" in sys.modules:
        return False
    chosen = os.environ.get(POLARS_ALLOCATOR_VARIABLE)
    if chosen is not None and chosen not in POLARS_OWN_SETTINGS:
        return False
    os.environ[POLARS_ALLOCATOR_VARIABLE] = POLARS_ALLOCATOR_SETTINGS
    return True


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # no C library by that name, or not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def return_free_memory() -> bool:
    """Return the C heap's free pages to the system; True when the platform could do it."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
