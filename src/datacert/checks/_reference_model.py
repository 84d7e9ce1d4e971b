"""Reference models: one cross-validated fit per dataset, shared by the model-based checks.

label_issues, target_leakage, insufficient_sample_size and poisoning_suspected ask the same
question ("how well does a simple, honest model predict the target here?"), so the out-of-fold
predictions are computed once and kept in the dataset's private cache.

Notes
-----
Every data-dependent step (median imputation, standardisation, one-hot encoding, feature
screening, PCA) is fitted inside the cross-validation folds: fitting them on the whole table
first makes even random labels look learnable (Ambroise & McLachlan 2002). The model set is
small and depends on the shape (methods §3.6, §4.1): L1-logistic (with in-fold univariate
screening when p is large) and, for tables with enough rows, histogram gradient boosting; for
p > n also ridge-logistic on in-fold principal components. Regression uses ridge (and gradient
boosting for tall tables). The candidate with the best cross-validated score is kept.

Cost is bounded three ways. Records: a tall table is fitted on a stratified sample of MAX_ROWS
records, the number that gives the cross-validated AUROC a standard error of 0.007 at chance
and a 20 % minority (evidence `sampled_rows`, `population_rows`). Fits: the first candidate is
fitted on every fold, and each later one is compared with the leader fold by fold on the same
held-out records; once its summed paired difference is below -RACE_Z standard errors (one-sided
p < 0.001 at each of at most four looks, so under 0.004 in all) it cannot plausibly win and its
remaining folds are not fitted (evidence `candidates_stopped_early`); a candidate that loses
narrowly is still fitted on every fold. Rows named: score_population scores the records outside
the sample with the retained model fitted once on the sample, for the findings that name rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import polars as pl

from datacert._threads import one_thread
from datacert._warnings import ignoring
from datacert.artifacts import Artifacts, FoldPlan, Task, auc_rows, provide, row_sample
from datacert.artifacts import fold_plan as shared_fold_plan
from datacert.dataset import Dataset
from datacert.semantics import SemanticType

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

SEED = 0
N_SPLITS = 5  # the fold plan's default (datacert.artifacts); classes smaller than this are left out
# tall tables are fitted on a seeded sample stratified by class (and site, whole patients): at AUROC 0.5,
# where its variance is largest, and a minority class of 20 %, this many records give the
# cross-validated AUROC a standard error of 0.007 (about 10,600 records; Hanley & McNeil 1982)
MAX_ROWS = auc_rows(standard_error=0.007, minority_share=0.2)
MAX_CATEGORIES = 20  # text columns with at most this many values are one-hot encoded
SCREEN_FEATURES = 500  # in-fold univariate screening keeps this many features before L1
HGB_MIN_ROWS = 1_000  # gradient boosting only pays off (and is affordable) on taller tables
HGB_MAX_FEATURES = 200
MAX_CLASSES = 50
WIDE_NUMERIC = 1_000  # above this many numeric features, categorical features are left out
# a candidate whose paired score difference to the leader, summed over the folds fitted so far, is
# below -RACE_Z standard errors (one-sided p < 0.001) is not fitted on the remaining folds
RACE_Z = 3.09

_CLASS_TYPES = {SemanticType.BOOLEAN, SemanticType.CATEGORY, SemanticType.INTEGER_CATEGORY}


# ----------------------------------------------------------------------------------------------
# target and design
# ----------------------------------------------------------------------------------------------


def target_task(data: Dataset) -> str | None:
    """'classification', 'regression' or None, as datacert.artifacts decides it for the whole product."""
    return Artifacts.of(data).task


def target_column(data: Dataset) -> str:
    """The target's column, for code that runs only with a target (its check needs the role)."""
    if data.roles.target is None:
        raise ValueError("this computation needs the target role, and none was given")
    return data.roles.target


def class_labels(data: Dataset) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Rows with a target, their integer class codes and the class names (sorted as text)."""
    series = data.frame.get_column(target_column(data))
    present = series.is_not_null()
    rows = np.flatnonzero(present.to_numpy())
    values = series.filter(present)
    if values.dtype.is_integer() or values.dtype == pl.Boolean:
        # whole numbers are coded through their few distinct values: casting a million of them
        # to text to sort it cost 0.1 s per caller, and the model checks ask three times
        distinct = values.unique()
        text = distinct.cast(pl.String)
        order = text.arg_sort()  # the classes are still sorted as text ("10" before "2")
        keys, names = distinct.gather(order), text.gather(order)
        codes = values.replace_strict(keys, np.arange(keys.len(), dtype=np.int64), return_dtype=pl.Int64)
        return rows, codes.to_numpy(), tuple(names.to_list())
    # in polars: numpy's unique of a million strings sorted them all, once per caller (~0.4 s each)
    values = values.cast(pl.String)
    names = values.unique().sort()  # UTF-8 byte order is code-point order, as numpy sorts text
    codes = values.replace_strict(names, np.arange(names.len(), dtype=np.int64), return_dtype=pl.Int64)
    return rows, codes.to_numpy(), tuple(names.to_list())


@dataclass(frozen=True)
class Design:
    """The model's input: numeric block plus integer-coded categories (one-hot inside the folds)."""

    matrix: np.ndarray  # n × (p_num + p_cat), NaN = missing (one line per entry of `rows`)
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...] = ()  # (column, why) left out by the leakage screen
    # table positions of the matrix's lines when a tall table's design holds only the sampled
    # records the models learn from (None: every record, in table order)
    rows: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return len(self.numeric) + len(self.categorical)

    def take(self, positions: np.ndarray) -> np.ndarray:
        """The design's lines for these table positions (the matrix itself when they are all)."""
        if self.rows is None:
            return self.matrix if positions.size == self.matrix.shape[0] else self.matrix[positions]
        index = np.searchsorted(self.rows, positions)
        if index.max(initial=0) >= self.rows.size or not np.array_equal(self.rows[index], positions):
            raise ValueError("the design holds only the sampled records; these positions are not all in it")
        return self.matrix if index.size == self.rows.size else self.matrix[index]


def design_of(data: Dataset) -> Design:
    """The reference model's input for this dataset (the shared `design` artifact)."""
    return Artifacts.of(data).get("design")


@provide("design")
def _design_artifact(store: Artifacts) -> Design:
    return _compute_design(store.data)


def _compute_design(data: Dataset) -> Design:
    """Feature block every reference model learns from (identifiers, dates and text excluded).

    Columns the leakage screen marks as outcome-derived or leaking are left out, so that no
    model-based check learns the label from a copy of it. When the numeric block is wide (> 1,000
    columns), categorical columns are left out: the few they would add do not justify copying the
    whole numeric block to join them.
    """
    skip = {
        SemanticType.IDENTIFIER,
        SemanticType.EMPTY,
        SemanticType.TEXT,
        SemanticType.DATE,
        SemanticType.DATETIME,
    }
    from datacert.checks._leakage_screen import excluded_columns

    leaking = excluded_columns(data)
    numeric = [
        c
        for c in data.numeric_feature_columns()
        if data.semantic_types.get(c) not in skip and c not in leaking
    ]
    numeric_set = set(data.numeric_feature_columns())
    schema = data.schema
    candidates = [
        c
        for c in data.feature_columns()
        if c not in numeric_set
        and c not in leaking
        and data.semantic_types.get(c) in (SemanticType.CATEGORY, SemanticType.BOOLEAN)
        and (schema[c] == pl.String or schema[c] == pl.Categorical or isinstance(schema[c], pl.Enum))
    ]
    categorical: list[str] = []
    task = target_task(data)
    sampled = None
    if task is not None:
        usable, _, _, _, n_sampled, _ = usable_rows(data, task)
        sampled = usable if n_sampled is not None else None
    if sampled is not None:  # a tall table: only the records the models will learn from
        frame = data.frame[sampled]
        blocks = [frame.select([pl.col(c).cast(pl.Float64) for c in numeric]).to_numpy()] if numeric else []
    else:
        frame = data.frame
        blocks = [data.numeric_matrix(numeric)] if numeric else []
    if len(numeric) > WIDE_NUMERIC:
        # joining a few category columns to a 20,000-column block would copy the whole block
        candidates = []
    if candidates:
        counts = data.frame.select([pl.col(c).n_unique().alias(c) for c in candidates]).row(0, named=True)
        categorical = [c for c in candidates if counts[c] <= MAX_CATEGORIES + 1]
        if categorical:
            codes = frame.select(
                [
                    pl.col(c).cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Float64).alias(c)
                    for c in categorical
                ]
            ).to_numpy()
            blocks.append(codes.astype(np.float64, copy=False))
    height = data.n_rows if sampled is None else sampled.size
    matrix = np.hstack(blocks) if len(blocks) > 1 else (blocks[0] if blocks else np.empty((height, 0)))
    return Design(matrix, tuple(numeric), tuple(categorical), tuple(leaking.items()), sampled)


# ----------------------------------------------------------------------------------------------
# estimators (the transformers live in datacert.checks._estimators)
# ----------------------------------------------------------------------------------------------


def candidate_models(task: str, design: Design, n_rows: int, n_classes: int) -> dict[str, Callable[[], Any]]:
    """The fixed set of reference models for this shape, as name → factory of a fresh Pipeline."""
    # scikit-learn is imported on the first fit: the checks that only ask for the task or the
    # class labels (and every command that loads the check modules) do not pay its second of import
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    from datacert.checks._estimators import FScreen, GramPCA, fresh, preprocessor

    p = design.n_features
    wide = p > n_rows
    screen = p > SCREEN_FEATURES

    def steps(*tail: tuple[str, Any], unit_rows: bool = False) -> Callable[[], Pipeline]:
        # clone(): every call returns unfitted estimators of its own, never ones another fit holds
        return lambda: Pipeline([("prepare", preprocessor(design, unit_rows)), *fresh(tail)])

    models: dict[str, Callable[[], Any]] = {}
    if task == "classification":

        def l1() -> Any:
            base = LogisticRegression(l1_ratio=1.0, solver="liblinear", C=0.5, random_state=SEED)
            return OneVsRestClassifier(base) if n_classes > 2 else base

        tail: list[tuple[str, Any]] = []
        if screen:
            tail.append(("screen", FScreen(SCREEN_FEATURES)))
        name = "l1_logistic_screened" if screen else "l1_logistic"
        models[name] = lambda: Pipeline([("prepare", preprocessor(design)), *fresh(tail), ("model", l1())])
        if wide:
            models["ridge_logistic_pca"] = steps(
                ("pca", GramPCA()), ("model", LogisticRegression(C=1.0)), unit_rows=True
            )
        if n_rows >= HGB_MIN_ROWS and p <= HGB_MAX_FEATURES:
            models["hist_gradient_boosting"] = steps(
                (
                    "model",
                    HistGradientBoostingClassifier(
                        max_iter=50, learning_rate=0.2, early_stopping=False, random_state=SEED
                    ),
                )
            )
    else:
        alphas = np.logspace(-2, 4, 7)
        if wide:
            models["ridge"] = steps(("model", RidgeCV(alphas=alphas / 100)), unit_rows=True)
        else:
            models["ridge"] = steps(("model", RidgeCV(alphas=alphas)))
        if n_rows >= HGB_MIN_ROWS and p <= HGB_MAX_FEATURES:
            models["hist_gradient_boosting"] = steps(
                (
                    "model",
                    HistGradientBoostingRegressor(
                        max_iter=50, learning_rate=0.2, early_stopping=False, random_state=SEED
                    ),
                )
            )
    return models


# ----------------------------------------------------------------------------------------------
# the shared fit
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceFit:
    """Out-of-fold predictions of the best reference model on the rows it could use."""

    task: str  # classification | regression
    model: str  # the retained candidate
    rows: np.ndarray  # table positions of the records used, ascending
    y: np.ndarray  # class codes (classification) or values (regression)
    classes: tuple[str, ...]  # class names by code ('' for regression)
    oof: np.ndarray  # n_used × K probabilities, or n_used predictions
    score: float  # pooled out-of-fold AUROC (ovr macro) or R²
    score_name: str  # "auroc" | "r2"
    fold_scores: tuple[float, ...]
    candidate_scores: dict[str, float]
    folds: np.ndarray  # fold index of every used row
    n_splits: int
    grouped: bool
    sampled_rows: int | None  # set when a tall table was sub-sampled
    excluded_rows: int  # records of classes too small to cross-validate
    n_features: int
    excluded_columns: dict[str, str] = field(default_factory=dict)  # left out by the leakage screen
    population_rows: int | None = None  # usable records the sample was drawn from (when sampled)
    # candidates left after the folds that showed them clearly behind the leader (see paired_difference)
    stopped_candidates: dict[str, dict[str, float]] = field(default_factory=dict)
    # what each fit of the retained model cost, fold by fold: (training records, wall seconds,
    # process CPU seconds); the energy pilot reads these instead of fitting the model again.
    # Measured figures vary by machine and load: never in the evidence.
    fit_costs: tuple[tuple[int, float, float], ...] = field(default=(), compare=False, repr=False)

    def evidence(self) -> dict[str, Any]:
        """What every model-based finding says about the model behind it."""
        out: dict[str, Any] = {
            "reference_model": self.model,
            f"cv_{self.score_name}": self.score,
            "candidate_scores": self.candidate_scores,
            "cv_folds": self.n_splits,
            "grouped_folds": self.grouped,
        }
        if self.sampled_rows is not None:
            out["sampled_rows"] = self.sampled_rows
            out["population_rows"] = self.population_rows
        if self.stopped_candidates:
            out["candidates_stopped_early"] = {k: dict(v) for k, v in self.stopped_candidates.items()}
        if self.excluded_rows:
            out["excluded_rows_small_classes"] = self.excluded_rows
        if self.excluded_columns:
            out["excluded_columns"] = dict(self.excluded_columns)
        return out


@dataclass(frozen=True)
class Unfittable:
    """Why no reference model could be fitted (reported as not applicable)."""

    reason: str


def usable_rows(
    data: Dataset, task: str
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], int, int | None, int | None]:
    """Rows the model can learn from: target present, classes large enough, sub-sampled if tall.

    Returns rows, targets, class names, records excluded (classes too small), and when sampled the
    sample size and the number of usable records it was drawn from (None, None otherwise).
    """
    rows, y, classes, excluded = _learnable_rows(data, task)
    sample = row_sample(data, MAX_ROWS, among=rows)
    if not sample.sampled:
        return rows, y, classes, excluded, None, None
    pick = np.searchsorted(rows, sample.rows)
    return rows[pick], y[pick], classes, excluded, int(pick.size), sample.population


def _learnable_rows(data: Dataset, task: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], int]:
    """Every record a model can learn from, before any sampling (see usable_rows)."""
    if task == "classification":
        rows, y, classes = class_labels(data)
        counts = np.bincount(y, minlength=len(classes))
        keep_class = counts >= N_SPLITS
        keep = keep_class[y]
        excluded = int((~keep).sum())
        rows, y = rows[keep], y[keep]
        if keep_class.sum() < len(classes):
            remap = np.cumsum(keep_class) - 1
            y = remap[y]
            classes = tuple(c for c, k in zip(classes, keep_class, strict=True) if k)
    else:
        values = data.frame.get_column(target_column(data)).cast(pl.Float64, strict=False).to_numpy()
        rows = np.flatnonzero(np.isfinite(values))
        y = values[rows]
        classes, excluded = ("",), 0
    return rows, y, classes, excluded


def fold_plan(
    data: Dataset, rows: np.ndarray, y: np.ndarray, task: str, n_splits: int = N_SPLITS, seed: int = SEED
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """Train/test index pairs (into `rows`) from the product's one fold plan, and whether grouped."""
    plan = shared_fold_plan(y, cast(Task, task), groups_of(data, rows), n_splits, seed)
    return list(plan.splits), plan.grouped


def groups_of(data: Dataset, rows: np.ndarray) -> np.ndarray | None:
    """The group (patient) of each of `rows`, missing groups as one group; None without a group role."""
    if not data.roles.group:
        return None
    column = data.frame.get_column(data.roles.group).cast(pl.String)
    return column.fill_null("\x00missing").to_numpy()[rows]


@provide("folds")
def _folds_artifact(store: Artifacts) -> FoldPlan | None:
    """The fold plan of the reference model's usable rows (None when the target is not learnable)."""
    data = store.data
    task = target_task(data)
    if task is None:
        return None
    rows, y, classes, *_ = usable_rows(data, task)
    if (len(classes) < 2 and task == "classification") or rows.size < 2 * N_SPLITS:
        return None
    return shared_fold_plan(y, cast(Task, task), groups_of(data, rows))


def _midranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank (rankdata's 'average')."""
    from datacert.checks._ranks import sort_block  # only a fit (scikit-learn loaded) gets here

    return sort_block(values.reshape(-1, 1)).ranks[:, 0]


def paired_difference(
    task: str, y: np.ndarray, leader: np.ndarray, candidate: np.ndarray
) -> tuple[float, float] | None:
    """The candidate's score minus the leader's on one test fold, and the variance of that
    difference over the records both scored (None where no paired test applies: several classes,
    or a fold with one class).

    Binary classes: DeLong's variance of the difference of two correlated AUROCs (DeLong et al.
    1988), from each record's placement among the other class. Numbers: the R² difference is the
    mean paired difference of squared errors over the fold's total sum of squares, with the
    variance of that mean. Summed over the folds seen (disjoint records), a z below -RACE_Z stops
    a candidate that cannot catch up, instead of fitting its remaining folds.
    """
    if task == "regression":
        total = float(np.sum((y - y.mean()) ** 2)) / y.size
        if total <= 0 or y.size < 3:
            return None
        gain = ((y - leader) ** 2 - (y - candidate) ** 2) / total
        return float(gain.mean()), float(gain.var(ddof=1) / y.size)
    if leader.ndim != 2 or leader.shape[1] != 2:
        return None
    positive = y == 1
    m, n = int(positive.sum()), int((~positive).sum())
    if m < 2 or n < 2:
        return None
    parts = []
    for scores in (leader[:, 1], candidate[:, 1]):
        overall = _midranks(scores)
        above = (overall[positive] - _midranks(scores[positive])) / n  # negatives below each positive
        below = 1.0 - (overall[~positive] - _midranks(scores[~positive])) / m  # positives above each negative
        parts.append((above, below))
    d_pos, d_neg = parts[1][0] - parts[0][0], parts[1][1] - parts[0][1]
    return float(d_pos.mean()), float(d_pos.var(ddof=1) / m + d_neg.var(ddof=1) / n)


def score_predictions(task: str, y: np.ndarray, predicted: np.ndarray) -> float:
    """AUROC (binary, or one-vs-rest macro) for classes; R² for a numeric target."""
    from sklearn.metrics import r2_score, roc_auc_score

    if task == "regression":
        return float(r2_score(y, predicted))
    present = np.unique(y)
    if present.size < 2:
        return float("nan")
    if predicted.shape[1] == 2:
        return float(roc_auc_score(y, predicted[:, 1]))
    if present.size < predicted.shape[1]:
        sub = predicted[:, present]
        sub = sub / np.clip(sub.sum(axis=1, keepdims=True), 1e-12, None)
        if present.size == 2:
            return float(roc_auc_score(y == present[1], sub[:, 1]))
        return float(roc_auc_score(np.searchsorted(present, y), sub, multi_class="ovr"))
    return float(roc_auc_score(y, predicted, multi_class="ovr"))


def fit_predict(
    factory: Callable[[], Any],
    X: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    task: str,
    n_classes: int,
    costs: list[tuple[int, float, float]] | None = None,
    lines: np.ndarray | None = None,
) -> np.ndarray:
    """Fit a fresh model on `train` and predict `test` (class probabilities aligned on all codes).

    `lines` (see `row_buffer`) receives the training records instead of a fresh gather: the
    folds of one fit reuse one block, which the model is done with when this returns.

    Gradient boosting runs on one OpenMP thread, as in pre-qualification: on a busy 2-core machine
    its spinning worker threads made one fit 15x slower (25 s instead of 1.5 s on 16,000 records).
    With `costs`, the fit (not the prediction) is timed and (training records, wall seconds, CPU
    seconds) appended to it: clocks only, as a check reads no file (no energy counter either).
    """
    from datacert.checks._estimators import own_inputs  # only a fit (scikit-learn loaded) gets here

    with ignoring(), one_thread():  # the same result on any machine and any load
        # X[train] and X[test] are gathers of this call's own: the preparation standardises them in place
        if costs is None:
            model = own_inputs(factory())
            model.fit(gather_rows(X, train, lines), y[train])
        else:
            wall, cpu = time.perf_counter(), _cpu_seconds()
            model = own_inputs(factory())
            model.fit(gather_rows(X, train, lines), y[train])
            costs.append((int(train.size), time.perf_counter() - wall, _cpu_seconds() - cpu))
        if task == "regression":
            return model.predict(X[test])
        proba = model.predict_proba(X[test])
    out = np.zeros((test.size, n_classes))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return out


ROW_BUFFER_BYTES = 8 * 2**20  # below this, a fresh gather per fit costs nothing worth a held block


def row_buffer(X: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray | None:
    """One block for the largest training fold of `splits` (None when X is small): every fit of a
    candidate writes its training records there (`gather_rows`) instead of into a new 38 MB array
    (240 x 20,000) whose pages the system must first map."""
    rows = max((train.size for train, _ in splits), default=0)
    if X.ndim != 2 or rows * X.shape[1] * X.itemsize < ROW_BUFFER_BYTES:
        return None
    return np.empty((rows, X.shape[1]), dtype=X.dtype)


def gather_rows(X: np.ndarray, rows: np.ndarray, lines: np.ndarray | None) -> np.ndarray:
    """X[rows], written into the leading lines of `lines` when given (the same values)."""
    if lines is None or lines.shape[0] < rows.size or lines.shape[1:] != X.shape[1:]:
        return X[rows]
    if lines.dtype != X.dtype:
        return X[rows]
    # "clip" only for speed ("raise" buffers the output); every position is a valid line of X
    return np.take(X, rows, axis=0, out=lines[: rows.size], mode="clip")


def _cpu_seconds() -> float:
    """The calling thread's CPU time: a fit runs on it alone (one BLAS and OpenMP thread), and a
    check running beside it on another thread must not be counted in the fit's cost."""
    return time.thread_time()


def reference_fit(data: Dataset) -> ReferenceFit | Unfittable:
    """The shared cross-validated reference fit (the `reference_fit` artifact: once per dataset)."""
    return Artifacts.of(data).get("reference_fit")


@provide("reference_fit")
def _fit_artifact(store: Artifacts) -> ReferenceFit | Unfittable:
    return _compute_fit(store.data)


def _compute_fit(data: Dataset) -> ReferenceFit | Unfittable:
    task = target_task(data)
    if task is None:
        return Unfittable("needs a target that a model can learn (classes or numbers)")
    design = design_of(data)
    if design.n_features == 0:
        if design.excluded:
            return Unfittable(
                "needs at least one feature besides the columns the leakage screen left out ("
                + ", ".join(c for c, _ in design.excluded[:5])
                + ")"
            )
        return Unfittable("needs at least one numeric or low-cardinality categorical feature")
    rows, y, classes, excluded, sampled, population = usable_rows(data, task)
    if task == "classification" and len(classes) < 2:
        return Unfittable(f"needs at least two classes with {N_SPLITS} or more records each")
    if rows.size < 2 * N_SPLITS:
        return Unfittable(f"needs at least {2 * N_SPLITS} records with a target")
    X = design.take(rows)
    plan: FoldPlan = Artifacts.of(data).get("folds")
    folds, grouped = plan.splits, plan.grouped
    n_classes = len(classes) if task == "classification" else 0
    best: tuple[float, str, np.ndarray, list[float], list[tuple[int, float, float]]] | None = None
    candidate_scores: dict[str, float] = {}
    stopped: dict[str, dict[str, float]] = {}
    lines = row_buffer(X, folds)
    for name, factory in candidate_models(task, design, rows.size, n_classes).items():
        oof = np.zeros((rows.size, n_classes)) if task == "classification" else np.zeros(rows.size)
        per_fold = []
        costs: list[tuple[int, float, float]] = []
        behind = 0.0, 0.0  # summed paired score difference to the leader, and its variance
        for k, (train, test) in enumerate(folds):
            oof[test] = fit_predict(factory, X, y, train, test, task, n_classes, costs, lines)
            per_fold.append(score_predictions(task, y[test], oof[test]))
            paired = None if best is None else paired_difference(task, y[test], best[2][test], oof[test])
            if paired is None or k == len(folds) - 1:
                continue
            behind = behind[0] + paired[0], behind[1] + paired[1]
            z = behind[0] / np.sqrt(behind[1]) if behind[1] > 0 else 0.0
            if z < -RACE_Z:
                stopped[name] = {"folds": k + 1, "score_difference": behind[0] / (k + 1), "z": float(z)}
                break
        if name in stopped:
            continue
        score = score_predictions(task, y, oof)
        candidate_scores[name] = score
        if best is None or score > best[0] + 1e-12:
            best = (score, name, oof, per_fold, costs)
    assert best is not None
    fold_index = plan.fold_index()
    return ReferenceFit(
        task=task,
        model=best[1],
        rows=rows,
        y=y,
        classes=classes,
        oof=best[2],
        score=best[0],
        score_name="r2" if task == "regression" else "auroc",
        fold_scores=tuple(best[3]),
        candidate_scores=candidate_scores,
        folds=fold_index,
        n_splits=len(folds),
        grouped=grouped,
        sampled_rows=sampled,
        excluded_rows=excluded,
        n_features=design.n_features,
        excluded_columns=dict(design.excluded),
        population_rows=population,
        stopped_candidates=stopped,
        fit_costs=tuple(best[4]),
    )


@dataclass(frozen=True)
class PopulationScores:
    """The retained model's predictions for the usable records a tall table's sample left out."""

    rows: np.ndarray  # table positions, ascending (none of them in the fit's sample)
    y: np.ndarray  # class codes (as the fit's) or values
    predicted: np.ndarray  # n × K class probabilities, or n predictions


POPULATION_BATCH = 100_000  # records encoded and scored at a time (a 50-column batch is 40 MB)


def score_population(data: Dataset, fit: ReferenceFit) -> PopulationScores | None:
    """Score every usable record outside the sample with the retained model, fitted once on the
    whole sample (None when the fit used every record).

    The records outside the sample took no part in the fit, so their predictions are as honest as
    the out-of-fold ones: a check whose findings name records can name those of the whole table at
    the cost of one more fit and one prediction pass, in batches of POPULATION_BATCH records.
    Categories are coded as the design codes the sample's (a value the sample never had is unseen:
    all zeros after one-hot encoding).
    """
    if fit.sampled_rows is None:
        return None
    rows, y, classes, _ = _learnable_rows(data, fit.task)
    if tuple(classes) != tuple(fit.classes):
        return None
    outside = np.ones(rows.size, dtype=bool)
    outside[np.searchsorted(rows, fit.rows)] = False
    rows, y = rows[outside], y[outside]
    design = design_of(data)
    model = model_factory(data, fit)()
    n_classes = len(fit.classes) if fit.task == "classification" else 0
    with ignoring(), one_thread():
        model.fit(design.take(fit.rows), fit.y)
    encode = _design_encoder(data, design)
    parts = []
    for start in range(0, rows.size, POPULATION_BATCH):
        X = encode(rows[start : start + POPULATION_BATCH])
        with ignoring(), one_thread():
            if fit.task == "regression":
                parts.append(np.asarray(model.predict(X), dtype=np.float64))
                continue
            proba = model.predict_proba(X)
        out = np.zeros((X.shape[0], n_classes))
        out[:, np.asarray(model.classes_, dtype=np.int64)] = proba
        parts.append(out)
    empty = np.zeros((0, n_classes)) if fit.task == "classification" else np.zeros(0)
    return PopulationScores(rows, y, np.concatenate(parts) if parts else empty)


def _design_encoder(data: Dataset, design: Design) -> Callable[[np.ndarray], np.ndarray]:
    """The design's columns for any table positions, coded as in the design's own records."""
    codes: list[tuple[pl.Series, pl.Series]] = []
    n_num = len(design.numeric)
    known = design.rows if design.rows is not None else np.arange(design.matrix.shape[0])
    for j, column in enumerate(design.categorical):
        pairs = (
            pl.DataFrame(
                {
                    "value": data.frame.get_column(column).gather(known).cast(pl.String),
                    "code": design.matrix[:, n_num + j],
                }
            )
            .drop_nulls("value")
            .unique("value", keep="first", maintain_order=True)
        )
        codes.append((pairs.get_column("value"), pairs.get_column("code")))

    def encode(positions: np.ndarray) -> np.ndarray:
        frame = data.frame[positions]
        blocks = []
        if design.numeric:
            blocks.append(frame.select([pl.col(c).cast(pl.Float64) for c in design.numeric]).to_numpy())
        for column, (values, code) in zip(design.categorical, codes, strict=True):
            mapped = frame.get_column(column).cast(pl.String).replace_strict(values, code, default=-1.0)
            missing = frame.get_column(column).is_null().to_numpy()
            blocks.append(np.where(missing, np.nan, mapped.cast(pl.Float64).to_numpy())[:, None])
        return np.hstack(blocks) if len(blocks) > 1 else blocks[0]

    return encode


def model_factory(data: Dataset, fit: ReferenceFit) -> Callable[[], Any]:
    """A fresh, unfitted copy of the retained reference model (for learning curves)."""
    design = design_of(data)
    n_classes = len(fit.classes) if fit.task == "classification" else 0
    return candidate_models(fit.task, design, fit.rows.size, n_classes)[fit.model]


def __getattr__(name: str) -> Any:
    """The transformers, still importable from here, loaded (with scikit-learn) on first use."""
    if name in ("MedianStandardizer", "MixedEncoder", "FScreen", "GramPCA"):
        from datacert.checks import _estimators

        return getattr(_estimators, name)
    raise AttributeError(name)
