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
