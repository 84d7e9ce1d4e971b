"""Recipe steps: one small class per preprocessing action, all with one contract.

Contract: ``fit(frame, y=None)`` learns on training rows only and stores its fitted statistics in
``fitted_`` (plain JSON values); ``transform(frame)`` applies them to any rows; ``to_plan()``
records the action, its parameters and its fitted statistics; ``Step.from_plan(record)`` rebuilds
a fitted step without refitting. Steps are scikit-learn transformers on polars frames, so a
recipe is a scikit-learn ``Pipeline`` and cross-validation refits all of it inside each fold.

Stages: ``correct`` and ``impute`` steps are materialised in the clean table (values stay in their
original units); ``model`` steps (missingness indicators, winsorising, scaling, features, PCA)
belong to the model pipeline and are written only on request. Row steps (deduplicate, drop empty
rows) are not transformers: they choose rows, and run once on the whole table before any fit.

t-SNE and UMAP are never recipe steps: they are for the report's maps only, never for
transforming training data (their embeddings cannot be applied to new rows faithfully and
distort distances).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

from datacert.checks.security.formula_injection import FORMULA_PATTERN
from datacert.io import InputError
from datacert.prequalification._arrays import decode_array, encode_array, plain
from datacert.prequalification._impute import BlockImputer
from datacert.semantics import parse_date_expr, parse_number_expr

MAX_ONE_HOT_LEVELS = 50
INDICATOR_SUFFIX = "__missing"

STEP_TYPES: dict[str, type[Step]] = {}
ROW_STEP_TYPES: dict[str, type[RowStep]] = {}


class PlanError(InputError, ValueError):
    """A plan or recipe that cannot be used: unknown action, bad parameters, other schema."""


def _register(cls):
    (ROW_STEP_TYPES if issubclass(cls, RowStep) else STEP_TYPES)[cls.action] = cls
    return cls


def _numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype == pl.Boolean


class Step(TransformerMixin, BaseEstimator):
    """Base of every column/value step (see the module docstring for the contract)."""

    action: ClassVar[str] = ""
    stage: ClassVar[str] = "correct"

    def fit(self, X: pl.DataFrame, y: Any = None) -> Step:
        self.fitted_ = plain(self._fit(X, y))
        return self

    def _fit(self, frame: pl.DataFrame, y: Any) -> dict[str, Any]:
        return {}

    def transform(self, X: pl.DataFrame) -> pl.DataFrame:
        if not hasattr(self, "fitted_"):
            raise PlanError(f"step {self.action!r} is used before it was fitted")
        return self._transform(X)

    def _transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        raise NotImplementedError

    def describe(self) -> str:
        return self.action.replace("_", " ")

    def to_plan(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "stage": self.stage,
            "params": plain(self.get_params()),
            "fitted": getattr(self, "fitted_", None),
        }

    @staticmethod
    def from_plan(record: Mapping[str, Any]) -> Step:
        cls = STEP_TYPES.get(record.get("action", ""))
        if cls is None:
            raise PlanError(f"the plan names an unknown step {record.get('action')!r}")
        step = cls(**record.get("params", {}))
        step.fitted_ = record.get("fitted") or {}
        step._restore()
        return step

    def _restore(self) -> None:
        """Rebuild any fitted model object from `fitted_` (steps with plain statistics need nothing)."""


# ---------------------------------------------------------------------------------------------
# row steps


class RowStep:
    """A step that removes records. It is re-evaluated on each table it is applied to."""

    action: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        self.params = plain(params)

    def drop_positions(self, frame: pl.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def to_plan(self) -> dict[str, Any]:
        return {"action": self.action, "stage": "rows", "params": self.params}

    @staticmethod
    def from_plan(record: Mapping[str, Any]) -> RowStep:
        cls = ROW_STEP_TYPES.get(record.get("action", ""))
        if cls is None:
            raise PlanError(f"the plan names an unknown row step {record.get('action')!r}")
        return cls(**record.get("params", {}))


@_register
class DropEmptyRows(RowStep):
    """Drop records whose share of missing cells (not counting `ignore` columns) reaches `min_share`."""

    action = "drop_rows"

    def __init__(self, ignore: Sequence[str] = (), min_share: float = 1.0) -> None:
        super().__init__(ignore=list(ignore), min_share=min_share)

    def drop_positions(self, frame: pl.DataFrame) -> np.ndarray:
        schema = frame.schema
        ignore = set(self.params["ignore"])
        columns = [c for c in schema if c not in ignore]
        if not columns:
            return np.empty(0, dtype=np.int64)
        share = frame.select(pl.sum_horizontal([pl.col(c).is_null() for c in columns]) / len(columns))
        return np.flatnonzero(share.to_series().to_numpy() >= self.params["min_share"])


@_register
class Deduplicate(RowStep):
    """Keep the first record of each group of identical records (ignoring the record id)."""

    action = "deduplicate"

    def __init__(self, ignore: Sequence[str] = ()) -> None:
        super().__init__(ignore=list(ignore))

    def drop_positions(self, frame: pl.DataFrame) -> np.ndarray:
        ignore = set(self.params["ignore"])
        columns = [c for c in frame.schema if c not in ignore]
        if not columns or frame.height < 2:
            return np.empty(0, dtype=np.int64)
        first = frame.select(pl.struct(columns).is_first_distinct()).to_series().to_numpy()
        return np.flatnonzero(~first)


# ---------------------------------------------------------------------------------------------
# corrections (materialised, stateless: their parameters come from the findings)


@_register
class NeutraliseFormulas(Step):
    """Prefix cells that a spreadsheet would run as a formula with a single quote."""

    action = "neutralise_formulas"

    def __init__(self, columns: Sequence[str] = ()) -> None:
        self.columns = columns

    def _transform(self, frame):
        schema = frame.schema
        cols = [c for c in self.columns if c in schema]
        return frame.with_columns(
            [
                pl.when(pl.col(c).str.contains(FORMULA_PATTERN))
                .then(pl.lit("'") + pl.col(c))
                .otherwise(pl.col(c))
                .alias(c)
                for c in cols
            ]
        )

    def describe(self):
        return f"neutralise spreadsheet formulas in {_names(self.columns)}"


@_register
class ConvertType(Step):
    """Read numbers (or dates) stored as text; values that are not numbers become missing."""

    action = "convert_type"

    def __init__(self, columns: Mapping[str, str] | None = None) -> None:
        self.columns = columns  # column -> "number" or a date format such as "%d/%m/%Y"

    def _fit(self, frame, y):
        counts = {}
        for c, kind in (self.columns or {}).items():
            parsed = _parse(pl.col(c), kind)
            counts[c] = frame.select((pl.col(c).is_not_null() & parsed.is_null()).sum()).item()
        return {"values_made_missing_at_fit": counts}

    def _transform(self, frame):
        schema = frame.schema
        return frame.with_columns(
            [
                _parse(pl.col(c), kind).alias(c)
                for c, kind in (self.columns or {}).items()
                if c in schema and schema[c] == pl.String
            ]
        )

    def describe(self):
        return f"convert {_names(self.columns or {})} from text to numbers or dates"


def _parse(expr: pl.Expr, kind: str) -> pl.Expr:
    return parse_number_expr(expr) if kind == "number" else parse_date_expr(expr, kind)


@_register
class SentinelToMissing(Step):
    """Turn codes that stand for 'unknown' (-999, 9999, 'NA'...) into missing values."""

    action = "sentinel_to_missing"

    def __init__(self, sentinels: Mapping[str, Sequence[Any]] | None = None) -> None:
        self.sentinels = sentinels

    def _transform(self, frame):
        schema = frame.schema
        exprs = []
        for c, values in (self.sentinels or {}).items():
            if c not in schema:
                continue
            dtype = schema[c]
            if dtype == pl.String:
                wanted = [str(v) for v in values]
                hit = pl.col(c).str.strip_chars().is_in(wanted) | pl.col(c).is_in(wanted)
            elif _numeric(dtype):
                wanted = [float(v) for v in values if _is_number(v)]
                hit = pl.col(c).cast(pl.Float64).is_in(wanted)
            else:
                hit = pl.col(c).cast(pl.String).is_in([str(v) for v in values])
            exprs.append(pl.when(hit.fill_null(False)).then(None).otherwise(pl.col(c)).alias(c))
        return frame.with_columns(exprs) if exprs else frame

    def describe(self):
        return f"turn sentinel codes into missing values in {_names(self.sentinels or {})}"


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


@_register
class MergeCategories(Step):
    """Replace each variant spelling of a category by its canonical spelling."""

    action = "merge_categories"

    def __init__(self, mapping: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.mapping = mapping  # column -> {variant: canonical}

    def _transform(self, frame):
        schema = frame.schema
        return frame.with_columns(
            [
                pl.col(c).cast(pl.String).replace(dict(m)).alias(c)
                for c, m in (self.mapping or {}).items()
                if c in schema
            ]
        )

    def describe(self):
        return f"merge variant spellings of categories in {_names(self.mapping or {})}"


@_register
class ConvertUnits(Step):
    """Convert the values recorded in a minority unit into the column's majority unit.

    Notes
    -----
    Each conversion is ``majority = scale * minority + offset``. Which values are in the minority
    unit is decided by a boundary placed half-way (geometrically when both units are positive and
    the conversion is a pure factor) between the medians of the two groups the check found, so
    that the same rule applies to new data.
    """

    action = "convert_units"

    def __init__(self, conversions: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.conversions = (
            conversions  # column -> {scale, offset, boundary, minority_below, from_unit, to_unit}
        )

    def _transform(self, frame):
        schema = frame.schema
        exprs = []
        for c, conv in (self.conversions or {}).items():
            if c not in schema or not _numeric(schema[c]):
                continue
            value = pl.col(c).cast(pl.Float64)
            minority = value < conv["boundary"] if conv["minority_below"] else value > conv["boundary"]
            exprs.append(
                pl.when(minority)
                .then(value * conv["scale"] + conv.get("offset", 0.0))
                .otherwise(value)
                .alias(c)
            )
        return frame.with_columns(exprs) if exprs else frame

    def describe(self):
        parts = [
            f"{c} ({v.get('from_unit') or 'minority unit'} to {v.get('to_unit') or 'majority unit'})"
            for c, v in (self.conversions or {}).items()
        ]
        return "convert minority-unit values to the majority unit: " + ", ".join(parts)


@_register
class RangeToMissing(Step):
    """Values outside plausible limits become missing (then imputed): they are errors, not data."""

    action = "range_to_missing"

    def __init__(self, limits: Mapping[str, Sequence[float | None]] | None = None) -> None:
        self.limits = limits  # column -> [low or None, high or None]

    def _transform(self, frame):
        schema = frame.schema
        exprs = []
        for c, (low, high) in (self.limits or {}).items():
            if c not in schema or not _numeric(schema[c]):
                continue
            bad = pl.lit(False)
            if low is not None:
                bad = bad | (pl.col(c).cast(pl.Float64) < low)
            if high is not None:
                bad = bad | (pl.col(c).cast(pl.Float64) > high)
            exprs.append(pl.when(bad.fill_null(False)).then(None).otherwise(pl.col(c)).alias(c))
        return frame.with_columns(exprs) if exprs else frame

    def describe(self):
        return f"turn implausible values into missing values in {_names(self.limits or {})}"


@_register
class DropColumns(Step):
    """Drop columns that carry no information, repeat another, identify people or leak the target."""

    action = "drop_columns"

    def __init__(self, columns: Mapping[str, str] | None = None) -> None:
        self.columns = columns  # column -> reason (the check that asked for it)

    def _transform(self, frame):
        present = set(frame.columns)
        return frame.drop([c for c in (self.columns or {}) if c in present])

    def describe(self):
        return f"drop {_names(self.columns or {})}"


# ---------------------------------------------------------------------------------------------
# imputation (materialised)


@_register
class Impute(Step):
    """Fill missing numeric values with one method, and missing categories with the most frequent one.

    Notes
    -----
    Methods: mean, median, kNN (on z-scored columns), MICE (IterativeImputer, only on blocks of at
    most 50 columns: it keeps a p x p covariance per fitted model) and soft-impute (low rank, for
    p >> n). Imputed values respect each column's support, learnt at fit: a column with few
    observed levels (binary 0/1, a graded code 0/0.5/1, a 1-4 stage) gets the nearest observed
    level, an integer-valued column a rounded value, and every value stays inside the observed
    range. Observed cells are never rewritten: only missing cells receive imputed values.
    """

    action = "impute"
    stage = "impute"

    def __init__(
        self,
        method: str = "median",
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        n_neighbors: int = 5,
        max_iter: int = 10,
        shrinkage: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.columns = columns
        self.categorical = categorical
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.shrinkage = shrinkage
        self.random_state = random_state

    def _imputer(self) -> BlockImputer:
        return BlockImputer(
            self.method,
            n_neighbors=self.n_neighbors,
            max_iter=self.max_iter,
            shrinkage=self.shrinkage,
            random_state=self.random_state,
        )

    def _fit(self, frame, y):
        schema = frame.schema
        numeric = (
            list(self.columns) if self.columns is not None else [c for c in schema if _numeric(schema[c])]
        )
        block = _block(frame, numeric)
        has_missing = np.isnan(block).any(axis=0)
        # only columns that can be missing need a model; complete columns still inform kNN/MICE/soft
        self._model = self._imputer().fit(block)
        categories = {}
        for c in self.categorical or []:
            counts = frame.get_column(c).drop_nulls().value_counts()
            if counts.height:
                top = counts.sort(["count", c], descending=[True, False]).get_column(c)[0]
                categories[c] = top
        return {
            "numeric_columns": numeric,
            "columns_with_missing_at_fit": int(has_missing.sum()),
            "model": self._model.state_,
            "modes": categories,
            "support": {c: column_support(block[:, j]) for j, c in enumerate(numeric) if has_missing[j]},
        }

    def _restore(self):
        self._model = self._imputer().restore(self.fitted_["model"])

    def _transform(self, frame):
        schema = frame.schema
        numeric = list(self.fitted_["numeric_columns"])
        absent = [c for c in numeric if c not in schema]
        if absent:
            raise PlanError(f"the table lacks the imputed columns {_names(absent)}")
        out = frame
        if numeric:
            block = _block(frame, numeric)
            missing = np.isnan(block)
            if missing.any():
                filled = self._model.transform(block)
                support = self.fitted_.get("support") or {}
                for j, c in enumerate(numeric):
                    if c in support and missing[:, j].any():
                        filled[:, j] = within_support(filled[:, j], support[c])
                filled = np.where(missing, filled, block)  # observed cells keep their exact values
                out = _put_block(out, numeric, filled, schema)
        modes = self.fitted_["modes"]
        out_schema = out.schema
        out = out.with_columns(
            [pl.col(c).fill_null(pl.lit(v).cast(out_schema[c])) for c, v in modes.items() if c in out_schema]
        )
        return out

    def describe(self):
        label = {
            "mean": "the column mean",
            "median": "the column median",
            "knn": "k nearest neighbours (kNN)",
            "mice": "chained equations (MICE)",
            "soft": "low-rank soft-impute",
        }[self.method]
        return f"impute missing numbers with {label} and missing categories with the most frequent value"


MAX_LEVELS = 12  # a column with at most this many observed values is a code set


def column_support(values: np.ndarray) -> dict[str, Any]:
    """What an imputed value of this column may be: one of its levels, an integer, inside its range."""
    observed = values[~np.isnan(values)]
    if observed.size == 0:
        return {}
    levels = np.unique(observed)
    out: dict[str, Any] = {"range": [float(levels[0]), float(levels[-1])]}
    if levels.size <= MAX_LEVELS:
        out["levels"] = [float(v) for v in levels]
    elif np.all(observed == np.round(observed)):
        out["integer"] = True
    return out


def within_support(values: np.ndarray, support: Mapping[str, Any]) -> np.ndarray:
    """Move values onto the column's support: nearest level, else rounded and clipped to the range."""
    if not support:
        return values
    out = np.asarray(values, dtype=np.float64).copy()
    finite = np.isfinite(out)
    if "levels" in support:
        levels = np.asarray(support["levels"], dtype=np.float64)
        nearest = np.abs(out[finite, None] - levels[None, :]).argmin(axis=1)
        out[finite] = levels[nearest]
        return out
    if support.get("integer"):
        out[finite] = np.round(out[finite])
    low, high = support["range"]
    out[finite] = np.clip(out[finite], low, high)
    return out


def _block(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    if not columns:
        return np.empty((frame.height, 0))
    return np.ascontiguousarray(frame.select(columns).cast(pl.Float64).to_numpy(), dtype=np.float64)


def _put_block(
    frame: pl.DataFrame, columns: Sequence[str], values: np.ndarray, schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """Write a numeric block back into its columns, in one frame build for the float columns (fast at p =
    20,000).
    """
    floats = [j for j, c in enumerate(columns) if schema[c] == pl.Float64]
    others = [j for j, c in enumerate(columns) if schema[c] != pl.Float64]
    series = []
    if floats:
        block = pl.DataFrame(
            np.ascontiguousarray(values[:, floats]), schema=[columns[j] for j in floats], orient="row"
        )
        series += block.get_columns()
    series += [_cast_back(values[:, j], schema[columns[j]], columns[j]) for j in others]
    return frame.with_columns(series)


def _cast_back(values: np.ndarray, dtype: pl.DataType, name: str) -> pl.Series:
    if dtype == pl.Boolean:
        return pl.Series(name, values >= 0.5)
    if dtype.is_integer():
        return pl.Series(name, np.round(values)).cast(dtype, strict=False)
    return pl.Series(name, values).cast(dtype if dtype.is_float() else pl.Float64)


# ---------------------------------------------------------------------------------------------
# model pipeline (not written to the clean table unless asked)


@_register
class MissingIndicators(Step):
    """Add a 0/1 column `<col>__missing` for columns whose missingness is informative."""

    action = "missing_indicators"
    stage = "model"

    def __init__(self, columns: Sequence[str] = ()) -> None:
        self.columns = columns

    def _transform(self, frame):
        schema = frame.schema
        return frame.with_columns(
            [
                pl.col(c).is_null().cast(pl.Int8).alias(c + INDICATOR_SUFFIX)
                for c in self.columns
                if c in schema
            ]
        )

    def describe(self):
        return f"add missingness indicators for {_names(self.columns)}"


@_register
class Winsorise(Step):
    """Clip numeric columns to their training quantiles (default 1 % and 99 %).

    It changes observed values that are possible, so it is never chosen automatically: a user
    recipe asks for it, and the plan lists every value it clips (row, value, clipped value).
    """

    action = "winsorise"
    stage = "model"

    def __init__(self, columns: Sequence[str] = (), lower: float = 0.01, upper: float = 0.99) -> None:
        self.columns = columns
        self.lower = lower
        self.upper = upper

    def _fit(self, frame, y):
        schema = frame.schema
        cols = [c for c in self.columns if c in schema]
        block = _block(frame, cols)
        with np.errstate(all="ignore"):
            low = np.nanquantile(block, self.lower, axis=0) if block.size else np.array([])
            high = np.nanquantile(block, self.upper, axis=0) if block.size else np.array([])
        # every observed value this step changes, listed in the plan (positions in the fitted rows)
        changed: dict[str, list[dict[str, float | int]]] = {}
        for j, c in enumerate(cols):
            x = block[:, j]
            with np.errstate(invalid="ignore"):
                rows = np.flatnonzero((x < low[j]) | (x > high[j]))
            if rows.size:
                changed[c] = [
                    {"row": int(i), "value": float(x[i]), "to": float(np.clip(x[i], low[j], high[j]))}
                    for i in rows
                ]
        return {"limits": {c: [low[j], high[j]] for j, c in enumerate(cols)}, "changed_values": changed}

    def _transform(self, frame):
        schema = frame.schema
        exprs = [
            pl.col(c).cast(pl.Float64).clip(lo, hi).alias(c)
            for c, (lo, hi) in self.fitted_["limits"].items()
            if c in schema and lo is not None and hi is not None
        ]
        return frame.with_columns(exprs) if exprs else frame

    def describe(self):
        return (
            f"clip outliers to the {self.lower:.0%}-{self.upper:.0%} training quantiles in "
            f"{_names(self.columns)}"
        )


SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
_SCALER_STATE = {
    "standard": ("mean_", "scale_", "var_"),
    "minmax": ("min_", "scale_", "data_min_", "data_max_", "data_range_"),
    "robust": ("center_", "scale_"),
}


@_register
class Scale(Step):
    """Scale numeric feature columns: z-score (StandardScaler), min-max or robust (median/IQR)."""

    action = "scale"
    stage = "model"

    def __init__(self, method: str = "standard", exclude: Sequence[str] = ()) -> None:
        self.method = method
        self.exclude = exclude

    def _fit(self, frame, y):
        if self.method not in SCALERS:
            raise PlanError(f"unknown scaling method {self.method!r}; use one of {', '.join(SCALERS)}")
        schema = frame.schema
        exclude = set(self.exclude)
        cols = [
            c for c in schema if _numeric(schema[c]) and c not in exclude and not c.endswith(INDICATOR_SUFFIX)
        ]
        scaler = SCALERS[self.method]()
        scaler.fit(_block(frame, cols)) if cols else None
        self._scaler = scaler if cols else None
        state = {a: encode_array(getattr(scaler, a)) for a in _SCALER_STATE[self.method]} if cols else {}
        return {"columns": cols, "state": state}

    def _restore(self):
        cols = self.fitted_["columns"]
        self._scaler = None
        if cols:
            scaler = SCALERS[self.method]()
            for attribute, value in self.fitted_["state"].items():
                setattr(scaler, attribute, decode_array(value))
            scaler.n_features_in_ = len(cols)
            scaler.n_samples_seen_ = 1
            self._scaler = scaler

    def _transform(self, frame):
        cols = self.fitted_["columns"]
        if not cols:
            return frame
        scaled = self._scaler.transform(_block(frame, cols))
        return _put_block(frame, cols, scaled, {c: pl.Float64 for c in cols})

    def describe(self):
        return {"standard": "z-score", "minmax": "min-max", "robust": "robust (median/IQR)"}[
            self.method
        ] + " scaling of the numeric features"


@_register
class Features(Step):
    """Turn the frame into the model's matrix: numeric features as they are, categories one-hot.

    Role columns (target, id, group, time, split, free text) and dates never become features.
    """

    action = "features"
    stage = "model"

    def __init__(self, exclude: Sequence[str] = ()) -> None:
        self.exclude = exclude

    def _fit(self, frame, y):
        schema = frame.schema
        excluded = set(self.exclude)
        numeric = [c for c in schema if c not in excluded and _numeric(schema[c])]
        categorical = {}
        for c in schema:
            if c in excluded or schema[c] not in (pl.String, pl.Categorical):
                continue
            levels = frame.get_column(c).cast(pl.String).drop_nulls().unique().sort()
            if 0 < levels.len() <= MAX_ONE_HOT_LEVELS:
                categorical[c] = levels.to_list()
        self._encoder = self._make_encoder(categorical)
        return {"numeric": numeric, "categorical": categorical}

    @staticmethod
    def _make_encoder(categorical: Mapping[str, list[str]]) -> OneHotEncoder | None:
        if not categorical:
            return None
        encoder = OneHotEncoder(
            categories=[list(v) for v in categorical.values()], handle_unknown="ignore", sparse_output=False
        )
        # with explicit categories the fit only checks the column count: one row is enough
        return encoder.fit(np.array([[v[0] for v in categorical.values()]], dtype=object))

    def _restore(self):
        self._encoder = self._make_encoder(self.fitted_["categorical"])

    def _transform(self, frame):
        schema = frame.schema
        numeric = self.fitted_["numeric"]
        missing = [c for c in numeric + list(self.fitted_["categorical"]) if c not in schema]
        if missing:
            raise PlanError(f"the table lacks the feature columns {_names(missing)}")
        parts = [_block(frame, numeric)]
        if self._encoder is not None:
            cats = list(self.fitted_["categorical"])
            values = frame.select([pl.col(c).cast(pl.String) for c in cats]).to_numpy().astype(object)
            parts.append(self._encoder.transform(np.where(values == None, "\x00missing", values)))  # noqa: E711
        return np.hstack(parts)

    def feature_names(self) -> list[str]:
        names = list(self.fitted_["numeric"])
        for c, levels in self.fitted_["categorical"].items():
            names += [f"{c}={v}" for v in levels]
        return names

    def describe(self):
        return "numeric features as they are, categories one-hot encoded"


@_register
class ReduceDimensions(Step):
    """PCA to the signal rank (Gavish-Donoho), fitted on training rows; a matrix step after `features`."""

    action = "pca"
    stage = "model"

    def __init__(self, n_components: int = 10, random_state: int = 0) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def _fit(self, matrix, y):
        matrix = np.nan_to_num(np.asarray(matrix, dtype=np.float64))
        k = int(max(1, min(self.n_components, matrix.shape[0] - 1, matrix.shape[1])))
        pca = PCA(
            n_components=k,
            svd_solver="randomized" if min(matrix.shape) > 500 else "full",
            random_state=self.random_state,
        ).fit(matrix)
        self._pca = pca
        return {
            "components": encode_array(pca.components_),
            "mean": encode_array(pca.mean_),
            "explained_variance": encode_array(pca.explained_variance_),
            "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        }

    def _restore(self):
        pca = PCA(n_components=self.n_components)
        pca.components_ = decode_array(self.fitted_["components"])
        pca.mean_ = decode_array(self.fitted_["mean"])
        pca.explained_variance_ = decode_array(self.fitted_["explained_variance"])
        pca.n_components_ = pca.components_.shape[0]
        pca.n_features_in_ = pca.components_.shape[1]
        pca.whiten = False
        self._pca = pca

    def _transform(self, matrix):
        return self._pca.transform(np.nan_to_num(np.asarray(matrix, dtype=np.float64)))

    def describe(self):
        return f"principal components: keep {self.n_components} (the signal rank)"


def _names(columns: Any, limit: int = 6) -> str:
    names = list(columns)
    shown = ", ".join(repr(c) for c in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "") if names else "no column"
