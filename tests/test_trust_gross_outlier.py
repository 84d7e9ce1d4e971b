"""The trust benchmark's gross_outlier injector: a x100 slip that lands a decade beyond every real
value of its column, defined once and stated in the generated docs."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from benchmarks.trust.document import injector_definition
from benchmarks.trust.injectors import INJECTORS


@pytest.mark.parametrize("table", ["rotterdam_breast", "pima_training", "diabetes_progression"])
def test_planted_values_are_ten_times_beyond_the_column_and_nothing_else_moves(table):
    (card,) = load_cards([table])
    try:
        frame = load_table(card)
    except TableUnavailable as exc:
        pytest.skip(str(exc))
    injected = INJECTORS["gross_outlier"].apply(frame, card, 0.01, np.random.default_rng(0))
    (column,) = injected.columns
    rows = list(injected.rows)
    before = frame.get_column(column).cast(pl.Float64).to_numpy()
    after = injected.frame.get_column(column).cast(pl.Float64).to_numpy()
    assert len(rows) == max(1, round(0.01 * np.isfinite(before).sum()))
    assert np.all(np.abs(after[rows]) >= 10 * np.nanmax(np.abs(before)))
    np.testing.assert_allclose(after[rows], 100 * before[rows])
    untouched = np.setdiff1d(np.arange(frame.height), rows)
    np.testing.assert_array_equal(after[untouched], before[untouched])
    assert injected.frame.drop(column).equals(frame.drop(column))


def test_the_definition_is_written_in_the_docs_from_the_injector():
    definition = injector_definition("gross_outlier")
    assert definition is not None and definition.startswith("Definition (from the field")
    assert "Thimbleby" in definition and "\n" not in definition
    assert injector_definition("sentinel_code") is None  # no definition paragraph: nothing printed
