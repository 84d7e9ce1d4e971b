"""Trust on real data: clinical limits, sentinels, missingness blocks, sites and a pre-qualification
that changes no observed value that is not an error, on real tables shipped in PyPI packages
(benchmarks/real_tables.py) and on planted cases."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from benchmarks.real_tables import TableUnavailable, error_mask, load
from benchmarks.real_tables_bench import changed_observed_cells
from tests.conftest import make_dataset, run_one

from datacert import check, prequalify
from datacert.checks.plausibility._physiology import load_variables, match_variable
from datacert.findings import Status
from datacert.prequalification._steps import Impute


def _real(name: str):
    try:
        return load(name)
    except TableUnavailable as exc:
        pytest.skip(str(exc))


def test_knowledge_base_has_150_variables_with_names_units_and_sources():
    variables = load_variables()
    assert len(variables) >= 150
    assert len({v.key for v in variables}) == len(variables)
    for v in variables:
        assert v.source and v.units and v.names, v.key
        assert v.group, v.key
    assert sum(1 for v in variables if v.loinc) >= 140
    for name, key in [
        ("sysbp", "sbp"),
        ("diasbp", "dbp"),
        ("hr", "heart_rate"),
        ("bili", "bilirubin"),
        ("albumin", "albumin"),
        ("ast", "ast"),
        ("alt_ui_l", "alt"),
        ("alk.phos", "alkaline_phosphatase"),
        ("protime", "prothrombin_time"),
        ("cd4", "cd4_count"),
        ("Bilirubine conjuguée", "direct_bilirubin"),
        ("ph.karno", "karnofsky"),
        ("ph_arteriel", "ph"),
    ]:
        assert (match_variable(name) or load_variables()[0]).key == key, name


def test_impossible_diastolic_is_an_error_and_disease_values_are_not():
    frame, _ = _real("whas500")
    outcome = run_one("out_of_range", frame, target="fstat")
    errors = [f for f in outcome.findings if str(f.severity) == "error"]
    assert [(f.columns, f.evidence["limit_kind"]) for f in errors] == [(("diasbp",), "impossible")]
    assert frame.get_column("diasbp")[errors[0].rows[0]] == 6
    pbc, table = _real("pbc")
    outcome = run_one("out_of_range", pbc, **table.roles)
    # cholesterol up to 1,775 mg/dL, alkaline phosphatase 13,862 U/L, prothrombin 18 s: pathology
    assert [f for f in outcome.findings if str(f.severity) in ("error", "warning")] == []
    assert {"chol", "alk.phos", "protime", "bili", "albumin", "ast"} <= set(
        outcome.evidence["columns_checked"]
    )


def test_graded_codes_and_year_tails_are_not_sentinels_but_detached_codes_are():
    rng = np.random.default_rng(0)
    n = 400
    frame = pl.DataFrame(
        {
            "edema": rng.choice([0.0, 0.5, 1.0], n, p=[0.85, 0.1, 0.05]),
            "year": rng.integers(1990, 2004, n),
            "stage": np.where(rng.random(n) < 0.05, 9, rng.integers(0, 4, n)),
            "x": rng.normal(0, 1, n),
        }
    )
    outcome = run_one("disguised_missing", frame)
    assert {f.columns[0]: f.evidence["sentinels"] for f in outcome.findings} == {"stage": [9]}
    for name in ("pbc", "flchain", "mgus2"):
        real, table = _real(name)
        assert run_one("disguised_missing", real, **table.roles).findings == (), name


def test_a_sub_cohort_missing_a_block_of_columns_is_one_finding():
    frame, table = _real("pbc")
    outcome = run_one("missingness_pattern", frame, **table.roles)
    (finding,) = outcome.findings
    assert finding.row_count == 106
    assert set(finding.columns) == {
        "trt",
        "ascites",
        "hepato",
        "spiders",
        "chol",
        "copper",
        "alk.phos",
        "ast",
        "trig",
    }
    assert "sub-cohort" in finding.remedy
    for name in ("whas500", "diabetes"):
        real, table = _real(name)
        assert run_one("missingness_pattern", real, **table.roles).status == Status.QUIET, name


def test_site_columns_are_recognised_as_integers_or_text():
    frame, table = _real("lung")
    data = make_dataset(frame, **table.roles)
    assert data.inferred["site"]["columns"] == ["inst"]
    rng = np.random.default_rng(1)
    planted = pl.DataFrame(
        {
            "hôpital": rng.choice(["A", "B", "C"], 200),
            "tumour_site": rng.choice(["lung", "breast"], 200),
            "y": rng.integers(0, 2, 200),
        }
    )
    assert make_dataset(planted, target="y").inferred["site"]["columns"] == ["hôpital"]


def test_imputed_values_stay_in_each_column_support():
    rng = np.random.default_rng(2)
    n = 300
    frame = pl.DataFrame(
        {
            "binary": rng.integers(0, 2, n).astype(float),
            "graded": rng.choice([0.0, 0.5, 1.0], n),
            "count": rng.poisson(30, n).astype(float),
            "x": rng.normal(50, 10, n),
        }
    )
    holes = rng.random((n, 4)) < 0.15
    frame = frame.with_columns(
        [
            pl.Series(c, np.where(holes[:, j], np.nan, frame[c].to_numpy())).fill_nan(None)
            for j, c in enumerate(frame.columns)
        ]
    )
    for method in ("mean", "knn", "mice", "soft"):
        out = Impute(method=method).fit(frame).transform(frame)
        assert set(out["binary"].unique().to_list()) <= {0.0, 1.0}, method
        assert set(out["graded"].unique().to_list()) <= {0.0, 0.5, 1.0}, method
        counts = out["count"].to_numpy()
        assert np.all(counts == np.round(counts)), method
        assert counts.min() >= frame["count"].min() and counts.max() <= frame["count"].max(), method
        observed = ~holes
        for j, c in enumerate(frame.columns):  # observed cells unchanged, bit for bit
            assert np.array_equal(out[c].to_numpy()[observed[:, j]], frame[c].to_numpy()[observed[:, j]])


@pytest.mark.parametrize("name", ["pbc", "whas500"])
def test_prequalify_changes_no_observed_value_that_is_not_an_error(name):
    frame, table = _real(name)
    result = prequalify(frame, budget=1, **table.roles)
    changed = changed_observed_cells(
        frame, result.clean, result.plan["removed_rows"], error_mask(frame, table)
    )
    assert changed["non_errors_changed"] == 0, changed
    if name == "whas500":  # the diastolic of 6 mmHg is impossible: set to missing
        assert changed["errors_changed"] == 1
    before = check(frame, **table.roles)
    assert before.verdict != "reject"


def test_cross_field_rules_fire_on_planted_contradictions_and_stay_quiet_on_real_pressures():
    rng = np.random.default_rng(3)
    n = 200
    sbp = rng.normal(130, 15, n).round()
    dbp = (sbp - rng.normal(50, 8, n)).round()
    weight = rng.normal(75, 12, n).round(1)
    height = rng.normal(170, 9, n).round()
    bmi = (weight / (height / 100) ** 2).round(1)
    dbp[[3, 7]] = sbp[[3, 7]] + 5  # swapped or mistyped
    bmi[11] = bmi[11] + 9  # disagrees with weight and height
    frame = pl.DataFrame({"PAS": sbp, "PAD": dbp, "poids_kg": weight, "taille_cm": height, "IMC": bmi})
    outcome = run_one("cross_field_inconsistency", frame)
    got = {f.evidence["rule"]: f.rows for f in outcome.findings}
    assert got == {"diastolic_below_systolic": (3, 7), "bmi_matches_weight_and_height": (11,)}
    assert all(str(f.severity) == "error" for f in outcome.findings)
    real, table = _real("whas500")
    outcome = run_one("cross_field_inconsistency", real, **table.roles)
    assert outcome.status == Status.QUIET and "diastolic_below_systolic" in outcome.evidence["rules_applied"]


def test_rare_category_combinations_are_not_multivariate_outliers():
    rng = np.random.default_rng(4)
    n = 500
    frame = pl.DataFrame(
        {
            "age": rng.normal(65, 10, n).round(),
            "sysbp": rng.normal(140, 20, n).round(),
            "hr": rng.normal(85, 15, n).round(),
            "bmi": rng.normal(27, 4, n).round(1),
            "shock": (rng.random(n) < 0.03).astype(int),  # rare but real binary
            "av3": (rng.random(n) < 0.02).astype(int),
            "y": rng.integers(0, 2, n),
        }
    )
    outcome = run_one("multivariate_outliers", frame, target="y")
    flagged = set(outcome.findings[0].rows) if outcome.findings else set()
    rare = set(np.flatnonzero((frame["shock"] == 1).to_numpy() | (frame["av3"] == 1).to_numpy()))
    assert len(flagged & rare) <= 1
    assert all(str(f.severity) != "error" for f in outcome.findings)


def test_every_note_ftfy_would_fix_is_found_and_correct_french_is_not():
    notes = [
        "Patient vu Ã  domicile, fiÃ¨vre",  # 'Ã ' + plain space: no pattern, ftfy re-decodes it
        "Ã‰tat gÃ©nÃ©ral conservÃ©",
        "â€œdouleurâ€\x9d thoracique",
        "Œdème des membres inférieurs, à revoir",
        "Fièvre à 38,5 °C, naïve, L’école",
    ] * 8
    frame = pl.DataFrame({"note": notes, "y": [0, 1] * 20})
    outcome = run_one("encoding_errors", frame, target="y", text="note")
    (finding,) = outcome.findings
    damaged = {i for i, v in enumerate(notes) if i % 5 in (0, 1, 2)}
    assert set(finding.rows) == damaged
    assert finding.evidence["repairable_by_ftfy"] == 3


def test_columns_named_for_names_are_identifiers_whatever_their_values():
    rng = np.random.default_rng(5)
    n = 300
    tokens = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(4, 9))) for _ in range(300)]
    frame = pl.DataFrame(
        {
            "patient": rng.choice(tokens[:200], n),  # beside a name column: names too
            "nom_naissance": rng.choice(tokens[200:240], n),  # lower case, in no name list, few distinct
            "celltype": rng.choice(["squamous", "smallcell", "adeno", "large"], n),
            "y": rng.integers(0, 2, n),
        }
    )
    outcome = run_one("direct_identifier", frame, target="y")
    assert {f.columns[0]: f.evidence["detected_by"] for f in outcome.findings} == {
        "patient": "content beside a name column",
        "nom_naissance": "name and content",
    }
    for name in ("veteran", "flchain", "cgd"):
        real, table = _real(name)
        assert run_one("direct_identifier", real, **table.roles).findings == (), name
