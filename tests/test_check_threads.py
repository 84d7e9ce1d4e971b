"""Checks run two at a time on small tables: the same certificate as one at a time, bit for bit."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import polars as pl
import pytest
from tests.conftest import make_dataset

from datacert import _warnings
from datacert.artifacts import Artifacts
from datacert.artifacts import _store as artifact_store
from datacert.assay import certify
from datacert.checks import _runner, check_threads, run_checks
from datacert.profile import compute_profile


@pytest.fixture(scope="module")
def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return pl.from_pandas(load_breast_cancer(as_frame=True).frame)


def _certificate(frame: pl.DataFrame, threads: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(_runner.THREADS_VARIABLE, str(threads))
    return certify(make_dataset(frame, target="target"), figures=False).to_json(include_run=False)


def test_two_threads_give_the_certificate_of_one_on_a_real_table(breast_cancer, monkeypatch):
    # the Wisconsin breast cancer table: the reference fit, the learning curve and the label
    # checks all run, and two of them share the fit
    one = _certificate(breast_cancer, 1, monkeypatch)
    two = _certificate(breast_cancer, 2, monkeypatch)
    ran = {c["check"]: c["status"] for c in json.loads(one)["checks"]}
    assert ran["insufficient_sample_size"] in ("fired", "quiet")
    assert ran["label_issues"] in ("fired", "quiet")
    assert two == one


@pytest.mark.parametrize("threads", [1, 2])
def test_the_run_section_says_how_many_checks_ran_at_once(breast_cancer, monkeypatch, threads):
    monkeypatch.setenv(_runner.THREADS_VARIABLE, str(threads))
    data = make_dataset(breast_cancer, target="target")
    certificate = certify(data, figures=False, only=["constant_columns"])
    assert certificate.run["check_threads"] == threads


def test_outcomes_keep_the_registry_order_whatever_ran_first(breast_cancer):
    data = make_dataset(breast_cancer, target="target")
    profile = compute_profile(data.frame, dict(data.semantic_types))
    ids = ["univariate_outliers", "insufficient_sample_size", "constant_columns", "label_issues"]
    sequential = run_checks(data, profile, only=ids, threads=1)
    side_by_side = run_checks(make_dataset(breast_cancer, target="target"), profile, only=ids, threads=2)
    assert [o.check for o in side_by_side] == [o.check for o in sequential] == sorted(ids)
    assert [o.to_dict() for o in side_by_side] == [o.to_dict() for o in sequential]


def test_tables_of_middle_size_on_two_cores_run_two_checks_at_once(monkeypatch):
    monkeypatch.delenv(_runner.THREADS_VARIABLE, raising=False)
    monkeypatch.setattr(_runner.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    cells = _runner.SIDE_BY_SIDE_FROM_CELLS
    middle = make_dataset(pl.DataFrame({"a": np.arange(cells / 2), "b": np.ones(cells // 2)}))
    small = make_dataset(pl.DataFrame({"a": np.arange(cells / 2 - 1), "b": np.ones(cells // 2 - 1)}))
    assert check_threads(middle) == 2
    assert check_threads(small) == 1  # a run of a few tenths of a second: threads would contend
    monkeypatch.setattr(_runner, "SIDE_BY_SIDE_BYTES", middle.frame.estimated_size() - 1)
    assert check_threads(middle) == 1  # two checks' peaks would stack on a table this large
    monkeypatch.setattr(_runner, "SIDE_BY_SIDE_BYTES", 2**30)
    monkeypatch.setattr(_runner.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert check_threads(middle) == 1


@pytest.mark.parametrize(("value", "threads"), [("1", 1), ("3", 3), (" 2 ", 2)])
def test_the_variable_sets_the_number_of_threads(monkeypatch, value, threads):
    monkeypatch.setenv(_runner.THREADS_VARIABLE, value)
    assert check_threads(make_dataset(pl.DataFrame({"a": [1.0, 2.0]}))) == threads


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_number_of_threads_is_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv(_runner.THREADS_VARIABLE, value)
    with pytest.raises(ValueError, match=_runner.THREADS_VARIABLE):
        check_threads(make_dataset(pl.DataFrame({"a": [1.0, 2.0]})))
    data = make_dataset(pl.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="threads must be 1 or more"):
        run_checks(data, compute_profile(data.frame), only=["constant_columns"], threads=0)


def test_the_command_line_refuses_a_bad_number_of_threads(monkeypatch):
    from typer.testing import CliRunner

    from datacert.cli import app

    monkeypatch.setenv(_runner.THREADS_VARIABLE, "many")
    result = CliRunner().invoke(app, ["check", "--demo"])
    assert result.exit_code == 2
    assert _runner.THREADS_VARIABLE in result.output


def test_a_failure_outside_a_check_reaches_the_caller(monkeypatch):
    data = make_dataset(pl.DataFrame({"a": np.arange(50.0), "b": np.ones(50)}))
    real = _runner._run_one

    def interrupted(data, profile, item, progress):
        if item.check_id == "constant_columns":
            raise KeyboardInterrupt
        return real(data, profile, item, progress)

    monkeypatch.setattr(_runner, "_run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_checks(data, compute_profile(data.frame), only=["constant_columns", "missing_values"], threads=2)


def test_a_shared_entry_asked_for_by_two_threads_is_computed_once():
    data = make_dataset(pl.DataFrame({"a": [1.0, 2.0]}))
    computed, start = [], threading.Barrier(4)

    def slow() -> int:
        computed.append(1)
        time.sleep(0.05)
        return 42

    def ask(out: list[int]) -> None:
        start.wait()
        out.append(data.memo("entry", slow))

    results: list[int] = []
    threads = [threading.Thread(target=ask, args=(results,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 4
    assert computed == [1]


def test_an_artifact_asked_for_by_two_threads_is_computed_once(monkeypatch):
    data = make_dataset(pl.DataFrame({"a": [1.0, 2.0]}))
    computed, start = [], threading.Barrier(3)

    def slow(store: Artifacts) -> str:
        computed.append(1)
        time.sleep(0.05)
        return "built"

    monkeypatch.setitem(artifact_store._PROVIDERS, "feature_duplicates", slow)
    results: list[str] = []

    def ask() -> None:
        start.wait()
        results.append(Artifacts.of(data).get("feature_duplicates"))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["built"] * 3
    assert computed == [1]
    assert Artifacts.of(data).seconds["feature_duplicates"] > 0


def test_a_thread_silencing_warnings_leaves_the_other_threads_warnings_recorded():
    inside, done = threading.Event(), threading.Event()

    def quiet() -> None:
        with _warnings.ignoring():
            inside.set()
            warnings.warn("silenced", UserWarning, stacklevel=1)
            done.wait(5)

    with warnings.catch_warnings(record=True) as caught, _warnings.per_thread_warnings():
        warnings.simplefilter("always")
        worker = threading.Thread(target=quiet)
        worker.start()
        inside.wait(5)
        warnings.warn("kept", UserWarning, stacklevel=1)  # while the other thread is silenced
        done.set()
        worker.join()
        assert _warnings.routing()
    assert [str(w.message) for w in caught] == ["kept"]
    assert not _warnings.routing()


def test_without_routing_ignoring_is_a_plain_filter_and_leaves_the_filters_as_they_were():
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _warnings.ignoring(RuntimeWarning):
            warnings.warn("silenced", RuntimeWarning, stacklevel=1)
            warnings.warn("kept", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["kept"]
    assert warnings.filters == before


def _in_a_fresh_process(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_loading_for_a_check_imports_the_checks_on_a_background_thread():
    out = _in_a_fresh_process(
        "import sys, polars as pl\n"
        "from datacert.assay import load_dataset\n"
        "from datacert.checks import _registry, load_all_checks\n"
        "assert 'sklearn' not in sys.modules\n"
        "load_dataset(pl.DataFrame({'a': [1.0, 2.0]}), prefetch=True)\n"
        "started = _registry._prefetching is not None\n"
        "n = len(load_all_checks())\n"
        "print(started, _registry._prefetching.is_alive(), n == len(_registry.REGISTRY) > 30)\n"
    )
    assert out == "True False True"


def test_a_table_that_cannot_be_read_lets_the_background_import_finish_first(tmp_path):
    missing = tmp_path / "missing.csv"
    out = _in_a_fresh_process(
        "from datacert.assay import load_dataset\n"
        "from datacert.checks import _registry\n"
        "from datacert.io import InputError\n"
        "try:\n"
        f"    load_dataset({str(missing)!r}, prefetch=True)\n"
        "except InputError:\n"
        "    print('refused', _registry._prefetching.is_alive())\n"
    )
    assert out == "refused False"


def test_without_prefetch_loading_a_table_imports_no_check():
    out = _in_a_fresh_process(
        "import sys, polars as pl\n"
        "from datacert.assay import load_dataset\n"
        "from datacert.checks import _registry\n"
        "load_dataset(pl.DataFrame({'a': [1.0, 2.0]}))\n"
        "print(_registry._prefetching is None, 'sklearn' in sys.modules)\n"
    )
    assert out == "True False"


def test_a_dataset_travels_by_pickle_with_its_entries_and_fresh_locks():
    import pickle

    data = make_dataset(pl.DataFrame({"a": [1.0, 2.0, 3.0]}))
    data.memo("entry", lambda: 41)
    fingerprint = data.fingerprint
    copy = pickle.loads(pickle.dumps(data))
    assert copy.memo("entry", lambda: 0) == 41  # the cached entry came along
    assert copy.fingerprint == fingerprint
    assert copy._locks is not data._locks and copy._locks_guard is not data._locks_guard
    assert copy.memo("other", lambda: 7) == 7  # and new entries are computed under new locks


def test_after_a_failure_outside_a_check_no_thread_takes_a_further_check(monkeypatch):
    data = make_dataset(pl.DataFrame({"a": np.arange(50.0), "b": np.ones(50)}))
    started: list[str] = []
    real = _runner._run_one

    def interrupted_first(data, profile, item, progress):
        started.append(item.check_id)
        if len(started) == 1:
            raise KeyboardInterrupt  # as an interruption reaching a check's thread
        time.sleep(0.2)
        return real(data, profile, item, progress)

    monkeypatch.setattr(_runner, "_run_one", interrupted_first)
    ids = ["constant_columns", "missing_values", "empty_rows", "duplicate_rows", "type_mismatch"]
    with pytest.raises(KeyboardInterrupt):
        run_checks(data, compute_profile(data.frame), only=ids, threads=2)
    assert len(started) <= 2  # the check under way on the other thread finished, no other began
