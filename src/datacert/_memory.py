"""Give the C allocator's free pages back to the system between checks.

A check's transient arrays (a float copy of the sampled rows, a mask, a sort) are freed when it
ends, but glibc keeps the freed pages of its heaps mapped for reuse: on a 1,000,000 x 50 table
the process grew from about 860 to 1,000 MB over the run with nothing held, and every check's
own peak was stacked on that. `malloc_trim(0)` returns those pages (also from the middle of a
heap), so each check starts from what the run really holds. It is a glibc call with no Python
binding in the standard library or a maintained package, hence ctypes. Elsewhere (musl, macOS,
Windows) there is no such call and nothing is done. Memory that polars and pyarrow allocate has
its own allocator and is not touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


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
