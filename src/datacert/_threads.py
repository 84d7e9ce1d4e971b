"""Model fits run on one thread, so a result never depends on the machine's cores or its load.

Gradient boosting sums gradients across OpenMP threads and threaded BLAS splits some reductions:
the same fit on one or two threads can differ in the last bits, and a tree split or an optimiser
step later that becomes a visible difference (a cross-validated AUC of 0.427282 against 0.427318
on the same table, run once alone and once on a loaded machine). On the table sizes datacert
fits, one thread is also faster on a shared machine: no spinning barriers.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None


def one_thread() -> AbstractContextManager[Any]:
    """BLAS and OpenMP thread pools limited to one thread for the `with` block."""
    global _controller
    if _controller is None:  # found on first use, once scikit-learn's native libraries are loaded
        _controller = ThreadpoolController()
    return _controller.limit(limits=1)
