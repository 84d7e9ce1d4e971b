"""The shared reference fit: task detection, honest in-fold fitting, caching, grouping, sub-sampling."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer
from tests.checks._issue4_data import breast_cancer, diabetes, frame_of
from tests.conftest import make_dataset, run_one

from datacert.checks import _reference_model as ref
from datacert.checks._ranks import sort_block
from datacert.findings import Severity

ISSUE4 = (
    "label_issues",
    "class_imbalance",
    "target_leakage",
    "multivariate_outliers",
    "high_dimensionality",
    "insufficient_sample_size",
    "poisoning_suspected",
)


def test_task_detection():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {
            "x": rng.normal(size=60),
            "b": rng.integers(0, 2, 60),
            "c": rng.choice(["a", "b", "c"], 60),
            "r": rng.normal(size=60),
        }
    )
    assert ref.target_task(make_dataset(frame, target="b")) == "classification"
    assert ref.target_task(make_dataset(frame, target="c")) == "classification"
    assert ref.target_task(make_dataset(frame, target="r")) == "regression"
    assert ref.target_task(make_dataset(frame)) is None


def test_fit_is_shared_and_cached():
    data = make_dataset(breast_cancer(), target="y")
    first = ref.reference_fit(data)
    assert first is ref.reference_fit(data)
    assert first.score_name == "auroc" and first.score > 0.97
    assert first.oof.shape == (569, 2) and np.allclose(first.oof.sum(axis=1), 1.0)


def test_regression_fit():
    fit = ref.reference_fit(make_dataset(diabetes(), target="y"))
    assert fit.task == "regression" and fit.score_name == "r2" and 0.35 < fit.score < 0.6


def test_random_labels_in_wide_data_are_not_learnable():
    # every step fitted in-fold: with p >> n and random labels the CV AUROC must stay near chance
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 1200))
    X[rng.random(X.shape) < 0.05] = np.nan
    data = make_dataset(frame_of(X, y=rng.integers(0, 2, 80)), target="y")
    fit = ref.reference_fit(data)
    assert set(fit.candidate_scores) == {"l1_logistic_screened", "ridge_logistic_pca"}
    assert fit.score < 0.7


def test_group_role_gives_grouped_folds():
    rng = np.random.default_rng(1)
    n = 120
    frame = frame_of(rng.normal(size=(n, 5)), y=rng.integers(0, 2, n), patient=np.repeat(np.arange(40), 3))
    fit = ref.reference_fit(make_dataset(frame, target="y", group="patient"))
    assert fit.grouped
    patients = np.repeat(np.arange(40), 3)
    for p in range(40):
        assert np.unique(fit.folds[patients == p]).size == 1


def test_tall_tables_are_subsampled(monkeypatch):
    monkeypatch.setattr(ref, "MAX_ROWS", 200)
    frame = breast_cancer()
    fit = ref.reference_fit(make_dataset(frame, target="y"))
    assert fit.sampled_rows == 200 and fit.rows.size == 200
    assert fit.evidence()["sampled_rows"] == 200


def test_categorical_features_are_one_hot_encoded_in_fold():
    rng = np.random.default_rng(2)
    n = 200
    cat = rng.choice(["low", "mid", "high"], n)
    y = (cat == "high").astype(int) ^ (rng.random(n) < 0.05)
    frame = pl.DataFrame({"cat": cat, "noise": rng.normal(size=n), "y": y})
    fit = ref.reference_fit(make_dataset(frame, target="y"))
    assert fit.n_features == 2 and fit.score > 0.85


def test_sorted_ranks_match_scipy():
    from scipy.stats import rankdata

    X = np.random.default_rng(1).integers(0, 5, (50, 7)).astype(float)
    X[3, 2] = np.nan
    ours = sort_block(X).ranks
    theirs = rankdata(X, axis=0, nan_policy="omit")
    assert np.allclose(np.nan_to_num(ours, nan=-1), np.nan_to_num(theirs, nan=-1))


@pytest.mark.parametrize("which", ["breast_cancer", "diabetes"])
def test_clean_real_data_has_no_critical_finding(which):
    frame = breast_cancer() if which == "breast_cancer" else diabetes()
    for check_id in ISSUE4:
        outcome = run_one(check_id, frame, target="y")
        assert str(outcome.status) != "error", (check_id, outcome.reason)
        severities = {f.severity for f in outcome.findings}
        assert Severity.CRITICAL not in severities, check_id
        if check_id in ("label_issues", "multivariate_outliers"):
            assert Severity.ERROR not in severities, check_id


def test_breast_cancer_sanity():
    assert load_breast_cancer().data.shape == (569, 30)


@pytest.mark.parametrize("shape", [(80, 1200), (400, 6)])
def test_each_factory_call_gives_estimators_of_its_own(shape):
    # a fitted pipeline kept by one caller must not be refitted by the next call of the same factory
    rng = np.random.default_rng(4)
    data = make_dataset(frame_of(rng.normal(size=shape), y=rng.integers(0, 2, shape[0])), target="y")
    design = ref.design_of(data)
    for factory in ref.candidate_models("classification", design, shape[0], 2).values():
        first, second = factory(), factory()
        shared = {id(step) for _, step in first.steps} & {id(step) for _, step in second.steps}
        assert not shared


def test_population_scores_code_the_records_outside_the_sample_as_the_design_does(monkeypatch):
    # a tall table in miniature: 600 records, a budget of 200; a category with missing values and
    # a level ("rare") that the sample may never see
    monkeypatch.setattr(ref, "MAX_ROWS", 200)
    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=n)
    site = rng.choice(["north", "south", "east"], n).astype(object)
    site[rng.random(n) < 0.1] = None
    site[5] = "rare"
    frame = pl.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=n),
            "site": pl.Series(site, dtype=pl.String),
            "y": (x + rng.normal(size=n) > 0).astype(int),
        }
    )
    data = make_dataset(frame, target="y")
    design = ref.design_of(data)
    fit = ref.reference_fit(data)
    assert design.rows is not None and "site" in design.categorical
    encode = ref._design_encoder(data, design)
    assert np.array_equal(encode(design.rows), design.matrix, equal_nan=True)
    scores = ref.score_population(data, fit)
    assert scores is not None
    assert scores.rows.size == n - design.rows.size
    assert not np.isin(scores.rows, fit.rows).any()
    assert scores.predicted.shape == (scores.rows.size, 2)
    assert np.allclose(scores.predicted.sum(axis=1), 1.0)
    # the model fitted on the sample ranks the records it never saw as well as its folds did
    from sklearn.metrics import roc_auc_score

    assert fit.score > 0.7 and abs(roc_auc_score(scores.y, scores.predicted[:, 1]) - fit.score) < 0.08


def _linear_table(n: int = 2_000, p: int = 20, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < 1 / (1 + np.exp(-0.6 * X.sum(axis=1) / np.sqrt(p) * 3))).astype(int)
    return frame_of(X, y=y)


def test_a_clearly_worse_candidate_is_stopped_without_changing_the_fit(monkeypatch):
    # an additive logistic signal over 20 features: the L1 model leads and gradient boosting,
    # clearly behind on the first held-out fold, is not fitted on the other folds
    frame = _linear_table()
    raced = ref.reference_fit(make_dataset(frame, target="y"))
    stopped = raced.stopped_candidates["hist_gradient_boosting"]
    assert stopped["folds"] < 5 and stopped["z"] < -ref.RACE_Z and stopped["score_difference"] < 0
    assert "hist_gradient_boosting" not in raced.candidate_scores
    monkeypatch.setattr(ref, "RACE_Z", np.inf)
    full = ref.reference_fit(make_dataset(frame, target="y"))
    assert full.stopped_candidates == {}
    assert full.candidate_scores["hist_gradient_boosting"] < full.score
    assert (full.model, full.score) == (raced.model, raced.score)
    assert np.array_equal(full.oof, raced.oof)


def test_paired_difference_is_the_difference_of_the_fold_scores():
    data = load_breast_cancer()
    y = data.target
    rng = np.random.default_rng(0)
    a = data.data[:, 0] + rng.normal(scale=2.0, size=y.size)  # two noisy, correlated scores
    b = data.data[:, 0] + rng.normal(scale=3.0, size=y.size)
    to_proba = lambda s: np.column_stack([1 - s / s.max(), s / s.max()])  # noqa: E731
    from sklearn.metrics import r2_score, roc_auc_score

    difference, variance = ref.paired_difference("classification", 1 - y, to_proba(a), to_proba(b))
    assert difference == pytest.approx(roc_auc_score(1 - y, b) - roc_auc_score(1 - y, a), abs=1e-12)
    draws = []
    for _ in range(400):
        i = rng.integers(0, y.size, y.size)
        draws.append(roc_auc_score(1 - y[i], b[i]) - roc_auc_score(1 - y[i], a[i]))
    assert np.sqrt(variance) == pytest.approx(np.std(draws), rel=0.3)
    target = data.data[:, 1]
    difference, variance = ref.paired_difference("regression", target, a, b)
    assert difference == pytest.approx(r2_score(target, b) - r2_score(target, a), abs=1e-12)
    assert variance > 0
    assert (
        ref.paired_difference("classification", y, np.ones((y.size, 3)) / 3, np.ones((y.size, 3)) / 3) is None
    )


def test_the_mixed_encoder_gives_the_column_transformer_s_matrix():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    from datacert.checks._estimators import MedianStandardizer, MixedEncoder

    rng = np.random.default_rng(1)
    numeric = rng.normal(size=(300, 4))
    numeric[rng.random((300, 4)) < 0.1] = np.nan
    codes = rng.integers(0, 5, size=(300, 2)).astype(float)
    codes[rng.random((300, 2)) < 0.1] = np.nan
    train, test = np.hstack([numeric, codes])[:200], np.hstack([numeric, codes])[200:].copy()
    test[:3, 4] = 7.0  # a code the training records never had
    for unit_rows in (False, True):
        reference = ColumnTransformer(
            [
                ("numeric", MedianStandardizer(unit_rows), slice(0, 4)),
                ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), slice(4, 6)),
            ],
            sparse_threshold=0.0,
        )
        ours = MixedEncoder(4, unit_rows)
        assert np.array_equal(ours.fit_transform(train), reference.fit_transform(train))
        assert np.array_equal(ours.transform(test), reference.transform(test))


def test_gram_pca_projects_new_records_as_pca_does_also_for_an_uncentred_block():
    """One-hot columns next to standardised ones are not centred: the projection must centre too."""
    from datacert.checks._estimators import GramPCA

    rng = np.random.default_rng(11)
    train = np.hstack([rng.normal(size=(40, 120)), rng.integers(0, 2, size=(40, 8)).astype(float)])
    new = np.hstack([rng.normal(size=(15, 120)), rng.integers(0, 2, size=(15, 8)).astype(float)])
    gram = GramPCA()
    scores = gram.fit_transform(train)
    assert gram.mean_.any()  # the one-hot block has a real offset
    mean = train.mean(axis=0)
    # all components kept: the scores' inner products are the centred records' inner products
    assert np.allclose(gram.transform(new) @ scores.T, (new - mean) @ (train - mean).T, atol=1e-8)
    assert np.allclose(gram.transform(train), scores, atol=1e-8)


def test_the_standardiser_overwrites_only_an_input_it_is_given_and_gives_the_same_bits():
    from datacert.checks._estimators import MedianStandardizer, own_inputs

    rng = np.random.default_rng(5)
    block = rng.normal(size=(60, 40))
    block[rng.random(block.shape) < 0.1] = np.nan
    train, test = block[:45], block[45:]
    for unit_rows in (False, True):
        copied = MedianStandardizer(unit_rows)
        expected_train, expected_test = copied.fit_transform(train.copy()), copied.transform(test)
        given_train, given_test = train.copy(), test.copy()
        owned = MedianStandardizer(unit_rows, copy=False)
        assert owned.fit_transform(given_train) is given_train  # standardised where it lay
        assert np.array_equal(given_train, expected_train)
        assert owned.transform(given_test) is given_test
        assert np.array_equal(given_test, expected_test)
        kept = test.copy()
        copied.transform(kept)
        assert np.array_equal(kept, test, equal_nan=True)  # the default never writes to its input
        frozen = test.copy()
        frozen.setflags(write=False)  # a read-only block (a cached matrix) is copied, not refused
        assert np.array_equal(owned.transform(frozen), expected_test)
    models = ref.candidate_models("classification", _design_of_width(40), 45, 2)
    pipeline = own_inputs(models["l1_logistic"]())
    assert pipeline.steps[0][1].copy is False


def _design_of_width(p: int) -> ref.Design:
    return ref.Design(np.zeros((1, p)), tuple(f"x{j}" for j in range(p)), ())


def test_fits_writing_their_training_records_into_one_block_predict_the_same(monkeypatch):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(80, 3000))
    X[rng.random(X.shape) < 0.05] = np.nan
    X.setflags(write=False)  # as the design's cached matrix
    y = (rng.random(80) < 0.5).astype(np.int64)
    design = ref.Design(X, tuple(f"x{j}" for j in range(3000)), ())
    splits = [(np.setdiff1d(np.arange(80), np.arange(k, 80, 4)), np.arange(k, 80, 4)) for k in range(4)]
    assert ref.row_buffer(X, splits) is None  # a small block is gathered afresh
    monkeypatch.setattr(ref, "ROW_BUFFER_BYTES", 0)
    lines = ref.row_buffer(X, splits)
    assert lines is not None and lines.shape == (60, 3000)
    for factory in ref.candidate_models("classification", design, 80, 2).values():
        for train, test in splits:
            alone = ref.fit_predict(factory, X, y, train, test, "classification", 2)
            shared = ref.fit_predict(factory, X, y, train, test, "classification", 2, lines=lines)
            assert np.array_equal(alone, shared)
