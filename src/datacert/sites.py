"""Site-like columns: which columns say where or in which batch a record was produced.

Batch checks (distribution_shift, site confounding) need them, and clinical tables name them in
many ways (`site`, `centre`, `inst`, `hôpital`, `batch`, `plate`...), coded as integers as often as
text. A column is site-like when a whole token of its normalised name is a site or batch word,
no token says it is an anatomical site, and its values are a small set of codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from datacert.checks.plausibility import normalise_name
from datacert.semantics import SemanticType

SITE_WORDS = frozenset(
    {
        "site", "sites", "centre", "centres", "center", "centers", "centro", "inst", "institution",
        "institutions", "hopital", "hopitaux", "hospital", "hospitals", "etablissement", "finess",
        "clinic", "clinique", "batch", "batches", "lot", "lots", "plate", "plates", "plaque", "plaques",
        "run", "runs", "scanner", "instrument", "cohort", "cohorte", "recruitment", "enrolment",
    }
)  # fmt: skip
# an anatomical or clinical "site" is not a place of care
NOT_A_PLACE = frozenset(
    {
        "tumor", "tumour", "tumeur", "primary", "primaire", "anatomical", "anatomique", "infection",
        "lesion", "body", "injection", "biopsy", "biopsie", "metastasis", "metastase", "metastatic",
        "surgical", "operatoire", "cancer", "pain", "douleur", "size", "count", "number", "nb", "n",
    }
)  # fmt: skip
MAX_LEVELS = 200


def site_like_columns(
    frame: pl.DataFrame, types: Mapping[str, SemanticType], taken: set[str]
) -> dict[str, str]:
    """Site-like columns of a table, each with why (name word, number of levels)."""
    found: dict[str, str] = {}
    schema = frame.schema
    for column in frame.columns:
        if column in taken:
            continue
        tokens = set(normalise_name(column).split("_"))
        words = tokens & SITE_WORDS
        if not words or tokens & NOT_A_PLACE:
            continue
        dtype = schema[column]
        if not (dtype == pl.String or dtype == pl.Categorical or dtype.is_integer() or dtype == pl.Boolean):
            if not dtype.is_float() or types.get(column) == SemanticType.TEXT:
                continue
            values = frame.get_column(column).drop_nulls()
            if not (values == values.round()).all():  # integer codes stored as floats (a missing value)
                continue
        levels = frame.get_column(column).drop_nulls().n_unique()
        if 2 <= levels <= min(MAX_LEVELS, max(2, frame.height // 5)):
            word = sorted(words)[0]
            found[column] = f"its name holds the site or batch word {word!r} and it has {levels} levels"
    return found
