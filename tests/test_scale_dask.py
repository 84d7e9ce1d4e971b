"""The Dask engine gives the single-machine pass's results on the same data.

One LocalCluster of 2 worker processes serves every test here (starting one costs seconds). The
tables are scikit-learn's breast cancer cohort (569 real records) with an identifier column, cut
into several files with small row groups, so that a few hundred records make many partitions and
the records of one identifier fall in different partitions and hash buckets.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from datacert.roles import Roles
from datacert.scale._assay import whole_table_pass

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler():
    from datacert.scale._dask import ONE_THREAD

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=ONE_THREAD
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    return pl.concat([frame, frame[[3, 50, 51, 400]]])  # four copied records at the end


def _write(frame: pl.DataFrame, folder, sizes: list[int]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    start = 0
    for i, size in enumerate(sizes):
        frame.slice(start, size).write_parquet(folder / f"part-{i:02d}.parquet", row_group_size=50)
        start += size
    return str(folder / "*.parquet")


def _same_pass(a, b) -> None:
    assert a.fingerprint == b.fingerprint
    assert a.sample.equals(b.sample)
    assert _partials_equal(a.partial, b.partial)
    for name in ("duplicate_records", "repeated_ids", "missing_ids"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert (x.n_groups, x.n_rows, x.pairs, x.groups) == (y.n_groups, y.n_rows, y.pairs, y.groups), (
                name
            )
            assert x.rows.tolist() == y.rows.tolist(), name


def _partials_equal(a, b) -> bool:
    """Bit for bit: the same fold in the same order gives the same floats."""
    for field in a.__dataclass_fields__:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                return False
        elif isinstance(x, dict):
            if x.keys() != y.keys() or not all(np.array_equal(x[k], y[k], equal_nan=True) for k in x):
                return False
        elif isinstance(x, tuple) and x and isinstance(x[0], np.ndarray):
            if not all(np.array_equal(p, q) for p, q in zip(x, y, strict=True)):
                return False
        elif x != y:
            return False
    return True


@pytest.mark.parametrize(
    "ids",
    [
        pytest.param("increasing", id="increasing ids (spans, no keys)"),
        pytest.param("shuffled", id="shuffled ids with repeats (hashed in the scan)"),
        pytest.param("overlapping", id="increasing in each file, overlapping across files (hashed again)"),
    ],
)
def test_the_dask_pass_equals_the_streaming_pass(tmp_path, cohort, scheduler, ids):
    n = cohort.height
    values = np.arange(n, dtype=np.int64) * 3
    if ids == "shuffled":
        values = np.random.default_rng(0).permutation(values)
        values[[10, 300, 560]] = values[5]  # one identifier held by four records in three files
    elif ids == "overlapping":
        values = np.concatenate([np.arange(200) * 3, np.arange(190) * 3 + 1, np.arange(n - 390) * 3 + 2])
        values[390] = 0  # the third file starts with the first file's first identifier
    frame = cohort.with_columns(pl.Series("record_id", values))
    source = _write(frame, tmp_path / ids, [200, 190, n - 390])
    roles = Roles.build(id="record_id", target="target")
    _, _, streaming = whole_table_pass(source, roles, sample_rows=120)
    _, _, dask = whole_table_pass(source, roles, engine="dask", scheduler=scheduler, sample_rows=120)
    assert dask.engine["name"] == "dask" and dask.engine["workers"] == 2
    assert len(dask.engine["worker_cpu_seconds"]) == 2
    _same_pass(dask, streaming)
    assert dask.duplicate_records.n_groups == 4
    if ids == "shuffled":
        assert dask.repeated_ids.n_groups == 1 and dask.repeated_ids.n_rows == 4
    elif ids == "overlapping":
        assert dask.repeated_ids.groups == ((0, 390),)
    else:
        assert dask.repeated_ids.n_groups == 0


def test_checks_are_spread_with_the_fit_sharers_together_on_the_first_worker():
    from datacert.scale._assay import assign_checks

    checks = [("a_count", False, 0.02), ("label_issues", True, 0.1), ("multivariate_outliers", False, 0.65)]
    checks += [("insufficient_sample_size", True, 0.65), ("poisoning_suspected", False, 0.65)]
    checks += [("z_count", False, 0.02)]
    groups = assign_checks(checks, ["w0", "w1"])
    assert groups == assign_checks(list(reversed(checks)), ["w0", "w1"])  # order of the list: no matter
    assert {"label_issues", "insufficient_sample_size"} <= set(groups["w0"])
    assert sorted(c for ids in groups.values() for c in ids) == sorted(c for c, _, _ in checks)
    assert {"multivariate_outliers", "poisoning_suspected"} <= set(groups["w1"])  # the fit's worker is full


def test_the_dask_check_runs_its_checks_on_both_workers_and_certifies_as_streaming(
    tmp_path, cohort, scheduler
):
    from datacert.scale import check_partitioned

    source = _write(cohort, tmp_path / "assay", [200, 190, cohort.height - 390])
    roles = Roles.build(target="target")
    streaming = check_partitioned(source, roles, sample_rows=300)
    dask = check_partitioned(source, roles, engine="dask", scheduler=scheduler, sample_rows=300)
    groups = dask.run["engine"]["check_groups"]
    assert len(groups) == 2 and all(groups)
    assert dask.to_dict(include_run=False) == streaming.to_dict(include_run=False)
    assert dask.run["warnings"] == streaming.run["warnings"]
