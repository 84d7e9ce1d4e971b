"""Returning the C heap's free pages between checks: done where glibc has the call, skipped elsewhere."""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from tests.conftest import make_dataset

from datacert import _memory
from datacert.checks import _runner
from datacert.profile import compute_profile


@pytest.fixture(autouse=True)
def _fresh_lookup():
    _memory._malloc_trim.cache_clear()
    yield
    _memory._malloc_trim.cache_clear()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is a glibc call")
def test_free_pages_are_returned_on_glibc():
    assert _memory.return_free_memory() is True


def test_nothing_is_done_without_a_c_library(monkeypatch):
    def no_library(name):
        raise OSError("no such library")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert _memory.return_free_memory() is False


def test_nothing_is_done_when_the_c_library_has_no_trim(monkeypatch):
    class OtherLibc:  # musl, macOS: a C library without malloc_trim
        pass

    monkeypatch.setattr(ctypes, "CDLL", lambda name: OtherLibc())
    assert _memory.return_free_memory() is False


@pytest.mark.parametrize(("height", "calls"), [("below", 0), ("at", 2)])
def test_the_runner_returns_free_pages_after_each_check_of_a_tall_table(monkeypatch, height, calls):
    rows = _runner.TRIM_FROM_ROWS - (1 if height == "below" else 0)
    returned = []
    monkeypatch.setattr(_runner, "return_free_memory", lambda: returned.append(1) or True)
    data = make_dataset(pl.DataFrame({"a": np.arange(rows, dtype=np.float64), "b": np.ones(rows)}))
    _runner.run_checks(data, compute_profile(data.frame), only=["missing_values", "constant_columns"])
    assert len(returned) == calls


def _allocator_setting_after(code: str, **environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != _memory.POLARS_ALLOCATOR_VARIABLE}
    env.update(environment)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}; import os; print(os.environ.get({_memory.POLARS_ALLOCATOR_VARIABLE!r}))",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout.strip()


def test_importing_datacert_first_shortens_polars_allocator_decay():
    # polars appends the setting to its own defaults when it loads: the later value wins
    setting = _allocator_setting_after("import datacert; import polars")
    assert setting.endswith("," + _memory.POLARS_ALLOCATOR_SETTINGS)


def test_the_allocator_is_left_alone_once_polars_is_loaded_or_the_user_chose():
    assert _memory.POLARS_ALLOCATOR_SETTINGS not in _allocator_setting_after("import polars; import datacert")
    chosen = _allocator_setting_after("import datacert", **{_memory.POLARS_ALLOCATOR_VARIABLE: "narenas:2"})
    assert chosen == "narenas:2"


def test_the_setting_polars_leaves_to_child_processes_is_not_taken_for_a_choice():
    # a parent that imported polars passes polars' own defaults on: datacert still shortens the decay
    inherited = {_memory.POLARS_ALLOCATOR_VARIABLE: _memory.POLARS_OWN_SETTINGS[0]}
    assert _allocator_setting_after("import datacert", **inherited) == _memory.POLARS_ALLOCATOR_SETTINGS
    assert _allocator_setting_after("import datacert", **{_memory.POLARS_ALLOCATOR_VARIABLE: ""}) == ""


def test_polars_own_settings_are_what_polars_writes():
    written = _allocator_setting_after("import polars", **{"POLARS_THP": "0"})
    assert written in _memory.POLARS_OWN_SETTINGS
