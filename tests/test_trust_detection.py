"""Detection on real tables: each check finds a defect planted (by the trust benchmark's seeded
injectors) in a real public table, and stays quiet on the same table left alone."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from benchmarks.trust.injectors import INJECTORS, Injected
from tests.conftest import run_one

RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}


def _table(name: str):
    (card,) = load_cards([name])
    try:
        return card, load_table(card)
    except TableUnavailable as exc:
        pytest.skip(str(exc))


def _planted(name: str, injector: str, size: float | None = None, seed: int = 0) -> Injected:
    """The real table with the defect planted as the benchmark plants it (same seeding)."""
    card, frame = _table(name)
    inj = INJECTORS[injector]
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), zlib.crc32(injector.encode())])
    return inj.apply(frame, card, inj.documented_size if size is None else float(size), rng)


def _worst(outcome, columns: tuple[str, ...] = (), rows: tuple[int, ...] = ()) -> str | None:
    """The highest severity among the findings on the planted rows (or the planted columns)."""
    hits = [
        f
        for f in outcome.findings
        if (rows and set(rows) & set(f.rows)) or (not rows and set(columns) & set(f.columns))
    ]
    return max((str(f.severity) for f in hits), key=RANK.__getitem__, default=None)


def _alarms(outcome, at: str = "warning") -> list:
    return [f for f in outcome.findings if RANK[str(f.severity)] >= RANK[at]]


def test_grouped_phone_numbers_are_an_identifier_not_free_text():
    """'06 12 34 56 78' has four spaces like a sentence, but no words: it must reach direct_identifier."""
    card, clean = _table("pbc_mayo")
    assert _alarms(run_one("direct_identifier", clean, **card.roles)) == []
    planted = _planted("pbc_mayo", "identifier_column")
    outcome = run_one("direct_identifier", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) == "error"
    (finding,) = outcome.findings
    assert finding.evidence["kind"] == "phone" and set(finding.rows) == set(planted.rows)


def test_a_few_records_in_mmol_l_among_mg_dl_are_found_despite_their_median_wandering():
    """14 cholesterol values of pbc converted to mmol/L: their median is 10 % off the factor by chance."""
    card, clean = _table("pbc_mayo")
    assert _alarms(run_one("mixed_units", clean, **card.roles)) == []
    planted = _planted("pbc_mayo", "unit_mixup")
    outcome = run_one("mixed_units", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) == "error"
    (finding,) = outcome.findings
    assert set(finding.rows) == set(planted.rows)
    assert finding.evidence["relative_error"] > 0.10 >= finding.evidence["tolerance"]


def test_pounds_among_kilograms_of_children_and_adults_show_against_height():
    card, clean = _table("cgd_interferon")
    assert _alarms(run_one("mixed_units", clean, **card.roles)) == []
    planted = _planted("cgd_interferon", "unit_mixup_close")
    outcome = run_one("mixed_units", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) == "error"
    (finding,) = outcome.findings
    assert finding.evidence["height_column"] == "height"
    # recall 61 of 61; the few heaviest real patients (BMI above the split) come with them
    found, expected = set(finding.rows), set(planted.rows)
    assert len(found & expected) >= 0.9 * len(expected) and len(found - expected) <= 0.15 * len(found)


@pytest.mark.parametrize("table", ["breast_cancer_wisconsin", "whas500"])
def test_a_noisy_copy_of_the_label_is_a_warning_even_beside_strong_real_markers(table):
    """A copy of the label that disagrees in 5 % of records has an AUC near 0.95; in Wisconsin real
    markers reach 0.975, but they vary with one another within each class and the copy does not."""
    card, clean = _table(table)
    quiet = run_one("target_leakage", clean, **card.roles)
    assert not [f for f in _alarms(quiet) if "noisy copy" in f.message]
    planted = _planted(table, "leaking_numeric")
    outcome = run_one("target_leakage", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns) == "warning"
    assert any("marker_level" in f.columns and "noisy copy" in f.message for f in _alarms(outcome))


@pytest.mark.parametrize("table", ["cgd_interferon", "rotterdam_breast"])
def test_missingness_driven_by_another_column_is_reported_beside_a_target(table):
    """Values removed where another column is high (MAR) say nothing about the outcome, so the
    test against the target misses them; the screen against the other columns must still run."""
    card, clean = _table(table)
    planted = _planted(table, "missing_mar")
    (column,) = planted.columns
    before = run_one("informative_missingness", clean, **card.roles)
    assert not [f for f in before.findings if column in f.columns]
    outcome = run_one("informative_missingness", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) == "info"
    (finding,) = [f for f in outcome.findings if f.columns[0] == column]
    assert "predicted from other columns" in finding.message
    assert set(finding.rows) == set(planted.rows)


def test_a_trigger_on_five_percent_of_a_200_row_table_is_found():
    """10 of pima's 200 records share a planted value and the minority label: 0.34^10 x 122 tests is
    far below chance; the untouched table has no trigger."""
    card, clean = _table("pima_training")
    assert _alarms(run_one("poisoning_suspected", clean, **card.roles)) == []
    planted = _planted("pima_training", "trigger_pattern")
    outcome = run_one("poisoning_suspected", planted.frame, **planted.roles)
    assert RANK[_worst(outcome, planted.columns, planted.rows) or "info"] >= RANK["warning"]


def test_every_registered_check_has_an_injector_or_a_stated_reason():
    from benchmarks.trust.injectors import NOT_INJECTED

    from datacert.checks._registry import load_all_checks

    covered = {inj.check for inj in INJECTORS.values()}
    assert set(load_all_checks()) - covered == set(NOT_INJECTED)
    assert not covered & set(NOT_INJECTED)


@pytest.mark.parametrize(
    ("table", "injector", "check"),
    [
        ("whas500", "out_of_enum_codes", "schema_violation"),
        ("whas500", "missing_block", "missingness_pattern"),
        ("whas500", "contradictory_fields", "cross_field_inconsistency"),
        ("cgd_interferon", "contradictory_fields", "cross_field_inconsistency"),
        ("pima_training", "unreadable_dates", "unreadable_time"),
        ("pima_training", "subgroup_outcome_gap", "outcome_disparity"),
    ],
)
def test_planted_defects_of_the_newer_families_are_found_and_the_clean_table_is_quiet(table, injector, check):
    card, clean = _table(table)
    planted = _planted(table, injector)
    if planted.schema is not None:  # the schema the untouched table meets
        from benchmarks.trust.injectors import _table_schema
        from benchmarks.trust.runner import _one_check

        _, quiet = _one_check(clean, card.roles, check, _table_schema(clean))
        assert quiet == []
        outcome, found = _one_check(planted.frame, planted.roles, check, planted.schema)
        hits = [f for f in found if set(planted.rows) & set(f["rows"])]
        assert max(RANK[f["severity"]] for f in hits) >= RANK["warning"]
        assert set().union(*(f["rows"] for f in hits)) == set(planted.rows)
        return
    assert _alarms(run_one(check, clean, **card.roles)) == []
    outcome = run_one(check, planted.frame, **planted.roles)
    assert RANK[_worst(outcome, planted.columns, planted.rows) or "info"] >= RANK["warning"]
    flagged = {r for f in _alarms(outcome) for r in f.rows}
    assert set(planted.rows) <= flagged


def test_a_site_effect_is_found_beside_a_trial_s_centres():
    """cgd_interferon names its 13 centres `center`: the planted two-site calibration drift (0.5 SD
    on height and weight, drawn per patient) must be analysed too, not hidden behind them."""
    card, clean = _table("cgd_interferon")
    assert _alarms(run_one("distribution_shift", clean, **card.roles)) == []
    planted = _planted("cgd_interferon", "site_shift")
    outcome = run_one("distribution_shift", planted.frame, **planted.roles)
    assert set(outcome.evidence["partitions"]) == {"center", "site"}
    assert _worst(outcome, ("site",)) == "warning"


@pytest.mark.parametrize("table", ["aids_actg320", "cgd_interferon"])
def test_every_respelled_category_is_found_codes_and_full_stops_included(table):
    """aids_actg320 stores its race codes as text digits ('1', ' 1', '1.'); cgd_interferon's
    lower-case 'male' respelled by lower-casing becomes 'male.'."""
    card, clean = _table(table)
    assert _alarms(run_one("inconsistent_categories", clean, **card.roles)) == []
    planted = _planted(table, "category_spellings")
    outcome = run_one("inconsistent_categories", planted.frame, **planted.roles)
    assert _worst(outcome, planted.columns, planted.rows) in ("warning", "error")
    (finding,) = outcome.findings
    assert set(finding.rows) == set(planted.rows)


def test_a_thin_second_unit_mode_is_flagged_whole():
    """pima_training, seed 4: ten glucose values in mmol/L spread over 3.4-8.8; all ten flagged."""
    planted = _planted("pima_training", "unit_mixup", seed=4)
    (finding,) = run_one("mixed_units", planted.frame, **planted.roles).findings
    assert set(finding.rows) == set(planted.rows)
