"""Pre-qualification: can preprocessing make this dataset fit to train on? Prove it, apply it, record it.

Notes
-----
1. `check` the table and turn its fixable findings into correction steps (`_corrections`).
2. Build candidate recipes: the corrections, then one imputation method each (mean, median,
   kNN, MICE on blocks of <= 50 columns, soft-impute), missingness indicators where missingness
   is informative, a scaler, and PCA to the signal rank when p is large next to n.
3. Score each candidate: NRMSE/PFC by mask-and-score, cross-validated AUROC or R² with the whole
   recipe fitted inside each fold, and the quality score of the corrected table. Candidates whose
   estimated cost at this shape exceeds the time budget are skipped, and the skip is recorded.
4. Choose: among the candidates whose learnability is within noise of the best, the one that
   restores values best (lowest NRMSE), because imputed values are written into the clean table;
   without a target, NRMSE alone decides. Model-side choices (scaler, PCA) go by learnability,
   the simplest winning ties.
5. Fit the chosen recipe on all rows (or the train partition), write corrections and imputed
   values in original units, re-run `check`, and record the plan and the before/after scores.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.pipeline import Pipeline

from datacert._version import __version__
from datacert.assay import certify, load_dataset
from datacert.certificate import Certificate
from datacert.dataset import Dataset, build_dataset
from datacert.fingerprint import fingerprint_frame
from datacert.io import InputError, from_object
from datacert.policy import Policy, load_policy
from datacert.prequalification._arrays import plain, summarise_arrays
from datacert.prequalification._corrections import Corrections, build_corrections
from datacert.prequalification._evaluate import (
    Task,
    column_center_scale,
    informative_missingness,
    learnability,
    mask_and_score,
    mode_pfc,
    task_of,
)
from datacert.prequalification._impute import (
    MICE_MAX_COLUMNS,
    BlockImputer,
    estimate_seconds,
    gavish_donoho_rank,
)
from datacert.prequalification._plan import (
    PLAN_KIND,
    PLAN_VERSION,
    apply_rows,
    materialise,
    plan_to_json,
    schema_families,
)
from datacert.prequalification._recipe import load_recipe
from datacert.prequalification._steps import (
    ROW_STEP_TYPES,
    STEP_TYPES,
    DropColumns,
    Features,
    Impute,
    MissingIndicators,
    ReduceDimensions,
    RowStep,
    Scale,
    Step,
    Winsorise,
)
from datacert.roles import Roles

TRAIN_VALUES = {"train", "training", "learn", "apprentissage", "dev", "development"}
DEFAULT_BUDGET = 60.0
# the whole search stops starting candidates once it has used this many per-candidate budgets
SEARCH_BUDGET_FACTOR = 1.25
STAGE_ORDER = {
    "correct": 0,
    "indicators": 1,
    "impute": 2,
    "winsorise": 3,
    "scale": 4,
    "features": 5,
    "pca": 6,
}
CORRECTION_ORDER = (
    "neutralise_formulas",
    "drop_columns",
    "convert_type",
    "sentinel_to_missing",
    "merge_categories",
    "convert_units",
    "range_to_missing",
)


@dataclass
class PrequalifyResult:
    """The outcome: the clean table, the plan, the certificate after (with the before in it)."""

    clean: pl.DataFrame
    plan: dict[str, Any]
    certificate: Certificate
    before: Certificate
    explanation: list[str]
    candidates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.certificate.verdict

    @property
    def exit_code(self) -> int:
        return self.certificate.exit_code

    def plan_json(self) -> str:
        return plan_to_json(self.plan)

    def pipeline(self) -> Pipeline:
        from datacert.prequalification._plan import build_pipeline

        return build_pipeline(self.plan)


def prequalify(
    data: Any,
    *,
    target: str | None = None,
    id: str | None = None,
    group: str | None = None,
    time: str | None = None,
    split: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    text: Iterable[str] | str | None = None,
    duration: str | None = None,
    policy: str | Path | Mapping[str, Any] | Policy | None = None,
    recipe: str | Path | Mapping[str, Any] | list[Any] | None = None,
    budget: float = DEFAULT_BUDGET,
    materialize_transforms: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PrequalifyResult:
    """Check a table, find and prove the preprocessing that makes it fit to train on, and apply it.

    Returns the clean table (original row order minus removed records, original column names and
    units), the plan (lineage, replayable with `apply_plan` / `build_pipeline`) and the certificate
    of the clean table, whose `prequalification` section holds the before/after comparison.
    """
    roles = Roles.build(
        target=target,
        id=id,
        group=group,
        time=time,
        split=split,
        sensitive=sensitive,
        text=text,
        duration=duration,
    )
    dataset = load_dataset(data, roles)
    loaded_policy = load_policy(policy)
    spec = load_recipe(recipe) if recipe is not None else None
    return run_prequalification(
        dataset,
        loaded_policy,
        spec,
        budget=budget,
        materialize_transforms=materialize_transforms,
        progress=progress,
    )


def run_prequalification(
    dataset: Dataset,
    policy: Policy,
    spec: list[dict[str, Any]] | None = None,
    budget: float = DEFAULT_BUDGET,
    materialize_transforms: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PrequalifyResult:
    """Pre-qualify a prepared Dataset (see the module notes for the method).

    The steps: assay the table, apply the corrections its findings call for, describe the feature
    space, set up the learning task, choose the model-side recipe (searched or the user's), fit it
    on the training rows, assay the clean table, and write the plan and the certificate.
    """
    say = progress or (lambda _step: None)
    started = clock.perf_counter()
    say("check")
    before = certify(dataset, policy, figures=False)
    corrected = _apply_corrections(dataset, before, spec, say)
    space = _feature_space(corrected.frame, dataset.roles)
    learning = _learning_setup(dataset, corrected, space)
    informative, informative_test = _informative_columns(corrected, space, learning, dataset.roles, policy)
    evaluator = _evaluator(corrected, space, learning, budget, policy, dataset.roles, say)
    if spec is not None:
        chosen_model, candidates, choice_text = _evaluate_user_recipe(
            evaluator, corrected, space, informative
        )
    else:
        chosen_model, candidates, choice_text = _search(
            evaluator, corrected.corrections, informative, space.missing_share, space.categorical_missing
        )
    say("apply")
    final_steps, keep_columns, clean = _fit_recipe(
        corrected, space, chosen_model, dataset.roles, materialize_transforms
    )
    say("check after")
    after = certify(
        build_dataset(from_object(clean), _roles_for(dataset.roles, clean), infer_roles=False), policy
    )
    explanation = _explain(
        dataset,
        before,
        after,
        corrected.removed_by_step,
        corrected.corrections,
        corrected.correction_steps,
        chosen_model,
        choice_text,
        materialize_transforms,
        space.fit_mask,
        dataset.roles,
    )
    plan = _plan_document(
        dataset,
        corrected,
        space,
        final_steps,
        keep_columns,
        clean,
        materialize_transforms,
        {
            "explanation": explanation,
            "candidates": candidates,
            "missingness_association": informative_test,
            "budget_seconds": budget,
            "recipe": "user" if spec is not None else "searched",
        },
    )
    timing = {
        "prequalification_seconds": clock.perf_counter() - started,
        "prequalification_candidate_seconds": dict(evaluator.timings),
    }
    certificate = _certificate_with_prequalification(
        dataset, before, after, plan, corrected, explanation, candidates, timing
    )
    return PrequalifyResult(
        clean=clean,
        plan=plan,
        certificate=certificate,
        before=before,
        explanation=explanation,
        candidates=candidates,
    )


@dataclass
class _Corrected:
    """The table after the row steps and the correction steps its findings call for."""

    corrections: Corrections
    row_steps: list[RowStep]
    correction_steps: list[Step]
    user_model: list[Step]
    kept: pl.DataFrame  # the input minus the removed records, before the column corrections
    removed: list[int]
    removed_by_step: dict[str, Any]
    frame: pl.DataFrame  # `kept` with the column corrections applied


def _apply_corrections(
    dataset: Dataset, before: Certificate, spec: list[dict[str, Any]] | None, say: Callable[[str], None]
) -> _Corrected:
    """Remove the records and apply the column corrections the first assay's findings call for."""
    corrections = build_corrections(dataset, before.findings)
    row_steps, correction_steps, user_model = _resolve_steps(spec, corrections)
    say("corrections")
    kept_frame, removed, removed_by_step = apply_rows(dataset.frame, row_steps)
    for step in correction_steps:
        step.fit(kept_frame)
    corrected = kept_frame
    for step in correction_steps:
        corrected = step.transform(corrected)
    return _Corrected(
        corrections, row_steps, correction_steps, user_model, kept_frame, removed, removed_by_step, corrected
    )


@dataclass
class _FeatureSpace:
    """Which records the recipe is fitted on, and which columns are its numeric and categorical features."""

    fit_mask: np.ndarray
    excluded: list[str]  # role and high-cardinality columns: never features
    numeric: list[str]
    categorical: list[str]
    block: np.ndarray  # the numeric features of the fitting records
    missing_share: float
    categorical_missing: list[str]


def _feature_space(corrected: pl.DataFrame, roles: Roles) -> _FeatureSpace:
    fit_mask = _fit_rows(corrected, roles)
    excluded = sorted(
        (roles.non_feature_columns() | _high_cardinality(corrected, roles)) & set(corrected.columns)
    )
    schema = corrected.schema
    numeric = [
        c
        for c in corrected.columns
        if c not in excluded and (schema[c].is_numeric() or schema[c] == pl.Boolean)
    ]
    categorical = [
        c for c in corrected.columns if c not in excluded and schema[c] in (pl.String, pl.Categorical)
    ]
    block = _matrix(corrected.filter(pl.Series(fit_mask)), numeric)
    missing_share = float(np.isnan(block).mean()) if block.size else 0.0
    cat_missing = [c for c in categorical if corrected.get_column(c).null_count()]
    return _FeatureSpace(fit_mask, excluded, numeric, categorical, block, missing_share, cat_missing)


@dataclass
class _LearningSetup:
    """The learning task measured on the fitting records with a target, its groups and folds."""

    task: Task | None
    cv_mask: np.ndarray | bool
    cv_frame: pl.DataFrame | None
    groups: np.ndarray | None
    n_splits: int


def _learning_setup(dataset: Dataset, corrected: _Corrected, space: _FeatureSpace) -> _LearningSetup:
    """The task is read from the corrected target; folds are cut on the kept records.

    Cross-validation folds hold the records before the column corrections, which are refitted in
    each fold.
    """
    roles = dataset.roles
    frame, kept = corrected.frame, corrected.kept
    task = (
        task_of(frame.get_column(roles.target), dataset.semantic_types.get(roles.target))
        if roles.target in frame.columns
        else None
    )
    cv_mask = space.fit_mask & (frame.get_column(roles.target).is_not_null().to_numpy() if task else False)
    cv_frame = kept.filter(pl.Series(cv_mask)) if task else None
    if task is not None:
        task = Task(task.kind, task.y[cv_mask], task.metric)
        if len(np.unique(task.y)) < 2 or cv_frame.height < 10:
            task = None
    groups = (
        kept.get_column(roles.group).cast(pl.String).fill_null("\x00missing").to_numpy()[cv_mask]
        if task is not None and roles.group
        else None
    )
    n_fit, q = space.block.shape
    n_splits = 5 if n_fit * max(q, 1) <= 2_000_000 else 3
    return _LearningSetup(task, cv_mask, cv_frame, groups, n_splits)


def _informative_columns(
    corrected: _Corrected, space: _FeatureSpace, learning: _LearningSetup, roles: Roles, policy: Policy
) -> tuple[list[str], dict[str, Any]]:
    """Columns that get a missingness indicator: the corrections' and those of the check's test."""
    informative = list(corrected.corrections.informative)
    informative_test: dict[str, Any] = {}
    if learning.task is not None and roles.target and space.block.shape[1] and np.isnan(space.block).any():
        informative_test = informative_missingness(
            corrected.frame.filter(pl.Series(learning.cv_mask)),
            space.numeric,
            roles.target,
            policy.check_params,
        )
        informative = sorted(
            set(informative) | set(informative_test["columns"]), key=corrected.frame.columns.index
        )
    return informative, informative_test


def _evaluator(
    corrected: _Corrected,
    space: _FeatureSpace,
    learning: _LearningSetup,
    budget: float,
    policy: Policy,
    roles: Roles,
    say: Callable[[str], None],
) -> _Evaluator:
    return _Evaluator(
        correction_steps=corrected.correction_steps,
        cv_frame=learning.cv_frame,
        task=learning.task,
        groups=learning.groups,
        n_splits=learning.n_splits,
        budget=budget,
        numeric=space.numeric,
        categorical=space.categorical,
        excluded=space.excluded,
        block=space.block,
        say=say,
        categories=corrected.frame.filter(pl.Series(space.fit_mask)).select(space.categorical),
        total_budget=SEARCH_BUDGET_FACTOR * budget,
        quality=_quality_probe(corrected.kept, corrected.correction_steps, space.fit_mask, roles, policy),
    )


def _evaluate_user_recipe(
    evaluator: _Evaluator, corrected: _Corrected, space: _FeatureSpace, informative: list[str]
) -> tuple[list[Step], list[dict[str, Any]], list[str]]:
    """A user's recipe is completed with this table's columns and evaluated, not searched."""
    user_model = corrected.user_model
    impute = next((s for s in user_model if isinstance(s, Impute)), None)
    if impute is not None and impute.columns is None:
        impute.set_params(
            columns=space.numeric,
            categorical=space.categorical if impute.categorical is None else impute.categorical,
        )
    for step in user_model:  # role columns never become features or get scaled
        if isinstance(step, (Scale, Features)):
            step.set_params(exclude=sorted(set(step.exclude) | set(space.excluded)))
        elif isinstance(step, Winsorise) and not step.columns:
            step.set_params(columns=corrected.corrections.outlier_columns or space.numeric)
        elif isinstance(step, MissingIndicators) and not step.columns:
            step.set_params(columns=informative)
    candidates = [evaluator.evaluate("user recipe", user_model, impute.method if impute else None)]
    return (
        user_model,
        candidates,
        ["The recipe was fixed by the user (--recipe); it was evaluated, not searched."],
    )


def _fit_recipe(
    corrected: _Corrected,
    space: _FeatureSpace,
    chosen_model: list[Step],
    roles: Roles,
    materialize_transforms: bool,
) -> tuple[list[Step], list[str], pl.DataFrame]:
    """Fit the corrections and the chosen model steps on the training rows; write the clean table."""
    final_steps = [_fresh(s) for s in corrected.correction_steps] + [_fresh(s) for s in chosen_model]
    current = corrected.kept.filter(pl.Series(space.fit_mask))
    for step in final_steps:
        current = step.fit(current).transform(current)
    keep_columns = [c for c in corrected.kept.columns if c in set(space.excluded) or c in roles.columns()]
    clean = materialise(corrected.kept, final_steps, materialize_transforms, keep_columns)
    return final_steps, keep_columns, clean


def _plan_document(
    dataset: Dataset,
    corrected: _Corrected,
    space: _FeatureSpace,
    final_steps: list[Step],
    keep_columns: list[str],
    clean: pl.DataFrame,
    materialize_transforms: bool,
    choice: dict[str, Any],
) -> dict[str, Any]:
    """The replayable plan: input, roles, fitting rows, every step with its fitted parameters, output."""
    roles = dataset.roles
    plan = {
        "kind": PLAN_KIND,
        "plan_version": PLAN_VERSION,
        "datacert_version": __version__,
        "input": {
            "fingerprint": dataset.fingerprint,
            "rows": dataset.n_rows,
            "columns": dataset.n_columns,
            "schema": schema_families(dataset.frame),
        },
        "roles": roles.to_dict(),
        "fit_rows": {
            "rows": int(space.fit_mask.sum()),
            "split": roles.split,
            "partition": "train" if roles.split else "all",
        },
        "row_steps": [s.to_plan() for s in corrected.row_steps],
        "removed_rows": corrected.removed,
        "removed_rows_by_step": corrected.removed_by_step,
        "steps": [s.to_plan() for s in final_steps],
        "materialize_transforms": materialize_transforms,
        "keep_columns": keep_columns,
        "output": {"fingerprint": fingerprint_frame(clean), "rows": clean.height, "columns": clean.width},
        "choice": choice,
    }
    out: dict[str, Any] = plain(plan)
    return out


def _certificate_with_prequalification(
    dataset: Dataset,
    before: Certificate,
    after: Certificate,
    plan: Mapping[str, Any],
    corrected: _Corrected,
    explanation: list[str],
    candidates: list[dict[str, Any]],
    timing: Mapping[str, Any],
) -> Certificate:
    """The clean table's certificate, with the before/after comparison and the lineage."""
    section = {
        "input_fingerprint": plan["input"]["fingerprint"],
        "output_fingerprint": plan["output"]["fingerprint"],
        "before": {"verdict": before.verdict, "scores": dict(before.scores), "reasons": list(before.reasons)},
        "after": {"verdict": after.verdict, "scores": dict(after.scores), "reasons": list(after.reasons)},
        "removed_rows": corrected.removed,
        "steps": summarise_arrays(plan["steps"]),
        "row_steps": plan["row_steps"],
        "explanation": explanation,
        "candidates": candidates,
        "unfixed": corrected.corrections.unfixed,
    }
    from datacert.audit.lineage import lineage_block

    source = {"path": Path(dataset.path).name if dataset.path else None}
    lineage = lineage_block({"dataset": source, "prequalification": section})
    return replace(
        after,
        extra={**dict(after.extra), "prequalification": section, "lineage": lineage},
        run={**dict(after.run), **timing},
    )


# ---------------------------------------------------------------------------------------------


@dataclass
class _Evaluator:
    correction_steps: list[Step]
    cv_frame: pl.DataFrame | None
    task: Task | None
    groups: np.ndarray | None
    n_splits: int
    budget: float
    numeric: list[str]
    categorical: list[str]
    excluded: list[str]
    block: np.ndarray
    say: Callable[[str], None]
    categories: pl.DataFrame | None = None
    total_budget: float = 0.0
    quality: Callable[[list[Step]], dict[str, Any]] | None = None
    # seconds the candidates run so far were estimated to cost: the total budget is kept on
    # estimates, not on the clock, so that a loaded machine cannot change the plan
    spent_estimate: float = 0.0
    _nrmse_cache: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def repeats(self) -> int:
        return 3 if self.block.size <= 200_000 else 1

    def model_seconds(self, p_features: int, model: str = "linear") -> float:
        if self.task is None:
            return 0.0
        n = self.cv_frame.height
        # measured at 240 x 20,000: ~3 s per fold for the linear pipeline, ~35 s for gradient boosting
        per_fit = 6e-7 * n * max(p_features, 1) + 0.05
        if model == "hgb":
            per_fit = 7e-6 * n * max(p_features, 1) + 0.3
        return self.n_splits * (per_fit + 1e-7 * n * max(p_features, 1))

    def cost(
        self, method: str | None, pca: bool = False, model: str = "linear", cached: bool = False
    ) -> float:
        n, q = self.block.shape
        miss = float(np.isnan(self.block).mean()) if self.block.size else 0.0
        impute = estimate_seconds(method, n, q, miss) if method else 0.0
        fits = (self.repeats if method and not cached else 0) + (self.n_splits if self.task else 0)
        return impute * fits + self.model_seconds(min(q, 50) if pca else q, model)

    def evaluate(
        self, name: str, model_steps: list[Step], method: str | None, pca: bool = False, model: str = "linear"
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": name,
            "steps": [s.describe() for s in model_steps],
            "estimated_seconds": self.cost(method, pca, model, method in self._nrmse_cache),
        }
        if record["estimated_seconds"] > self.budget:
            record["skipped"] = (
                f"estimated {record['estimated_seconds']:.0f} s at {self.block.shape[0]} x "
                f"{self.block.shape[1]}, over the {self.budget:.0f} s budget"
            )
            return record
        if self.total_budget and self.spent_estimate + record["estimated_seconds"] > self.total_budget:
            record["skipped"] = (
                f"the search's total budget of {self.total_budget:.0f} s would be exceeded "
                f"(this candidate needs about {record['estimated_seconds']:.0f} s)"
            )
            return record
        self.spent_estimate += record["estimated_seconds"]
        self.say(name)
        start = clock.perf_counter()
        if method and np.isnan(self.block).any():
            if method not in self._nrmse_cache:
                imputer = Impute(method=method).get_params()

                def impute(masked: np.ndarray, _p=imputer) -> np.ndarray:
                    m = BlockImputer(
                        _p["method"],
                        n_neighbors=_p["n_neighbors"],
                        max_iter=_p["max_iter"],
                        shrinkage=_p["shrinkage"],
                    )
                    return m.fit(masked).transform(masked)

                self._nrmse_cache[method] = mask_and_score(self.block, impute, repeats=self.repeats)
            record["imputation"] = self._nrmse_cache[method]
        if self.task is not None:
            steps = [(f"s{i}", s) for i, s in enumerate(self.correction_steps + model_steps)]
            try:
                record["learnability"] = learnability(
                    steps, self.cv_frame, self.task, self.groups, model=model, n_splits=self.n_splits
                )
            except ValueError as exc:
                record["learnability_error"] = str(exc)
        self.timings[name] = (
            clock.perf_counter() - start
        )  # timings go to the certificate's `run`, not the plan
        return record


@dataclass
class _ModelTail:
    """Builds the model-side steps of a candidate: indicators, imputation, scaling, features, PCA."""

    ev: _Evaluator
    indicators: list[Step]
    categorical_missing: list[str]
    winsor: list[Step] = field(default_factory=list)  # changes observed values: only a user recipe asks

    def __call__(self, method: str | None, scaler: str = "standard", pca: int | None = None) -> list[Step]:
        ev = self.ev
        steps: list[Step] = list(self.indicators)
        if method or self.categorical_missing:
            steps.append(Impute(method=method or "median", columns=ev.numeric, categorical=ev.categorical))
        steps += [_fresh(w) for w in self.winsor]
        steps.append(Scale(method=scaler, exclude=ev.excluded))
        steps.append(Features(exclude=ev.excluded))
        if pca:
            steps.append(ReduceDimensions(n_components=pca))
        return steps


def _search(
    ev: _Evaluator,
    corrections: Corrections,
    informative: list[str],
    missing_share: float,
    cat_missing: list[str],
) -> tuple[list[Step], list[dict[str, Any]], list[str]]:
    """Search imputation, then model-side steps; return the chosen model steps, all candidates, why."""
    q = ev.block.shape[1]
    numeric_missing = bool(q) and bool(np.isnan(ev.block).any())
    text: list[str] = []
    candidates: list[dict[str, Any]] = []
    indicators: list[Step] = [MissingIndicators(columns=informative)] if informative else []
    tail = _ModelTail(ev, indicators, cat_missing)
    chosen_method = _search_imputation(ev, tail, numeric_missing, informative, cat_missing, candidates, text)
    _fill_categories(ev, cat_missing, candidates, text)
    chosen_scaler, pca_k = "standard", None
    if ev.task is not None:
        scaling = _search_scaling(ev, tail, chosen_method, candidates, text)
        chosen_scaler = scaling[0]
        pca_k = _search_pca(ev, tail, corrections, chosen_method, scaling, candidates, text)
        if numeric_missing:
            _native_nan_baseline(ev, indicators, candidates, text)
    else:
        text.append("No usable target was given, so learnability was not measured; z-score scaling is used.")
    return tail(chosen_method, chosen_scaler, pca_k), candidates, text


def _imputation_methods(numeric_missing: bool, n: int, q: int) -> list[str]:
    """The imputers to try, most promising first, so a spent total budget cuts the least useful."""
    if not numeric_missing:
        return []
    return ["mean", "soft", "knn", "median"] if q > n else ["mean", "median", "knn", "mice", "soft"]


def _imputer_unsuited(method: str, q: int) -> str | None:
    """Why an imputer is not run on a block of q numeric columns, or None when it is."""
    if method == "mice" and q > MICE_MAX_COLUMNS:
        return (
            f"{q} numeric columns: MICE is run only on "
            f"blocks of at most {MICE_MAX_COLUMNS} (each fitted model keeps a p x p covariance)"
        )
    if method == "soft" and q < 3:
        return "fewer than 3 numeric columns: no low-rank structure to use"
    return None


def _search_imputation(
    ev: _Evaluator,
    tail: _ModelTail,
    numeric_missing: bool,
    informative: list[str],
    cat_missing: list[str],
    candidates: list[dict[str, Any]],
    text: list[str],
) -> str | None:
    """Evaluate the imputers on the numeric block and choose one (None when nothing numeric is missing)."""
    n, q = ev.block.shape
    methods = _imputation_methods(numeric_missing, n, q)
    if not methods:
        if cat_missing:
            text.append(
                "Only categorical values are missing; they are filled with each column's most frequent value."
            )
        else:
            text.append("No value is missing after the corrections, so nothing is imputed.")
        return None
    for method in methods:
        unsuited = _imputer_unsuited(method, q)
        if unsuited is not None:
            candidates.append({"name": f"impute:{method}", "skipped": unsuited})
            continue
        record = ev.evaluate(f"impute:{method}", tail(method), method)
        if "imputation" in record and ev.quality is not None:
            record["quality_after"] = ev.quality(tail(method))
        candidates.append(record)
    scored = [c for c in candidates if "imputation" in c]
    qualities = [(c["name"].split(":", 1)[1], c["quality_after"]) for c in scored if "quality_after" in c]
    if qualities and all("overall" in quality for _, quality in qualities):
        text.append(
            "Quality score of the corrected table by imputation method (check re-run on each): "
            + ", ".join(f"{m} {quality['overall']:.1f} ({quality['verdict']})" for m, quality in qualities)
            + "."
        )
    if not scored:
        chosen_method = "mean"
        text.append("Every imputation candidate was over the time budget; the column mean was used.")
    else:
        chosen_method, sentence = _choose_imputer(scored)
        text.append(sentence)
    if informative:
        text.append(
            f"Missingness indicators are added to the model pipeline for {len(informative)} column(s) "
            "whose missingness is associated with the target (informative missingness)."
        )
    return chosen_method


def _fill_categories(
    ev: _Evaluator, cat_missing: list[str], candidates: list[dict[str, Any]], text: list[str]
) -> None:
    """Missing categories are filled with the most frequent value; its error is measured on hidden cells."""
    if not cat_missing or ev.categories is None:
        return
    pfc = mode_pfc(ev.categories, cat_missing)
    if pfc is not None:
        candidates.append({"name": "impute:categorical_mode", "imputation": pfc})
        text.append(
            f"Missing categories are filled with the most frequent value: PFC {pfc['pfc']:.3f} "
            f"(share wrongly filled) on {pfc['hidden']} hidden observed cells."
        )


def _search_scaling(
    ev: _Evaluator,
    tail: _ModelTail,
    chosen_method: str | None,
    candidates: list[dict[str, Any]],
    text: list[str],
) -> tuple[str, dict[str, dict[str, Any]]]:
    """Compare scalers after the chosen imputer; z-score stays unless another is better beyond noise.

    Returns the chosen scaler and each scaling variant's record.
    """
    q = ev.block.shape[1]
    base_name = f"impute:{chosen_method}" if chosen_method else None
    base = next((c for c in candidates if c["name"] == base_name and "learnability" in c), None)
    if base is None:
        base = ev.evaluate("scale:standard", tail(chosen_method), chosen_method)
        candidates.append(base)
    variants = [("scale:standard", base)]
    for scaler in ["robust", "minmax"] if q <= 2000 else []:
        rec = ev.evaluate(f"scale:{scaler}", tail(chosen_method, scaler), chosen_method)
        rec["name"] = f"scale:{scaler}"
        candidates.append(rec)
        variants.append((f"scale:{scaler}", rec))
    chosen_scaler, sentence = _choose_model_variant(variants, "standard", "scaling")
    text.append(sentence)
    return chosen_scaler, dict(variants)


def _search_pca(
    ev: _Evaluator,
    tail: _ModelTail,
    corrections: Corrections,
    chosen_method: str | None,
    scaling: tuple[str, dict[str, dict[str, Any]]],
    candidates: list[dict[str, Any]],
    text: list[str],
) -> int | None:
    """PCA to the signal rank is kept when it costs no learnability (within noise when p > n)."""
    n, q = ev.block.shape
    chosen_scaler, variants = scaling
    rank = corrections.signal_rank
    if rank is None and q >= max(20, n // 2):
        rank = _signal_rank(ev.block)
    if rank is None or q <= rank:
        return None
    rec = ev.evaluate(f"pca:{rank}", tail(chosen_method, chosen_scaler, rank), chosen_method, pca=True)
    candidates.append(rec)
    best = variants[f"scale:{chosen_scaler}"]
    if "learnability" in rec and "learnability" in best:
        with_pca, without = rec["learnability"], best["learnability"]
        margin = _margin(without)
        if with_pca["score"] >= without["score"] - (margin if q > n else 0.0):
            text.append(
                f"PCA to {rank} components (the signal rank) is kept in the model pipeline: "
                f"{with_pca['metric']} {with_pca['score']:.3f} against {without['score']:.3f} "
                "without it."
            )
            return rank
        text.append(
            f"PCA to {rank} components was tried and left out: {with_pca['metric']} "
            f"{with_pca['score']:.3f} against {without['score']:.3f} without it."
        )
    elif "skipped" in rec:
        text.append(f"PCA to {rank} components was not evaluated: {rec['skipped']}.")
    return None


def _native_nan_baseline(
    ev: _Evaluator, indicators: list[Step], candidates: list[dict[str, Any]], text: list[str]
) -> None:
    """For reference: gradient boosting on the unimputed data, with its native handling of NaN."""
    native = ev.evaluate(
        "baseline:hgb_native_nan",
        [*list(indicators), Features(exclude=ev.excluded)],
        None,
        model="hgb",
    )
    candidates.append(native)
    if "learnability" in native:
        text.append(
            f"For reference, gradient boosting on the unimputed data (native NaN handling) reached "
            f"{native['learnability']['metric']} {native['learnability']['score']:.3f}."
        )
    else:
        text.append(f"The native-NaN gradient boosting baseline was skipped: {native.get('skipped')}.")


QUALITY_PROBE_MAX_CELLS = 50_000


def _quality_probe(
    frame: pl.DataFrame, corrections: Sequence[Step], fit_mask: np.ndarray, roles: Roles, policy: Policy
) -> Callable[[list[Step]], dict[str, Any]]:
    """Criterion (c): the check's score of the table a candidate would write (small tables only)."""

    def probe(model_steps: list[Step]) -> dict[str, Any]:
        if frame.height * frame.width > QUALITY_PROBE_MAX_CELLS:
            return {
                "skipped": f"table above {QUALITY_PROBE_MAX_CELLS:,} cells: only the chosen recipe is "
                "re-checked"
            }
        steps = [_fresh(s) for s in list(corrections) + [m for m in model_steps if m.stage == "impute"]]
        current = frame.filter(pl.Series(fit_mask))
        for step in steps:
            current = step.fit(current).transform(current)
        table = materialise(frame, steps, False)
        cert = certify(
            build_dataset(from_object(table), _roles_for(roles, table), infer_roles=False),
            policy,
            figures=False,
        )
        return {"overall": cert.scores.get("overall"), "verdict": cert.verdict}

    return probe


def _margin(learn: Mapping[str, Any]) -> float:
    return max(0.01, learn["sd"] / math.sqrt(max(learn["n_splits"], 1)))


def _choose_imputer(scored: list[dict[str, Any]]) -> tuple[str, str]:
    """Lowest NRMSE among imputers whose learnability is within noise of the best one."""
    with_learn = [c for c in scored if "learnability" in c]
    pool = scored
    best_learn = None
    if with_learn:
        best_learn = max(with_learn, key=lambda c: c["learnability"]["score"])
        floor = best_learn["learnability"]["score"] - _margin(best_learn["learnability"])
        pool = [c for c in with_learn if c["learnability"]["score"] >= floor]
    chosen = min(pool, key=lambda c: (c["imputation"]["nrmse"], c["estimated_seconds"]))
    method = chosen["name"].split(":", 1)[1]
    others = ", ".join(
        f"{c['name'].split(':', 1)[1]} {c['imputation']['nrmse']:.3f}" for c in scored if c is not chosen
    )
    sentence = (
        f"Imputation by {_METHOD_NAMES[method]} restored hidden values best: NRMSE "
        f"{chosen['imputation']['nrmse']:.3f} on {chosen['imputation']['hidden_fraction']:.0%} of the "
        "observed "
        f"cells hidden at random (others: {others}; 1.0 is no better than the mean)."
    )
    if best_learn is not None:
        learn = chosen["learnability"]
        sentence += (
            f" Its cross-validated {learn['metric']} with the recipe refitted in each fold was "
            f"{learn['score']:.3f} (best candidate {best_learn['learnability']['score']:.3f})."
        )
        if len(pool) < len(with_learn):
            dropped = [c["name"].split(":", 1)[1] for c in with_learn if c not in pool]
            sentence += f" Left out for lower learnability: {', '.join(dropped)}."
    return method, sentence


def _choose_model_variant(
    variants: list[tuple[str, dict[str, Any]]], default: str, what: str
) -> tuple[str, str]:
    scored = [(name, rec) for name, rec in variants if "learnability" in rec]
    if not scored:
        return default, f"{what.capitalize()}: {default} (learnability could not be measured)."
    best_name, best = max(scored, key=lambda item: item[1]["learnability"]["score"])
    base = dict(scored).get(f"scale:{default}")
    chosen_name = best_name
    if base is not None and base["learnability"]["score"] >= best["learnability"]["score"] - _margin(
        best["learnability"]
    ):
        chosen_name = f"scale:{default}"
    listing = ", ".join(f"{n.split(':')[1]} {r['learnability']['score']:.3f}" for n, r in scored)
    chosen = chosen_name.split(":")[1]
    return chosen, (
        f"{what.capitalize()}: {chosen} ({scored[0][1]['learnability']['metric']} by scaler: {listing}; "
        f"z-score is kept unless another is better beyond the fold-to-fold noise)."
    )


_METHOD_NAMES = {
    "mean": "the column mean",
    "median": "the column median",
    "knn": "k nearest neighbours (kNN)",
    "mice": "chained equations (MICE)",
    "soft": "low-rank soft-impute",
}


def _signal_rank(block: np.ndarray) -> int:
    center, scale = column_center_scale(block)
    z = np.nan_to_num((block - center) / scale)
    rank, _, _ = gavish_donoho_rank(z)
    return rank


def _resolve_steps(
    spec: list[dict[str, Any]] | None, corrections: Corrections
) -> tuple[list[RowStep], list[Step], list[Step]]:
    """Row steps, correction steps and (for a user recipe) model steps, in application order."""
    if spec is None:
        return (
            corrections.row_steps,
            sorted(corrections.steps, key=lambda s: CORRECTION_ORDER.index(s.action)),
            [],
        )
    found_rows = {s.action: s for s in corrections.row_steps}
    found_steps = {s.action: s for s in corrections.steps}
    rows: list[RowStep] = []
    fixes: list[Step] = []
    model: list[Step] = []
    for item in spec:
        action, params = item["action"], dict(item["params"])
        if action in ROW_STEP_TYPES:
            rows.append(
                ROW_STEP_TYPES[action](**params)
                if params
                else found_rows.get(action) or ROW_STEP_TYPES[action]()
            )
            continue
        cls = STEP_TYPES[action]
        if cls.stage == "correct":
            step = cls(**params) if params else found_steps.get(action)
            if step is None:
                continue  # nothing found to correct with this action
            fixes.append(step)
        elif action == "pca" and not params and corrections.signal_rank:
            model.append(ReduceDimensions(n_components=corrections.signal_rank))
        else:
            model.append(cls(**params))
    fixes.sort(key=lambda s: CORRECTION_ORDER.index(s.action))
    if not any(isinstance(s, Features) for s in model):
        model.append(Features())
    model.sort(key=lambda s: STAGE_ORDER[_stage_key(s)])
    return rows, fixes, model


def _stage_key(step: Step) -> str:
    return {
        "missing_indicators": "indicators",
        "impute": "impute",
        "winsorise": "winsorise",
        "scale": "scale",
        "features": "features",
        "pca": "pca",
    }[step.action]


def _fresh(step: Step) -> Step:
    return type(step)(**step.get_params())


def _fit_rows(frame: pl.DataFrame, roles: Roles) -> np.ndarray:
    if not roles.split or roles.split not in frame.columns:
        return np.ones(frame.height, dtype=bool)
    values = frame.get_column(roles.split).cast(pl.String).str.strip_chars().str.to_lowercase()
    mask = values.is_in(sorted(TRAIN_VALUES)).fill_null(False).to_numpy()
    if not mask.any():
        raise InputError(
            f"--split column {roles.split!r} has no training partition (a value such as 'train'); "
            "pre-qualification fits on the training rows only."
        )
    return mask


def _high_cardinality(frame: pl.DataFrame, roles: Roles) -> set[str]:
    """Text columns with too many distinct values to be categories (names, notes, codes)."""
    schema = frame.schema
    text = [c for c in frame.columns if schema[c] in (pl.String, pl.Categorical)]
    if not text:
        return set()
    counts = frame.select([pl.col(c).n_unique().alias(c) for c in text]).row(0, named=True)
    return {c for c in text if counts[c] > 50}


def _matrix(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    if not columns:
        return np.empty((frame.height, 0))
    return np.ascontiguousarray(
        frame.select([pl.col(c).cast(pl.Float64) for c in columns]).to_numpy(), dtype=np.float64
    )


def _roles_for(roles: Roles, frame: pl.DataFrame) -> Roles:
    present = set(frame.columns)
    single = {
        r: (getattr(roles, r) if getattr(roles, r) in present else None)
        for r in ("target", "id", "group", "time", "split")
    }
    return Roles(
        **single,
        sensitive=tuple(c for c in roles.sensitive if c in present),
        text=tuple(c for c in roles.text if c in present),
    )


def _explain(
    dataset: Dataset,
    before: Certificate,
    after: Certificate,
    removed_by_step: Mapping[str, list[int]],
    corrections: Corrections,
    correction_steps: Sequence[Step],
    model: Sequence[Step],
    choice_text: Sequence[str],
    materialize: bool,
    fit_mask: np.ndarray,
    roles: Roles,
) -> list[str]:
    lines: list[str] = []
    labels = {"drop_rows": "empty", "deduplicate": "exact copies of an earlier record"}
    for action, rows in removed_by_step.items():
        if rows:
            lines.append(
                f"Removed {len(rows)} record(s) that were {labels.get(action, action)}; the plan lists "
                "their positions."
            )
    for step in correction_steps:
        if isinstance(step, DropColumns):
            leaking = set(corrections.leaking)  # explained on their own below
            ordinary = {c: k for c, k in (step.columns or {}).items() if c not in leaking}
            if ordinary:
                reasons = ", ".join(f"{c!r} ({k})" for c, k in ordinary.items())
                lines.append(f"Dropped column(s) {reasons}.")
            continue
        lines.append(step.describe()[0].upper() + step.describe()[1:] + ".")
    for column in corrections.leaking:
        lines.append(
            f"WARNING: column {column!r} was dropped because it predicts the target too well to be "
            "legitimate (target_leakage); check with the data owner that it is not a legitimate predictor."
        )
    for column, check in corrections.kept_role_columns.items():
        lines.append(
            f"Column {column!r} was kept although {check} asked to drop it, because it holds a role."
        )
    if roles.split:
        lines.append(
            f"Every fitted statistic was learned on the {int(fit_mask.sum())} training records of "
            f"{roles.split!r} only, and applied to the other partitions."
        )
    lines += list(choice_text)
    lines.append("The model pipeline (in the plan): " + "; ".join(s.describe() for s in model) + ".")
    if not materialize:
        lines.append(
            "The clean table keeps the original column names and units: only corrections and imputed "
            "values are written; scaling, indicators and PCA stay in the model pipeline."
        )
    b, a = before.scores.get("overall"), after.scores.get("overall")
    lines.append(
        f"Quality score {_fmt(b)} before, {_fmt(a)} after; verdict {before.verdict} before, "
        f"{after.verdict} after."
    )
    if after.verdict == "reject":
        remaining = [f.check for f in after.findings if str(f.severity) == "critical"]
        names = sorted(set(remaining))
        lines.append(
            "No recipe lifts the blocking problems: "
            + ", ".join(names)
            + (" is" if len(names) == 1 else " are")
            + " still critical after pre-qualification, and "
            "preprocessing cannot fix that (new data, new labels or a redesign are needed). The verdict "
            "stays reject: do not train."
        )
    for f in after.findings:
        if str(f.severity) in ("error", "critical"):
            lines.append(
                f"Still open after pre-qualification ({f.check}, {f.severity}): {f.message} "
                f"Remedy: {f.remedy}"
            )
    return lines


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.1f}"
