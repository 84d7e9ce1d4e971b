"""Shared small statistics: the vectorised column median agrees with numpy's nanmedian exactly."""

import warnings

import numpy as np
import pytest

from datacert.statistics import column_medians


@pytest.mark.parametrize("shape", [(240, 500), (7, 3), (1, 4), (1_001, 6)])
def test_column_medians_equal_nanmedian(shape):
    rng = np.random.default_rng(1)
    X = rng.normal(size=shape) * 1e3
    X[rng.random(shape) < 0.3] = np.nan
    X[:, 0] = np.nan  # all missing
    if shape[1] > 2:
        X[:, 2] = np.round(X[:, 2])  # ties
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(X, axis=0)
    assert np.array_equal(column_medians(X), expected, equal_nan=True)


def test_column_medians_of_empty_matrices():
    assert column_medians(np.empty((0, 3))).shape == (3,)
    assert np.isnan(column_medians(np.empty((0, 3)))).all()
    assert column_medians(np.empty((5, 0))).shape == (0,)
    with pytest.raises(ValueError):
        column_medians(np.zeros(4))
