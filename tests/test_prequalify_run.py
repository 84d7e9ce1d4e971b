"""End-to-end pre-qualification: corrections, choice, clean table, plan replay, before/after."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from sklearn.pipeline import Pipeline

import datacert
from datacert.certificate import Certificate
from datacert.prequalification import PlanError, apply_plan, build_pipeline, plan_to_json, prequalify
from datacert.prequalification._run import _explain


def cohort(n: int = 150, seed: int = 0) -> pl.DataFrame:
    """A small clinical table with planted defects the existing checks find."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, n)
    weight = rng.normal(75, 10, n).round(1)
    sbp = (100 + 0.5 * age + rng.normal(0, 8, n)).round(0)
    risk = 0.05 * (age - 55) + 0.04 * (sbp - 127)
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    sbp_missing = rng.random(n) < 0.2
    frame = pl.DataFrame(
        {
            "record_id": [f"R{i:04d}" for i in range(n)],
            "age": age,
            "weight_kg": weight,
            "sbp": np.where(sbp_missing, np.nan, sbp),
            "site": rng.choice(["A", "B"], n),
            "country": ["FR"] * n,
            "note": ["ok"] * n,
            "y": y,
        }
    ).with_columns(pl.col("sbp").fill_nan(None))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit('=HYPERLINK("x")'))
        .otherwise(pl.col("note"))
        .alias("note")
    )
    blank = [c for c in frame.columns if c != "record_id"]
    frame = frame.with_columns(
        [
            pl.when(pl.int_range(pl.len()).is_in([20, 21])).then(None).otherwise(pl.col(c)).alias(c)
            for c in blank
        ]
    )
    copies = frame[:5].with_columns(pl.Series("record_id", [f"C{i}" for i in range(5)]))
    return pl.concat([frame, copies])


@pytest.fixture(scope="module")
def result():
    return prequalify(cohort(), target="y", id="record_id", budget=20)


def test_clean_table_keeps_order_names_and_units(result):
    source = cohort()
    clean = result.clean
    assert result.plan["removed_rows"] == [20, 21, 150, 151, 152, 153, 154]
    assert result.plan["removed_rows_by_step"] == {
        "drop_rows": [20, 21],
        "deduplicate": [150, 151, 152, 153, 154],
    }
    kept = [i for i in range(source.height) if i not in set(result.plan["removed_rows"])]
    assert (
        clean.get_column("record_id").to_list()
        == source.get_column("record_id").to_list()[:150][:20]
        + source.get_column("record_id").to_list()[22:150]
    )
    assert "country" not in clean.columns  # constant column dropped
    assert clean.columns == [c for c in source.columns if c != "country"]
    assert clean.get_column("sbp").null_count() == 0
    original = source[kept]
    observed = original.get_column("sbp").is_not_null()
    assert (
        clean.get_column("sbp").filter(observed).to_list()
        == original.get_column("sbp").filter(observed).to_list()
    )
    assert clean.get_column("weight_kg").to_list() == original.get_column("weight_kg").to_list()  # not scaled
    assert clean.schema["age"] == pl.Int64
    assert clean["note"][7] == '\'=HYPERLINK("x")'


def test_choice_is_explained_with_numbers_and_scored_three_ways(result):
    names = [c["name"] for c in result.candidates]
    assert {"impute:mean", "impute:median", "impute:knn", "impute:mice"} <= set(names)
    scored = [c for c in result.candidates if "imputation" in c and "learnability" in c]
    assert scored and all(
        0 <= c["imputation"]["nrmse"] < 2 and c["learnability"]["metric"] == "AUROC" for c in scored
    )
    imputers = [c for c in scored if c["name"].startswith("impute:")]
    assert imputers and all(0 < c["quality_after"]["overall"] <= 100 for c in imputers)  # (c) re-checked
    text = " ".join(result.explanation)
    assert "NRMSE" in text and "AUROC" in text and "Quality score of the corrected table" in text
    section = result.certificate.to_dict()["prequalification"]
    assert section["before"]["verdict"] == result.before.verdict
    assert section["after"]["scores"]["overall"] >= section["before"]["scores"]["overall"]
    assert section["input_fingerprint"] == result.plan["input"]["fingerprint"]
    assert section["output_fingerprint"] == datacert.fingerprint.fingerprint_frame(result.clean)


def test_plan_is_deterministic_and_replays_to_the_same_table(result):
    text = plan_to_json(result.plan)
    assert json.loads(text) == json.loads(plan_to_json(json.loads(text)))
    again, removed = apply_plan(text, cohort())
    assert removed == result.plan["removed_rows"]
    assert again.equals(result.clean)
    other = cohort(seed=1)
    replayed, _ = apply_plan(result.plan, other)
    assert replayed.get_column("sbp").null_count() == 0


def test_same_input_gives_byte_identical_plan_and_certificate(result):
    again = prequalify(cohort(), target="y", id="record_id", budget=20)
    assert again.plan_json() == result.plan_json()
    assert again.certificate.to_json(include_run=False) == result.certificate.to_json(include_run=False)


def test_build_pipeline_transforms_new_data(result):
    pipeline = build_pipeline(result.plan)
    assert isinstance(pipeline, Pipeline)
    matrix = pipeline.transform(cohort(seed=2)[:30])
    assert matrix.shape[0] == 30 and np.isfinite(matrix).all()


def test_apply_refuses_another_schema(result):
    with pytest.raises(PlanError, match="missing columns 'sbp'"):
        apply_plan(result.plan, cohort().drop("sbp"))
    with pytest.raises(PlanError, match="'site' is number, expected text"):
        apply_plan(result.plan, cohort().with_columns(pl.lit(1).alias("site")))


def test_split_fits_on_train_rows_only():
    frame = (
        cohort(120, seed=3)
        .with_columns(pl.Series("part", ["train"] * 80 + ["test"] * 45))
        .with_columns(
            pl.when(pl.col("part") == "test")
            .then(pl.col("weight_kg") + 100)
            .otherwise(pl.col("weight_kg"))
            .alias("w2")
        )
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("w2")).alias("w2")
    )
    result = prequalify(
        frame,
        target="y",
        id="record_id",
        split="part",
        budget=5,
        recipe={"steps": [{"action": "impute", "method": "mean"}]},
    )
    impute = next(s for s in result.plan["steps"] if s["action"] == "impute")
    assert result.plan["fit_rows"]["partition"] == "train"
    clean = result.clean
    train_w2 = clean.filter(pl.col("part") == "train").get_column("w2")
    filled = clean.filter(
        (pl.col("part") == "test")
        & frame.filter(pl.int_range(pl.len()).is_in(result.plan["removed_rows"]).not_())
        .get_column("w2")
        .is_null()
    )
    assert filled.height and np.allclose(filled.get_column("w2").to_numpy(), train_w2.mean(), atol=2.0)
    assert impute["params"]["method"] == "mean"
    assert "training records" in " ".join(result.explanation)


def test_user_recipe_is_applied_instead_of_the_search():
    result = prequalify(
        cohort(),
        target="y",
        id="record_id",
        budget=5,
        recipe={
            "steps": [
                "deduplicate",
                {"action": "impute", "method": "knn", "n_neighbors": 3},
                {"action": "scale", "method": "robust"},
            ]
        },
    )
    actions = [s["action"] for s in result.plan["steps"]]
    assert actions == ["impute", "scale", "features"]
    assert result.plan["removed_rows"] == [
        21,
        150,
        151,
        152,
        153,
        154,
    ]  # copies only: the blank rows are alike
    assert [c["name"] for c in result.candidates] == ["user recipe"]
    features = next(st for st in result.plan["steps"] if st["action"] == "features")
    assert "y" not in features["fitted"]["numeric"] and "y" in features["params"]["exclude"]
    assert result.plan["choice"]["recipe"] == "user"


def test_materialize_transforms_writes_scaled_values():
    result = prequalify(
        cohort(),
        target="y",
        id="record_id",
        budget=5,
        materialize_transforms=True,
        recipe={"steps": [{"action": "impute", "method": "median"}, {"action": "scale"}]},
    )
    weight = result.clean.get_column("weight_kg").to_numpy()
    assert abs(weight.mean()) < 1e-6 and abs(weight.std() - 1) < 1e-6


def test_leaking_column_is_dropped_with_a_clear_statement():
    rng = np.random.default_rng(4)
    n = 200
    y = rng.integers(0, 2, n)
    frame = pl.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "outcome_code": np.where(y == 1, "DECEASED", "ALIVE"),
            "y": y,
        }
    )
    result = prequalify(frame, target="y", budget=5)
    assert "outcome_code" not in result.clean.columns
    assert any(
        "'outcome_code' was dropped because it predicts the target" in line for line in result.explanation
    )


def test_reject_stays_reject_with_why():
    finding = datacert.Finding.make(
        "label_issues",
        "label_quality",
        "critical",
        "Most labels look wrong.",
        columns=["y"],
        rows=[1, 2],
        remedy="Relabel.",
    )
    cert = Certificate(
        dataset={},
        verdict="reject",
        reasons=["label_issues"],
        scores={"overall": 30.0},
        findings=[finding],
        remedies=[],
        checks=[],
        profile={},
    )
    from datacert.prequalification._corrections import Corrections
    from datacert.roles import Roles

    lines = _explain(None, cert, cert, {}, Corrections(), [], [], [], False, np.ones(3, bool), Roles())
    text = " ".join(lines)
    assert "No recipe lifts the blocking problems: label_issues" in text and "stays reject" in text


def test_certificate_after_keeps_the_contract(result, certificate_validator):
    data = json.loads(result.certificate.to_json())
    certificate_validator.validate(data)
    assert list(data) == sorted(data) and "prequalification" in data


def test_unlearnable_data_stays_rejected_end_to_end():
    rng = np.random.default_rng(0)
    n = 120
    frame = pl.DataFrame(
        {
            "pid": [f"P{i // 3}" for i in range(n)],
            "x": rng.normal(size=n),
            "z": [
                None if r < 0.2 else float(v) for r, v in zip(rng.random(n), rng.normal(size=n), strict=True)
            ],
            "y": rng.integers(0, 2, n),
        }
    )
    result = prequalify(frame, target="y", group="pid", budget=5)
    assert result.candidates[0]["learnability"]["cv"] == "StratifiedGroupKFold"
    assert result.verdict == "reject" and result.exit_code == 4
    assert any(
        "No recipe lifts the blocking problems" in line and "stays reject" in line
        for line in result.explanation
    )


def test_top_level_pipeline_builds_the_plan_pipeline():
    import datacert
    from datacert.prequalification import build_pipeline

    assert datacert.pipeline is build_pipeline
