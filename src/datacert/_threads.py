"""Model fits run on one thread, so a result never depends on the machine's cores or its load.

Gradient boosting sums gradients across OpenMP threads and threaded BLAS splits some reductions:
the same fit on one or two threads can differ in the last bits, and a tree split or an optimiser
step later that becomes a visible difference (a cross-validated AUC of 0.427282 against 0.427318
on the same table, run once alone and once on a loaded machine). On the table sizes datacert
fits, one thread is also faster on a shared machine: no spinning barriers (a 300 x 300 `eigh` took
3.8 s on two OpenBLAS threads of a loaded 2-core machine, 0.03 s on one). The assay runs every
check and figure this way; polars keeps its own thread pool.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
# the native thread pools SciPy and scikit-learn bring, as their wheels vendor them
# (package, folder beside the package, file names); numpy's OpenBLAS is loaded with numpy
_POOLS = (
    ("scipy", "scipy.libs", ("libscipy_openblas*.so*", "libopenblas*.so*")),
    ("sklearn", "scikit_learn.libs", ("libgomp*.so*",)),
)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def one_thread() -> AbstractContextManager[Any]:
    """BLAS and OpenMP thread pools limited to one thread for the `with` block."""
    global _controller
    if _controller is None:
        # the pools are found once: load the native libraries first (numpy's and scipy's separate
        # OpenBLAS builds, scikit-learn's OpenMP), or a pool loaded later would stay unlimited
        _load_pools()
        _controller = ThreadpoolController()
    return _controller.limit(limits=1)


def _load_pools() -> None:
    """Load SciPy's BLAS and scikit-learn's OpenMP runtime, without their Python packages if can be.

    Importing `scipy.linalg` and `sklearn` to reach these libraries cost every run 1.1 s CPU
    (scikit-learn imports scipy.stats and pandas), also runs that fit no model. The wheels vendor
    each library in a folder beside the package: loaded from there, it is the very library (same
    file and soname) the extension modules bind to when the package is imported later, so the
    limit set here holds for them. Where a package keeps its libraries elsewhere (conda, system
    builds), the package itself is imported, as before.
    """
    for package, folder, patterns in _POOLS:
        if not _load_vendored(package, folder, patterns):
            if package == "scipy":
                import scipy.linalg  # noqa: F401
            else:
                import sklearn.utils._openmp_helpers  # noqa: F401


def _load_vendored(package: str, folder: str, patterns: tuple[str, ...]) -> bool:
    """Load the package's vendored pool libraries (True), or say there are none (False)."""
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or spec.origin is None:
        return True  # not installed: it cannot start threads either
    libs = Path(spec.origin).parent.parent / folder
    found = sorted({path for pattern in patterns for path in libs.glob(pattern)})
    try:
        for path in found:
            ctypes.CDLL(str(path))
    except OSError:
        return False
    return bool(found)
