"""Semantic types beyond storage types, and role inference."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.conftest import make_dataset

from datacert.semantics import SemanticType, infer_semantic_types


def test_semantic_types_of_a_clinical_table():
    rng = np.random.default_rng(1)
    n = 200
    frame = pl.DataFrame(
        {
            "row_number": np.arange(n),
            "glucose": rng.normal(100, 15, n),
            "n_visits": rng.poisson(3, n) + rng.integers(0, 30, n),
            "stage": rng.integers(1, 5, n),
            "diabetic": rng.integers(0, 2, n),
            "sex": rng.choice(["F", "M"], n),
            "smoker": rng.choice(["oui", "non"], n),
            "hb_text": [f"{v:.1f}".replace(".", ",") for v in rng.normal(13, 1.5, n)],
            "visit_fr": [
                f"{d:02d}/0{m}/2021"
                for d, m in zip(rng.integers(1, 28, n), rng.integers(1, 9, n), strict=True)
            ],
            "written": ["12 mars 2021", "3 août 2020", "1er janvier 2019", "28 février 2022"] * (n // 4),
            "note": [
                "Patient vu en consultation pour suivi de son diabète, pas de plainte particulière ce jour."
            ]
            * n,
        }
    )
    types = infer_semantic_types(frame)
    assert types["row_number"] == SemanticType.IDENTIFIER
    assert types["glucose"] == SemanticType.CONTINUOUS
    assert types["n_visits"] == SemanticType.COUNT
    assert types["stage"] == SemanticType.INTEGER_CATEGORY
    assert types["diabetic"] == SemanticType.BOOLEAN
    assert types["sex"] == SemanticType.CATEGORY
    assert types["smoker"] == SemanticType.BOOLEAN
    assert types["hb_text"] == SemanticType.CONTINUOUS
    assert types["visit_fr"] == SemanticType.DATE
    assert types["written"] == SemanticType.DATE
    assert types["note"] == SemanticType.TEXT


def test_role_inference_is_recorded_and_never_overrides_the_user(clean_frame):
    data = make_dataset(
        clean_frame.with_columns(
            pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 1, 1) + pl.duration(days=299), eager=True).alias(
                "visit_date"
            )
        )
    )
    assert data.roles.id == "record_id"
    assert data.inferred["id"]["column"] == "record_id"
    assert data.roles.time == "visit_date"
    given = make_dataset(clean_frame, id="site")
    assert given.roles.id == "site" and "id" not in given.inferred


def test_numeric_types_read_the_observed_extremes_whatever_the_missing_and_infinite_values():
    """The range tests (0..1 for flags, a span of 20 for coded categories) see observed values only."""
    n = 60
    flag = np.tile([0.0, 1.0], n // 2)
    flag[0], flag[5] = -0.0, np.nan  # -0.0 is 0
    coded = np.arange(n, dtype=float) % 5 + 3
    coded[::4] = np.nan
    wide_range = np.arange(n, dtype=float) % 5
    wide_range[7] = 40.0  # a span over 20: a count, not a coded category
    frame = pl.DataFrame(
        {
            "flag": flag,
            "coded": coded,
            "wide_range": wide_range,
            "with_inf": np.where(np.arange(n) == 3, np.inf, np.arange(n) % 3 + 0.5),
            "nothing": np.full(n, np.nan),
        }
    )
    types = infer_semantic_types(frame)
    assert types["flag"] == SemanticType.BOOLEAN
    assert types["coded"] == SemanticType.INTEGER_CATEGORY
    assert types["wide_range"] == SemanticType.COUNT
    assert types["with_inf"] == SemanticType.CONTINUOUS
    assert types["nothing"] == SemanticType.EMPTY
