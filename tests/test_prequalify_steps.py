"""Pre-qualification steps: each fires on its planted defect, replays from the plan, fits inside folds."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from tests.conftest import make_dataset

from datacert.findings import Finding
from datacert.prequalification import RecipeError, build_pipeline, load_recipe
from datacert.prequalification._corrections import build_corrections
from datacert.prequalification._evaluate import informative_missingness, learnability, mask_and_score, task_of
from datacert.prequalification._impute import BlockImputer, SoftImpute, gavish_donoho_rank
from datacert.prequalification._plan import PLAN_KIND, PLAN_VERSION, apply_rows
from datacert.prequalification._steps import (
    ConvertType,
    Deduplicate,
    DropEmptyRows,
    Features,
    Impute,
    MissingIndicators,
    NeutraliseFormulas,
    ReduceDimensions,
    Scale,
    Step,
    Winsorise,
)


def low_rank(n=120, p=12, rank=3, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, rank)) @ rng.normal(size=(rank, p)) + noise * rng.normal(size=(n, p))


def test_row_steps_drop_copies_and_empty_records_by_position():
    frame = pl.DataFrame(
        {"id": ["a", "b", "c", "d", "e"], "x": [1.0, 2.0, None, 1.0, 3.0], "s": ["u", "v", None, "u", "w"]}
    )
    kept, removed, by_step = apply_rows(frame, [DropEmptyRows(ignore=["id"]), Deduplicate(ignore=["id"])])
    assert by_step == {"drop_rows": [2], "deduplicate": [3]}
    assert removed == [2, 3]
    assert kept.get_column("id").to_list() == ["a", "b", "e"]  # original order kept


def test_findings_become_corrections_with_their_evidence():
    rng = np.random.default_rng(1)
    n = 60
    glucose = rng.normal(100, 10, n)
    glucose[[5, 17, 33]] = glucose[[5, 17, 33]] / 18.0
    weight = rng.normal(70, 8, n)
    weight[[2, 9]] = -999.0
    age = rng.integers(20, 80, n).astype(float)
    age[40] = 190.0
    frame = pl.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "glucose": glucose,
            "weight": weight,
            "age": age,
            "sex": rng.choice(["F", "M", "f"], n),
            "copy": weight,
            "name": [f"Person {i}" for i in range(n)],
            "leak": rng.integers(0, 2, n),
            "y": rng.integers(0, 2, n),
        }
    )
    data = make_dataset(frame, target="y")
    findings = [
        Finding.make(
            "disguised_missing",
            "completeness",
            "error",
            "m",
            columns=["weight"],
            rows=[2, 9],
            evidence={"sentinels": [-999]},
        ),
        Finding.make(
            "inconsistent_categories",
            "conformance",
            "warning",
            "m",
            columns=["sex"],
            evidence={"mapping": {"f": "F"}},
        ),
        Finding.make(
            "mixed_units",
            "conformance",
            "error",
            "m",
            columns=["glucose"],
            rows=[5, 17, 33],
            evidence={
                "conversion": {"scale": 18.0, "offset": 0.0},
                "factor": 18.0,
                "from_unit": "mmol/L",
                "to_unit": "mg/dL",
            },
        ),
        Finding.make(
            "out_of_range",
            "plausibility",
            "error",
            "m",
            columns=["age"],
            rows=[40],
            evidence={"limits": [0, 120]},
        ),
        Finding.make(
            "duplicate_columns",
            "informativeness",
            "warning",
            "m",
            columns=["weight", "copy"],
            evidence={"keep": "weight"},
        ),
        Finding.make("direct_identifier", "privacy", "error", "m", columns=["name"]),
        Finding.make("direct_identifier", "privacy", "error", "m", columns=["record_id"]),
        Finding.make("target_leakage", "leakage", "error", "m", columns=["leak"]),
        Finding.make("label_issues", "label_quality", "error", "m", columns=["y"], rows=[1]),
        Finding.make("high_dimensionality", "informativeness", "warning", "m", evidence={"signal_rank": 4}),
        Finding.make("univariate_outliers", "plausibility", "warning", "m", columns=["weight"], rows=[3]),
        Finding.make("informative_missingness", "completeness", "warning", "m", columns=["glucose", "y"]),
    ]
    corr = build_corrections(data, findings)
    assert corr.dropped == {
        "copy": "duplicate_columns",
        "name": "direct_identifier",
        "leak": "target_leakage",
    }
    assert corr.leaking == ["leak"]
    assert corr.kept_role_columns == {"record_id": "direct_identifier"}  # the id role is never dropped
    assert [u["check"] for u in corr.unfixed] == ["label_issues"]
    assert corr.signal_rank == 4 and corr.outlier_columns == ["weight"] and corr.informative == ["glucose"]
    out = frame
    for step in corr.steps:
        out = step.fit(out).transform(out)
    assert out.columns == ["record_id", "glucose", "weight", "age", "sex", "y"]
    assert out.get_column("weight").null_count() == 2 and out["weight"][2] is None
    assert set(out.get_column("sex").unique()) == {"F", "M"}
    converted = out.get_column("glucose").to_numpy()
    assert np.allclose(converted[[5, 17, 33]], glucose[[5, 17, 33]] * 18.0)  # majority unit, original scale
    assert np.allclose(np.delete(converted, [5, 17, 33]), np.delete(glucose, [5, 17, 33]))
    assert out["age"][40] is None and out.get_column("age").null_count() == 1


def test_formulas_and_numbers_stored_as_text():
    frame = pl.DataFrame({"note": ["ok", "=HYPERLINK(1)", "@SUM(A1)", "-3"], "crp": ["1,5", "<5", "7", None]})
    out = NeutraliseFormulas(columns=["note"]).fit(frame).transform(frame)
    assert out.get_column("note").to_list() == ["ok", "'=HYPERLINK(1)", "'@SUM(A1)", "-3"]
    step = ConvertType(columns={"crp": "number"}).fit(frame)
    assert step.transform(frame).get_column("crp").to_list() == [1.5, None, 7.0, None]
    assert step.fitted_["values_made_missing_at_fit"] == {"crp": 1}


@pytest.mark.parametrize("method", ["mean", "median", "knn", "mice", "soft"])
def test_every_imputer_fills_and_keeps_types(method):
    rng = np.random.default_rng(2)
    x = low_rank(80, 6)
    x[rng.random(x.shape) < 0.15] = np.nan
    gone = rng.random((80, 2)) < 0.2
    counts = [None if g else int(v) for g, v in zip(gone[:, 0], rng.integers(0, 9, 80), strict=True)]
    cats = [None if g else str(v) for g, v in zip(gone[:, 1], rng.choice(["a", "b", "b"], 80), strict=True)]
    frame = pl.DataFrame({f"c{j}": x[:, j] for j in range(6)}).with_columns(
        pl.Series("count", counts, dtype=pl.Int64), pl.Series("cat", cats)
    )
    step = Impute(method=method, columns=[f"c{j}" for j in range(6)] + ["count"], categorical=["cat"]).fit(
        frame
    )
    out = step.transform(frame)
    assert out.null_count().row(0) == (0,) * out.width
    assert out.schema["count"] == pl.Int64 and out.columns == frame.columns
    observed = ~np.isnan(x)
    assert np.allclose(out.select([f"c{j}" for j in range(6)]).to_numpy()[observed], x[observed])
    assert out.get_column("cat").filter(frame.get_column("cat").is_null()).unique().to_list() == ["b"]


def test_mask_and_score_ranks_structured_imputers_above_the_mean():
    x = low_rank(150, 10, rank=2, noise=0.05)

    def run(method):
        return mask_and_score(x, lambda m: BlockImputer(method).fit(m).transform(m), repeats=2)["nrmse"]

    mean, mice, soft = run("mean"), run("mice"), run("soft")
    assert 0.9 < mean < 1.15
    assert mice < 0.5 and soft < 0.5


def test_soft_impute_recovers_low_rank_and_folds_in_new_rows():
    x = low_rank(200, 400, rank=5, noise=0.05, seed=3)
    rank, _, _ = gavish_donoho_rank(x - x.mean(axis=0))
    assert rank == 5
    rng = np.random.default_rng(4)
    train, new = x[:150].copy(), x[150:].copy()
    train[rng.random(train.shape) < 0.1] = np.nan
    holes = rng.random(new.shape) < 0.1
    masked = new.copy()
    masked[holes] = np.nan
    model = SoftImpute().fit(train)
    filled = model.transform(masked)
    err = np.sqrt(np.mean((filled[holes] - new[holes]) ** 2)) / np.std(new)
    assert err < 0.3
    again = SoftImpute.from_state(model.state()).transform(masked)
    assert np.array_equal(filled, again)


def test_every_step_replays_identically_from_its_plan_record():
    rng = np.random.default_rng(5)
    x = low_rank(60, 5)
    x[rng.random(x.shape) < 0.1] = np.nan
    frame = pl.DataFrame({f"c{j}": x[:, j] for j in range(5)}).with_columns(
        pl.Series("site", rng.choice(["A", "B"], 60)), pl.Series("y", rng.integers(0, 2, 60))
    )
    cols = [f"c{j}" for j in range(5)]
    steps = [
        MissingIndicators(columns=["c0"]),
        Impute(method="knn", columns=cols, categorical=["site"]),
        Winsorise(columns=cols),
        Scale(method="robust", exclude=["y"]),
        Features(exclude=["y"]),
        ReduceDimensions(n_components=3),
    ]
    current = frame
    for step in steps:
        current = step.fit(current).transform(current)
    new = frame[:20]
    plan = {"kind": PLAN_KIND, "plan_version": PLAN_VERSION, "steps": [s.to_plan() for s in steps]}
    pipeline = build_pipeline(plan)
    assert isinstance(pipeline, Pipeline)
    expected = new
    for step in steps:
        expected = step.transform(expected)
    assert np.allclose(pipeline.transform(new), expected)
    assert pipeline.transform(new).shape == (20, 3)
    for step in steps:
        restored = Step.from_plan(step.to_plan())
        assert restored.get_params() == step.get_params()


class _FitSpy(TransformerMixin, BaseEstimator):
    seen: ClassVar[list[int]] = []

    def fit(self, X, y=None):
        _FitSpy.seen.append(X.height)
        return self

    def transform(self, X):
        return X


class _Select(TransformerMixin, BaseEstimator):
    """A supervised step (keeps the k features most associated with y): leaks if fitted outside folds."""

    def __init__(self, k=10):
        self.k = k

    def fit(self, X, y=None):
        self.sel_ = SelectKBest(f_classif, k=self.k).fit(X, y)
        return self

    def transform(self, X):
        return self.sel_.transform(X)


def test_learnability_fits_the_whole_recipe_inside_each_fold():
    rng = np.random.default_rng(6)
    n, p = 60, 1000
    frame = pl.DataFrame(
        rng.normal(size=(n, p)), schema=[f"g{j}" for j in range(p)], orient="row"
    ).with_columns(pl.Series("y", rng.integers(0, 2, n)))
    task = task_of(frame.get_column("y"))
    _FitSpy.seen = []
    steps = [("spy", _FitSpy()), ("features", Features(exclude=["y"])), ("select", _Select())]
    inside = learnability(steps, frame, task, None, n_splits=5)
    assert _FitSpy.seen and max(_FitSpy.seen) < n  # never fitted on the held-out rows
    assert inside["score"] < 0.7  # random labels: nothing to learn
    # the same selection fitted once on all rows (outside the folds) inflates the score
    matrix = Features(exclude=["y"]).fit(frame).transform(frame)
    leaked = SelectKBest(f_classif, k=10).fit_transform(matrix, task.y)
    outside = cross_val_score(
        LogisticRegression(max_iter=500),
        leaked,
        task.y,
        scoring="roc_auc",
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    ).mean()
    assert outside > inside["score"] + 0.2


def test_learnability_keeps_groups_in_one_fold():
    rng = np.random.default_rng(7)
    n = 60
    frame = pl.DataFrame({"x": rng.normal(size=n), "y": rng.integers(0, 2, n)})
    groups = np.repeat(np.arange(12), 5)
    result = learnability([("features", Features(exclude=["y"]))], frame, task_of(frame["y"]), groups)
    assert result["cv"] == "StratifiedGroupKFold" and result["n_splits"] == 5


def test_informative_missingness_finds_the_planted_column():
    rng = np.random.default_rng(8)
    n = 400
    y = rng.integers(0, 2, n)
    block = rng.normal(size=(n, 3))
    block[(y == 1) & (rng.random(n) < 0.5), 0] = np.nan  # missing mostly for positives
    block[rng.random(n) < 0.2, 1] = np.nan  # missing at random
    frame = pl.DataFrame(block, schema=["a", "b", "c"]).with_columns(pl.Series("y", y))
    frame = frame.with_columns(pl.col(c).fill_nan(None) for c in "abc")
    found = informative_missingness(frame, ["a", "b", "c"], "y", {})
    assert found["columns"] == ["a"]
    assert found["tested"] == 2 and found["q_values"]["a"] < 0.05


def test_recipe_validation_names_the_bad_step():
    steps = load_recipe(
        {
            "steps": [
                "deduplicate",
                {"action": "impute", "method": "knn", "n_neighbors": 3},
                {"action": "scale", "method": "robust"},
            ]
        }
    )
    assert [s["action"] for s in steps] == ["deduplicate", "impute", "scale"]
    with pytest.raises(RecipeError, match=r"step 2.*unknown action 'boil'"):
        load_recipe({"steps": ["deduplicate", {"action": "boil"}]})
    with pytest.raises(RecipeError, match="step 1 \\(impute\\): method"):
        load_recipe({"steps": [{"action": "impute", "method": "magic"}]})
    with pytest.raises(RecipeError, match="unknown parameter"):
        load_recipe({"steps": [{"action": "scale", "how": "robust"}]})
    with pytest.raises(RecipeError, match="non-empty list"):
        load_recipe({"steps": []})
