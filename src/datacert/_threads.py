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

from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None


def one_thread() -> AbstractContextManager[Any]:
    """BLAS and OpenMP thread pools limited to one thread for the `with` block."""
    global _controller
    if _controller is None:
        # the pools are found once: load the three native libraries first (numpy's and scipy's
        # separate OpenBLAS builds, scikit-learn's OpenMP), or a pool loaded later would stay unlimited
        import scipy.linalg  # noqa: F401
        import sklearn.utils._openmp_helpers  # noqa: F401

        _controller = ThreadpoolController()
    return _controller.limit(limits=1)
