"""False alarms on untouched real tables: each statistical fix is quiet on the real table that used to
raise it and still fires on the same table with the defect planted (trust benchmark corpus)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from benchmarks.trust.corpus import TableUnavailable, load_cards, load_table
from tests.conftest import run_one

from datacert.findings import Status


def _table(name: str) -> tuple[pl.DataFrame, dict]:
    (card,) = load_cards([name])
    try:
        frame = load_table(card)
    except TableUnavailable as exc:
        pytest.skip(str(exc))
    roles = {k: v for k, v in card.roles.items() if k in ("target", "duration", "id", "group", "sensitive")}
    return frame, roles


def _severities(outcome) -> set[str]:
    return {str(f.severity) for f in outcome.findings}


def test_multivariate_outliers_quiet_on_heavy_tailed_real_labs_and_fires_on_a_gross_joint_outlier():
    frame, roles = _table("mgus2_mayo")  # creatinine, haemoglobin, M-spike: long right tails
    outcome = run_one("multivariate_outliers", frame, **roles)
    assert outcome.status == Status.QUIET, outcome.evidence
    assert outcome.evidence["null_replicates"] > 0 and outcome.evidence["null_relative_cutoff"] > 1
    # five records far outside the joint range of the labs: one lab 50 times its maximum, the
    # next at its minimum, each record with its own values
    planted = [10, 200, 400, 800, 1200]
    columns = {}
    for j, lab in enumerate(["hgb", "creat", "mspike"]):
        values = frame.get_column(lab).cast(pl.Float64).to_numpy().copy()
        for i, row in enumerate(planted):
            values[row] = np.nanmax(values) * 50 * (1 + 0.1 * i) if (i + j) % 2 == 0 else np.nanmin(values)
        columns[lab] = values
    dirty = frame.with_columns([pl.Series(name, values) for name, values in columns.items()])
    (finding,) = run_one("multivariate_outliers", dirty, **roles).findings
    assert set(planted) <= set(finding.rows)


def test_quasi_identifiers_age_and_sex_alone_are_information_and_birth_date_with_postcode_is_not():
    frame, roles = _table("whas500")
    outcome = run_one("quasi_identifier_risk", frame, **roles)
    assert _severities(outcome) == {"info"}
    assert outcome.evidence["strong_quasi_identifiers"] == []
    assert outcome.evidence["ages_above_89"]["age"] > 0  # Safe Harbor would group them
    rng = np.random.default_rng(0)
    n = frame.height
    births = [date(1920, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 25000, n)]
    dirty = frame.with_columns(
        pl.Series("date_naissance", births, dtype=pl.Date),
        pl.Series("code_postal", [f"{d:05d}" for d in rng.integers(1000, 95999, n)]),
    )
    outcome = run_one("quasi_identifier_risk", dirty, **roles)
    assert _severities(outcome) == {"error"}
    assert {"date_naissance", "code_postal"} <= set(outcome.evidence["strong_quasi_identifiers"])


def test_coarse_social_attribute_is_weak():
    frame, roles = _table("birthweight")  # age and race in three groups
    assert _severities(run_one("quasi_identifier_risk", frame, **roles)) == {"info"}


def test_duplicate_rows_chance_pairs_on_a_coarse_table_are_information_and_copies_are_not():
    frame, roles = _table("nwtco_wilms")  # 4,028 children, mostly coded columns
    (finding,) = run_one("duplicate_rows", frame, **roles).findings
    assert str(finding.severity) == "info"
    assert finding.evidence["chance_probability"] > 0.01
    assert 0.5 < finding.evidence["chance_pairs_expected"] < 10
    copies = frame[list(range(0, 4000, 200))]  # 20 copied records (0.5 %)
    (finding,) = run_one("duplicate_rows", pl.concat([frame, copies]), **roles).findings
    assert str(finding.severity) == "warning"
    assert finding.evidence["chance_probability"] < 1e-6


def test_distribution_shift_ignores_site_descriptors_and_repeated_records_of_a_patient():
    frame, roles = _table("cgd_interferon")  # 13 centres, hos.cat is the centre's category
    outcome = run_one("distribution_shift", frame, **roles)
    assert outcome.status == Status.QUIET or _severities(outcome) <= {"info"}, outcome.findings
    # a real batch effect on a measurement is still found: one centre's heights read 20 cm taller
    dirty = frame.with_columns(
        pl.when(pl.col("center") == "NIH").then(pl.col("height") + 20).otherwise(pl.col("height"))
    )
    outcome = run_one("distribution_shift", dirty, **roles)
    assert _severities(outcome) & {"warning", "error"}


def test_few_censored_records_are_not_a_tiny_class_but_few_events_are():
    frame, roles = _table("veteran_lung")  # 9 censored patients of 137
    outcome = run_one("class_imbalance", frame, **roles)
    assert not _severities(outcome) & {"warning", "error"}
    assert outcome.evidence["censoring_class"] == "0"
    rare = frame.filter((pl.col("status") == 0) | (pl.int_range(pl.len()) < 8))  # 8 events left
    outcome = run_one("class_imbalance", rare, **roles)
    assert "error" in _severities(outcome)
