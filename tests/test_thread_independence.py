"""Model-based results do not depend on how many threads the machine gives the run.

The reference fit (gradient boosting on tables of 1,000+ records, L1 logistic otherwise) and the
learning curve built on it run with BLAS and OpenMP limited to one thread (datacert._threads), so
a run on a quiet laptop and one on a loaded server give the same certificate.
"""

from __future__ import annotations

import json

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
