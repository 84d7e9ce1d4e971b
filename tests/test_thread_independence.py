"""Model-based results do not depend on how many threads the machine gives the run.

The reference fit (gradient boosting on tables of 1,000+ records, L1 logistic otherwise) and the
learning curve built on it run with BLAS and OpenMP limited to one thread (datacert._threads), so
a run on a quiet laptop and one on a loaded server give the same certificate.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from tests.conftest import run_one
from threadpoolctl import threadpool_info, threadpool_limits

from datacert._threads import one_thread


def _table(n: int = 1_200, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(size=n) > 0).astype(np.int8)
    return pl.DataFrame(x, schema=[f"x{i}" for i in range(8)]).with_columns(pl.Series("y", y))


def _learning_curve_under(threads: int) -> dict:
    with threadpool_limits(limits=threads):
        outcome = run_one("insufficient_sample_size", _table(), target="y")
    return json.loads(json.dumps(outcome.evidence, sort_keys=True, default=str))


def test_the_reference_fit_and_learning_curve_are_the_same_on_one_and_two_threads():
    one, two = _learning_curve_under(1), _learning_curve_under(2)
    assert one["reference_model"] == "hist_gradient_boosting"  # the OpenMP model is compared
    assert "curve_parameters" in one
    assert one == two


def test_one_thread_limits_blas_and_openmp_inside_and_restores_them_after():
    with threadpool_limits(limits=2):
        before = [i["num_threads"] for i in threadpool_info()]
        with one_thread():
            assert all(i["num_threads"] == 1 for i in threadpool_info())
        assert [i["num_threads"] for i in threadpool_info()] == before


def test_one_thread_also_limits_the_pools_of_packages_imported_inside_the_block():
    # a fresh interpreter: scikit-learn and scipy.linalg are not imported when the block starts,
    # as in a run whose first model check imports them on first use
    probe = (
        "import json, sys, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from datacert._threads import one_thread\n"
        "with one_thread():\n"
        "    early = 'sklearn' in sys.modules\n"
        "    import scipy.linalg, sklearn.ensemble\n"
        "    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads\n"
        "    pools = [(i['internal_api'], i['num_threads']) for i in threadpool_info()]\n"
        "    print(json.dumps([early, _openmp_effective_n_threads(), pools]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    early, omp_threads, pools = json.loads(out)
    sklearn_dir = Path(str(importlib.util.find_spec("sklearn").origin)).parent
    vendored = (sklearn_dir.parent / "scikit_learn.libs").is_dir()
    assert early is not vendored  # from a wheel, the block loads OpenMP without importing scikit-learn
    assert omp_threads == 1
    assert {api for api, _ in pools} == {"openmp", "openblas"} and all(n == 1 for _, n in pools)
