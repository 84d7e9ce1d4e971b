"""The cached numeric matrix is the same whether built from the frame at once or block by block."""

import numpy as np
import polars as pl
from tests.conftest import make_dataset

import datacert.dataset as dataset_module


def test_tall_tables_fill_the_matrix_block_by_block_with_the_same_values(monkeypatch):
    rng = np.random.default_rng(0)
    n = 2_000
    frame = pl.DataFrame(
        {
            "a": np.where(
                rng.random(n) < 0.05, np.nan, np.where(rng.random(n) < 0.05, -0.0, rng.normal(size=n))
            ),
            "b": rng.integers(0, 5, n),
            "c": pl.Series(rng.random(n) < 0.5),
            "d": pl.Series(rng.normal(size=n)).set(pl.Series(rng.random(n) < 0.1), None),
            "e": pl.Series(rng.integers(0, 9, n)).set(pl.Series(rng.random(n) < 0.1), None),
            "y": rng.integers(0, 2, n),
        }
    )
    columns = ["a", "b", "c", "d", "e"]
    monkeypatch.setattr(dataset_module, "COLUMNWISE_ROWS", 10**9)
    whole = make_dataset(frame, target="y").numeric_matrix(columns)
    monkeypatch.setattr(dataset_module, "COLUMNWISE_ROWS", 1)
    monkeypatch.setattr(dataset_module, "MATRIX_BLOCK_ROWS", 300)  # 7 blocks, the last one short
    by_column = make_dataset(frame, target="y").numeric_matrix(columns)
    assert by_column.dtype == np.float64 and by_column.flags["C_CONTIGUOUS"] and not by_column.flags.writeable
    assert np.array_equal(whole, by_column, equal_nan=True)
    assert np.array_equal(whole.view(np.uint64), by_column.view(np.uint64))  # bit for bit, -0.0 too
    assert np.isnan(by_column[:, 3]).sum() == frame.get_column("d").null_count()


def test_a_large_matrix_is_released_between_checks_and_a_small_one_kept(monkeypatch):
    rng = np.random.default_rng(1)
    frame = pl.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500), "y": rng.integers(0, 2, 500)})
    data = make_dataset(frame, target="y")
    small = data.numeric_matrix(["a"])
    large = data.numeric_matrix(["a", "b"])
    data.release_matrices(keep_bytes=small.nbytes)  # what the runner does after each check
    assert data.numeric_matrix(["a"]) is small
    rebuilt = data.numeric_matrix(["a", "b"])
    assert rebuilt is not large and np.array_equal(rebuilt, large)


def test_a_block_of_records_has_the_bits_of_the_same_rows_of_the_matrix(monkeypatch):
    rng = np.random.default_rng(2)
    n = 1_000
    frame = pl.DataFrame(
        {
            "a": pl.Series(rng.normal(size=n)).set(pl.Series(rng.random(n) < 0.1), None),
            "b": rng.integers(-5, 5, n),
            "c": pl.Series(rng.random(n) < 0.5),
            "y": rng.integers(0, 2, n),
        }
    )
    monkeypatch.setattr(dataset_module, "MATRIX_BLOCK_ROWS", 64)
    data = make_dataset(frame, target="y")
    whole = data.numeric_matrix(["a", "b", "c"])
    for start, stop in ((0, n), (0, 1), (10, 200), (999, 1_000), (500, 5_000), (300, 300)):
        block = data.numeric_block(["a", "b", "c"], start, stop)
        assert block.flags["C_CONTIGUOUS"] and block.shape == whole[start:stop].shape
        assert np.array_equal(block.view(np.uint64), whole[start:stop].view(np.uint64))
