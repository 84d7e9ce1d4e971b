"""direct_identifier: names, NIR/SSN, phones, e-mails, addresses and hospital ids in columns."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from faker import Faker
from tests.checks._planted import Case, base_cohort, clean_table, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.checks.privacy._identifiers import valid_nir, valid_phone
from datacert.dataset import Dataset


@pytest.fixture
def fake() -> Faker:
    Faker.seed(0)
    return Faker("fr_FR")


def _identified(fake: Faker, n: int = 80) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    return pl.DataFrame(
        {
            "patient_id": [f"S{i:04d}" for i in range(n)],  # a study pseudonym: not flagged
            "nom": [fake.last_name() for _ in range(n)],
            "prenom": [fake.first_name() for _ in range(n)],
            "contact": [fake.email() for _ in range(n)],
            "tel": [fake.phone_number() for _ in range(n)],
            "numero_secu": [fake.ssn() for _ in range(n)],
            "adresse": [fake.street_address() for _ in range(n)],
            "ipp": [str(8000000000 + 7919 * i) for i in range(n)],
            "sexe": rng.choice(["F", "M"], n),
            "site": rng.choice(["CHU-Nord", "CHU-Sud", "CH-Est"], n),
            "diagnostic": rng.choice(["I21.9", "E11", "J18.9"], n),
            "age": rng.integers(18, 90, n),
        }
    )


def test_fires_on_each_kind_of_identifier(fake):
    frame = _identified(fake)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("contact")).alias("contact")
    )
    outcome = run_one("direct_identifier", frame)
    kinds = {f.columns[0]: f.evidence["kind"] for f in outcome.findings}
    assert kinds == {
        "nom": "person_name",
        "prenom": "person_name",
        "contact": "email",
        "tel": "phone",
        "numero_secu": "nir",
        "adresse": "address",
        "ipp": "hospital_id",
    }
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert 3 not in by_column["contact"].rows and by_column["contact"].row_count == 79
    assert by_column["numero_secu"].evidence["sample_share_validated"] == 1.0
    assert all(f.severity == "error" for f in outcome.findings)
    assert all("@" not in f.message for f in outcome.findings)


def test_names_are_found_by_content_without_a_telling_column_name(fake):
    frame = pl.DataFrame(
        {"col_7": [f"{fake.first_name()} {fake.last_name()}" for _ in range(60)], "x": np.arange(60)}
    )
    outcome = run_one("direct_identifier", frame)
    assert [(f.columns, f.evidence["kind"], f.row_count) for f in outcome.findings] == [
        (("col_7",), "person_name", 60)
    ]


def test_check_digits_and_numbering_plans():
    assert valid_nir("2 58 03 75 112 047 16")
    assert valid_nir("1 72 07 2A 004 123 46")
    assert not valid_nir("1 72 07 2A 004 123 19")
    assert valid_phone("06 12 34 56 78") and valid_phone("+33 1 42 34 56 78")
    assert not valid_phone("8012345678")  # an AP-HP-like IPP is not a phone number


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("direct_identifier")
def planted_direct_identifier() -> Case:
    cols = base_cohort(100)
    cols["email"] = [f"patient.{i}@example.org" for i in range(100)]
    return planted_case(pl.DataFrame(cols), "email")


@clean_twins("direct_identifier")
def clean_direct_identifier() -> tuple[Dataset, ...]:
    rng = seeded(1)
    frame = pl.DataFrame(
        {
            "sexe": rng.choice(["Homme", "Femme"], 80),
            "couleur": rng.choice(["white", "gray"], 80),
            "code": [f"{v:015d}" for v in rng.integers(10**13, 10**14, 80)],  # no NIR key
            "finess": [str(v) for v in rng.integers(10**9, 10**10, 80)],
            "drug_name": rng.choice(["Doliprane", "Kardegic", "Lasilix"], 80),
        }
    )
    return make_dataset(clean_table()), make_dataset(frame)
