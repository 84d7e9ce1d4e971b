"""Property-based fuzzing of the readers and the command line (bounded; the long run is a benchmark).

Inputs are real small tables mutated by hypothesis (truncations, bit flips, NULs, quotes,
delimiters, re-encodings, huge fields, random bytes): a reader returns a table or raises
InputError; `datacert check` exits 0, 2, 3 or 4 with no traceback, writes nothing on exit 2
and never changes its input. `python -m benchmarks.fuzz --minutes 30` runs the same properties
for longer.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from benchmarks.fuzz import MUTATIONS, TARGETS, mutate, run_cli, run_reader, seed_files  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = dict(
    deadline=None,
    derandomize=True,  # the same inputs on every run: the suite stays deterministic
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def _seeds() -> dict[str, bytes]:
    return seed_files()


steps = st.lists(
    st.tuples(
        st.integers(0, len(MUTATIONS) - 1),
        st.floats(0, 1, exclude_max=True),
        st.floats(0, 1, exclude_max=True),
    ),
    min_size=1,
    max_size=3,
)
seed_names = st.sampled_from(
    ["cancer.csv", "cancer_fr.csv", "cancer.tsv", "demo.csv", "cancer.parquet", "cancer.xlsx", "demo.jsonl"]
)


def _write(name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="datacert-fuzz-"))
    path = folder / name
    path.write_bytes(data)
    return path


@settings(max_examples=120, **SETTINGS)
@given(name=seed_names, mutations=steps)
def test_readers_return_a_table_or_one_input_error(name, mutations):
    path = _write(name, mutate(_seeds()[name], mutations))
    outcome = run_reader(path)
    assert outcome.problem is None, outcome.problem


@settings(max_examples=60, **SETTINGS)
@given(
    data=st.binary(min_size=0, max_size=2048),
    suffix=st.sampled_from([".csv", ".parquet", ".xlsx", ".jsonl", ".xpt", ""]),
)
def test_random_bytes_never_escape_the_readers(data, suffix):
    outcome = run_reader(_write(f"random{suffix}", data))
    assert outcome.problem is None, outcome.problem


@pytest.mark.slow
@settings(max_examples=14, phases=[Phase.explicit, Phase.generate], **SETTINGS)
@given(name=seed_names, mutations=steps, with_target=st.booleans())
def test_check_command_exits_cleanly_on_mutated_files(name, mutations, with_target):
    path = _write(name, mutate(_seeds()[name], mutations))
    out_dir = path.parent / "out"
    out_dir.mkdir()
    target = TARGETS[name.split(".")[0].split("_")[0]] if with_target else None
    outcome = run_cli(path, out_dir, target)
    assert outcome.problem is None, outcome.problem


def test_a_parquet_file_that_makes_the_reader_panic_is_one_input_error():
    """Found by `python -m benchmarks.fuzz`: a NUL and a bit flip in a page make polars panic in Rust."""
    steps = [(2, 0.2965088687873769, 0.33758329515841157), (1, 0.29761781440687995, 0.32066824126940385)]
    path = _write("cancer.parquet", mutate(_seeds()["cancer.parquet"], steps))
    outcome = run_reader(path)
    assert outcome.problem is None and outcome.exit_code == 2, outcome
    out_dir = path.parent / "out"
    out_dir.mkdir()
    outcome = run_cli(path, out_dir, "target")
    assert outcome.problem is None and outcome.exit_code == 2, outcome


def test_a_rust_panic_report_never_reaches_standard_error():
    """polars' panic hook writes its report (and a backtrace under RUST_BACKTRACE) to descriptor 2
    before Python sees the exception: the user must see our one sentence only."""
    import os
    import subprocess
    import sys

    steps = [(2, 0.2965088687873769, 0.33758329515841157), (1, 0.29761781440687995, 0.32066824126940385)]
    path = _write("cancer.parquet", mutate(_seeds()["cancer.parquet"], steps))
    env = {**os.environ, "RUST_BACKTRACE": "1"}
    env.pop("DATACERT_DEBUG", None)
    run = subprocess.run(
        [sys.executable, "-m", "datacert", "check", str(path), "--json", str(path.parent / "c.json")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "panicked" not in run.stderr, run.stderr
    assert "damaged" in run.stderr and not (path.parent / "c.json").exists()


def test_rust_panic_reports_are_dropped_and_other_native_output_kept():
    from datacert.cli._output import drop_rust_panics

    held = (
        "kept before\n\n"
        "thread 'async-executor-0' (18332) panicked at crates/x.rs:329:9:\n"
        "assertion failed: offset + length <= self.length\n"
        "stack backtrace:\n   0: rust_begin_unwind\n"
        "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n"
        "thread '<unnamed>' panicked at src/lib.rs:1:1:\nboom\n"
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n"
        "kept after\n"
    )
    assert drop_rust_panics(held) == "kept before\nkept after\n"


@pytest.mark.parametrize("values", [["-inf", "3"], ["nan", "4"], ["inf", "5"], ["99999999999999999999", "6"]])
def test_integer_looking_columns_with_non_integers_are_read_as_floats(values):
    """Found by `python -m benchmarks.fuzz`: `-inf` in an integer column (no decimal mark) made the
    Int64 cast fail, an internal error in every command."""
    import polars as pl

    from datacert.io import read_table

    rows = "\n".join(f"{i},{v}" for i, v in enumerate(values))
    path = _write("ints.csv", f"id,value\n{rows}\n".encode())
    frame = read_table(path).frame
    assert frame.schema["value"] == pl.Float64 and frame.schema["id"] == pl.Int64
    wide = ",".join(f"c{i}" for i in range(2_001))
    path = _write(
        "wide.csv", (wide + "\n" + "\n".join(",".join([v] * 2_001) for v in values) + "\n").encode()
    )
    assert read_table(path).frame.schema["c0"] == pl.Float64  # the long-form typing of wide tables


def test_the_fuzzed_demo_file_with_minus_inf_in_age_is_read():
    """The input of the long fuzz run (seed 2) that found the -inf defect, through the reader."""
    steps = [
        (15, 0.7588024908580983, 0.21520988504513416),
        (10, 0.7399648217918489, 0.9196034691773229),
        (17, 0.7136991646130494, 0.37499610663300986),
    ]
    outcome = run_reader(_write("demo.csv", mutate(_seeds()["demo.csv"], steps)))
    assert outcome.problem is None and outcome.exit_code == 0, outcome
