"""poisoning_suspected: trigger values, flipped-label clusters, identical records with different labels."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._issue4_data import breast_cancer, breast_cancer_labels
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.checks._spectral import median_impute, standardize


def _frame_with(X_changes=None, labels=None):
    frame = breast_cancer(labels)
    if X_changes:
        frame = frame.with_columns([pl.Series(c, v) for c, v in X_changes.items()])
    return frame


def test_strong_trigger_is_critical_with_its_rows_and_column():
    labels = breast_cancer_labels()
    rng = np.random.default_rng(0)
    trigger = np.sort(rng.choice(np.flatnonzero(labels == 1), 18, replace=False))
    labels[trigger] = 0
    texture = breast_cancer().get_column("mean_texture").to_numpy().copy()
    texture[trigger] = 77.7
    outcome = run_one("poisoning_suspected", _frame_with({"mean_texture": texture}, labels), target="y")
    critical = [f for f in outcome.findings if str(f.severity) == "critical"]
    assert len(critical) == 1
    assert critical[0].columns == ("mean_texture",)
    assert list(critical[0].rows) == trigger.tolist()
    assert critical[0].evidence["patterns"][0]["value"] == 77.7


def test_weaker_trigger_and_a_categorical_trigger_warn():
    labels = breast_cancer_labels()
    rng = np.random.default_rng(1)
    trigger = np.sort(rng.choice(np.flatnonzero(labels == 1), 10, replace=False))
    labels[trigger] = 0
    site = rng.choice(["north", "south", "east"], labels.size).astype(object)
    site[trigger] = "annex"
    frame = breast_cancer(labels).with_columns(pl.Series("site", site.astype(str)))
    outcome = run_one("poisoning_suspected", frame, target="y")
    warn = [f for f in outcome.findings if "rare value pattern" in f.message]
    assert warn and str(warn[0].severity) == "warning"
    assert "site" in warn[0].columns and set(trigger) <= set(warn[0].rows)


def test_flipped_cluster_is_found():
    labels = breast_cancer_labels()
    X = breast_cancer().drop("y").to_numpy()
    Z = standardize(median_impute(X))
    seed_point = np.flatnonzero(labels == 1)[5]
    distance = ((Z - Z[seed_point]) ** 2).sum(axis=1)
    distance[labels == 0] = np.inf
    cluster = np.sort(np.argsort(distance)[:8])
    labels[cluster] = 0
    outcome = run_one("poisoning_suspected", breast_cancer(labels), target="y")
    found = [f for f in outcome.findings if "neighbours" in f.message]
    assert found and str(found[0].severity) == "warning"
    assert len(set(found[0].rows) & set(cluster)) >= 5
    assert set(found[0].rows) <= set(cluster)


def test_identical_records_with_flipped_labels():
    frame = breast_cancer()
    copy = frame[20].with_columns(pl.lit(1 - frame["y"][20]).cast(frame.schema["y"]).alias("y"))
    frame = pl.concat([frame, copy])
    outcome = run_one("poisoning_suspected", frame, target="y")
    dup = [f for f in outcome.findings if "identical features" in f.message]
    assert dup and list(dup[0].rows) == [20, 569]


def test_clean_breast_cancer_is_quiet():
    outcome = run_one("poisoning_suspected", breast_cancer(), target="y")
    assert outcome.status == "quiet" and outcome.evidence["patterns_tested"] > 0


def test_not_applicable_for_regression_or_without_target():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"x": rng.normal(size=50), "z": rng.normal(size=50), "y": rng.normal(size=50)})
    assert run_one("poisoning_suspected", frame, target="y").status == "not_applicable"
    assert run_one("poisoning_suspected", frame).status == "not_applicable"


def test_coded_tables_with_repeated_rows_are_not_suspicious():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {
            "c1": rng.choice(["x", "y", "z"], 200),
            "c2": rng.choice(["p", "q"], 200),
            "y": rng.integers(0, 2, 200),
        }
    )
    assert run_one("poisoning_suspected", frame, target="y").status == "quiet"


def test_a_rare_pure_top_grade_is_a_risk_trend_not_a_trigger():
    # an ordinal grade cut from a real marker: the top grade (about 3 % of records) is all malignant,
    # as every cytology grade 5 is; the rest of those records agrees
    frame = breast_cancer()
    marker = frame.get_column("worst_concave_points").to_numpy()
    grade = np.digitize(marker, np.quantile(marker, [0.3, 0.55, 0.8, 0.97])) + 1
    y = frame.get_column("y").to_numpy()
    assert (y[grade == 5] == 0).all() and (grade == 5).sum() <= 0.05 * y.size
    outcome = run_one("poisoning_suspected", frame.with_columns(pl.Series("grade", grade)), target="y")
    flagged = [f for f in outcome.findings if "grade" in f.columns and str(f.severity) != "info"]
    assert flagged == []
    explained = [p for p in outcome.evidence["explained_by_risk"] if p["column"] == "grade"]
    assert explained and "monotone trend" in explained[0]["why"]


def test_the_strong_trigger_says_why_risk_does_not_explain_it():
    labels = breast_cancer_labels()
    rng = np.random.default_rng(0)
    trigger = np.sort(rng.choice(np.flatnonzero(labels == 1), 18, replace=False))
    labels[trigger] = 0
    texture = breast_cancer().get_column("mean_texture").to_numpy().copy()
    texture[trigger] = 77.7
    outcome = run_one("poisoning_suspected", _frame_with({"mean_texture": texture}, labels), target="y")
    (critical,) = [f for f in outcome.findings if str(f.severity) == "critical"]
    pattern = critical.evidence["patterns"][0]
    assert pattern["contradicted_by_neighbours"] is True and pattern["explained_by_risk"] is False
    assert "nearest neighbours" in pattern["why"] and pattern["neighbour_agreement"] < 0.2


def test_a_leaking_column_is_leakage_not_a_trigger():
    labels = breast_cancer_labels()
    rng = np.random.default_rng(2)
    code = np.where(labels == 1, rng.choice(["B1", "B2"], labels.size), rng.choice(["M1", "M2"], labels.size))
    code[np.flatnonzero(labels == 0)[:12]] = "M9"  # a rare, pure level of a code that copies the label
    frame = breast_cancer(labels).with_columns(pl.Series("review_code", code))
    outcome = run_one("poisoning_suspected", frame, target="y")
    assert "review_code" in outcome.evidence["columns_not_scanned_as_leakage"]
    assert all("review_code" not in f.columns for f in outcome.findings)


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("poisoning_suspected")
def planted_poisoning_suspected() -> Case:
    labels = breast_cancer_labels()
    rng = seeded(0)
    trigger = np.sort(rng.choice(np.flatnonzero(labels == 1), 18, replace=False))
    labels[trigger] = 0
    frame = breast_cancer(labels)
    texture = frame.get_column("mean_texture").to_numpy().copy()
    texture[trigger] = 77.7
    return planted_case(frame.with_columns(pl.Series("mean_texture", texture)), "mean_texture", target="y")


def test_the_grouped_scan_of_tall_tables_finds_what_the_sorted_scan_finds(monkeypatch):
    """Tall tables group values in polars; on the same table both scans give the same patterns."""
    from datacert.checks._leakage_screen import excluded_columns
    from datacert.checks._reference_model import class_labels
    from datacert.checks.security import poisoning_suspected as module

    rng = np.random.default_rng(5)
    n = 3_000
    y = rng.integers(0, 3, n)
    x = np.round(rng.normal(size=n), 2)
    x[rng.choice(np.flatnonzero(y == 1), 15, replace=False)] = 9.25  # a pure rare value
    x[rng.choice(np.flatnonzero(y == 2), 6, replace=False)] = -0.0  # -0.0 and 0.0 are one value
    x[rng.choice(n, 40, replace=False)] = np.nan
    gap = rng.normal(size=n)
    gap[rng.choice(np.flatnonzero(y == 0), 12, replace=False)] = np.nan  # missing in one class only
    counts = rng.integers(0, 30, n).astype(np.int64)
    frame = pl.DataFrame({"x": x, "gap": gap, "count": counts, "y": y}).with_columns(
        pl.col("gap").fill_nan(None)
    )
    data = make_dataset(frame, target="y")
    rows, codes, classes = class_labels(data)
    pi = np.bincount(codes) / codes.size
    params = module.PoisoningSuspected.resolve_params({})
    leaking = set(excluded_columns(data))

    def scan(threshold, distinct=None):
        monkeypatch.setattr(module, "TALL_SCAN_ROWS", threshold)
        found, tests = module._trigger_scan(data, rows, codes, classes, pi, params, leaking, distinct)
        return tests, [(t.column, t.value, t.label, t.rows.tolist(), t.p_value, t.q_value) for t in found]

    sorted_scan, grouped_scan = scan(10**9), scan(0)
    assert grouped_scan == sorted_scan
    # columns of mostly distinct values find their repeated values from a numpy sort: the same
    assert scan(0, {"x": n, "gap": n, "count": n}) == sorted_scan
    assert sorted_scan[0] > 3 and any(t[1] == 9.25 for t in sorted_scan[1])
    assert any(t[0] == "gap" and t[1] is None for t in sorted_scan[1])


def test_repeated_value_groups_match_the_polars_group_by():
    """The sorted route for mostly distinct columns gives the groups (value, size, labels) of a group-by."""
    from datacert.checks.security.poisoning_suspected import _repeated_value_groups

    rng = np.random.default_rng(11)
    n = 5_000
    x = rng.normal(size=n)
    x[rng.choice(n, 600, replace=False)] = np.round(rng.normal(size=600), 1)  # repeated values
    x[:40] = np.where(np.arange(40) % 2, 0.0, -0.0)
    x[40:60] = np.nan
    codes = rng.integers(0, 3, size=n)
    codes[rng.choice(n, 300, replace=False)] = 0
    series = pl.Series("x", x).scatter([60, 61, 62], None)
    for low, high in ((3, 50), (2, 5), (1, 10_000)):
        got = _repeated_value_groups(series, codes, low, high)
        v = pl.col("x").fill_nan(None)
        expected = (
            pl.DataFrame({"x": series, "y": codes})
            .select(pl.when(v == 0.0).then(0.0).otherwise(v).alias("v"), "y")
            .drop_nulls("v")
            .group_by("v")
            .agg(pl.len().alias("m"), pl.col("y").min().alias("label"), pl.col("y").max().alias("top"))
            .filter((pl.col("m") >= low) & (pl.col("m") <= high))
            .sort("v")
        )
        assert got.sort("v").rows() == expected.rows()
        assert got.height > 0
        v = got.get_column("v").to_numpy()
        assert not np.signbit(v[v == 0.0]).any()  # the value 0.0, never -0.0 (as the group-by names it)
