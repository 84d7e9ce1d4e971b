"""format_violation: dates and clinical/French codes, shape by regex, check digits by stdnum."""

from __future__ import annotations

import datetime as dt

import numpy as np
import phonenumbers
import polars as pl
from faker import Faker
from stdnum import luhn, verhoeff
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one

CHECK = "format_violation"
N = 300
ICD = ["I21.9", "E11", "J18.9", "N18.3", "I10", "C34.1", "F32.9", "Z99.2", "E119", "F55+2", "K35.8"]
ATC = ["C08CA01", "A10BA02", "N02BE01", "J01CA04", "C03CA01", "B01AC06", "L01XE01"]


def _with_luhn(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def _clean(seed: int = 0) -> dict[str, list]:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    phones = []
    while len(phones) < N:
        p = fake.phone_number()
        if phonenumbers.is_valid_number(phonenumbers.parse(p, "FR")):
            phones.append(p)
    loinc_bodies = rng.integers(100, 99999, N)
    snomed_bodies = rng.integers(10_000, 9_999_999, N)
    return {
        "nir": [fake.ssn() for _ in range(N)],
        "rpps": [_with_luhn("1" + "".join(map(str, rng.integers(0, 10, 9)))) for _ in range(N)],
        "finess": [
            _with_luhn(f"{rng.integers(1, 96):02d}" + "".join(map(str, rng.integers(0, 10, 6))))
            for _ in range(N)
        ],
        "code_loinc": [f"{b}-{luhn.calc_check_digit(str(b))}" for b in loinc_bodies],
        "snomed_ct": [f"{b}00{verhoeff.calc_check_digit(f'{b}00')}" for b in snomed_bodies],
        "diag_principal": rng.choice(ICD, N).tolist(),
        "atc": rng.choice(ATC, N).tolist(),
        "code_postal": [fake.postcode() for _ in range(N)],
        "telephone": phones,
        "date_entree": [
            (dt.date(2023, 1, 1) + dt.timedelta(days=int(d))).strftime("%d/%m/%Y")
            for d in rng.integers(0, 700, N)
        ],
        "age": rng.integers(18, 95, N).tolist(),
    }


def test_quiet_on_valid_codes_of_every_kind():
    outcome = run_one(CHECK, pl.DataFrame(_clean()))
    assert outcome.status == "quiet", [(f.columns, f.evidence) for f in outcome.findings]
    assert set(outcome.evidence["columns_tested"].values()) == {
        "nir",
        "rpps",
        "finess",
        "loinc",
        "snomed",
        "icd10",
        "atc",
        "postal_code",
        "phone",
        "date",
    }


def test_check_digits_and_shapes_are_caught_with_rows():
    cols = _clean(1)
    bad: dict[str, list[int]] = {}

    def plant(column: str, rows: list[int], make) -> None:
        for i in rows:
            cols[column][i] = make(cols[column][i])
        bad[column] = rows

    flip = {str(d): str((d + 1) % 10) for d in range(10)}
    plant("nir", [3, 4, 250], lambda v: v[:-1] + flip[v[-1]])  # wrong key
    plant("rpps", [10], lambda v: v[:-1] + flip[v[-1]])  # Luhn fails
    plant("finess", [11, 12], lambda v: v[:-1] + flip[v[-1]])
    plant("code_loinc", [20, 21], lambda v: v[:-1] + flip[v[-1]])  # mod-10 check digit
    plant("snomed_ct", [30], lambda v: v[:-1] + flip[v[-1]])  # Verhoeff
    plant("diag_principal", [40, 41, 42], lambda v: "121.9")  # not a code shape
    plant("atc", [50], lambda v: "Q08CA01")  # not a human ATC group
    plant("code_postal", [60, 61], lambda v: "00" + v[2:])  # no department 00
    plant("telephone", [70], lambda v: "01 23")  # too short
    plant("date_entree", [80, 81], lambda v: "31/02/2024")  # impossible date
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == set(bad)
    for column, rows in bad.items():
        assert by_column[column].rows == tuple(rows), column
    assert by_column["nir"].evidence["check_digit_failures"] == 3
    assert by_column["nir"].severity == "warning"  # 1 % < 5 %
    assert by_column["diag_principal"].evidence["format_failures"] == 3


def test_corsican_nir_is_valid_and_its_wrong_key_is_not():
    frame = pl.DataFrame(
        {"nir": ["1 72 07 2A 004 123 46", "2 58 03 75 112 047 16", "1 72 07 2A 004 123 19"] * 10}
    )
    outcome = run_one(CHECK, frame)
    (finding,) = outcome.findings
    assert finding.rows == tuple(range(2, 30, 3))
    assert finding.severity == "error"  # a third of the column


def test_codes_recognised_by_content_without_a_telling_name():
    rng = np.random.default_rng(2)
    codes = rng.choice(ATC, N).astype(object)
    codes[[5, 6]] = "C08CA1"
    loinc = [f"{b}-{luhn.calc_check_digit(str(b))}" for b in rng.integers(1000, 99999, N)]
    loinc[9] = loinc[9][:-1] + str((int(loinc[9][-1]) + 3) % 10)
    frame = pl.DataFrame({"medicament": codes.tolist(), "examen": loinc, "x": rng.normal(size=N)})
    outcome = run_one(CHECK, frame)
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert by_column["medicament"].rows == (5, 6)
    assert by_column["medicament"].evidence["recognised_by"] == "content"
    assert by_column["examen"].rows == (9,)


def test_postal_codes_stored_as_integers_get_their_leading_zero_back():
    rng = np.random.default_rng(3)
    codes = rng.choice([1000, 6000, 75012, 13008, 97400, 20000], N)
    codes[[7, 8]] = 99999
    outcome = run_one(CHECK, pl.DataFrame({"cp": codes, "y": rng.normal(size=N)}))
    (finding,) = outcome.findings
    assert finding.rows == (7, 8)


def test_mixed_date_formats():
    cols = _clean(4)
    cols["date_entree"][15] = "2024-03-05"
    cols["date_entree"][16] = "NA"  # a missing code, not a format error
    outcome = run_one(CHECK, pl.DataFrame(cols))
    (finding,) = outcome.findings
    assert finding.columns == ("date_entree",) and finding.rows == (15,)
    assert finding.evidence["other_format"] == 1


def test_not_applicable_on_a_table_of_booleans():
    frame = pl.DataFrame({"a": [True, False] * 20, "b": [False, True] * 20})
    assert run_one(CHECK, frame).status == "not_applicable"


def test_a_telling_name_on_unrelated_content_is_not_a_code_column():
    rng = np.random.default_rng(5)
    frame = pl.DataFrame(
        {
            "dr": rng.integers(0, 2, N),  # diabetic retinopathy flag, not a diagnosis
            "dp": rng.choice(["oui", "non"], N).tolist(),  # 'dp' yes/no, not a CIM-10 code
            "tel": rng.choice(["fixe", "portable", "aucun"], N).tolist(),
        }
    )
    outcome = run_one(CHECK, frame)
    assert outcome.status == "quiet"
    assert outcome.evidence["columns_tested"] == {}


def test_check_digits_on_a_sample_of_many_distinct_values_says_so():
    cols = _clean(6)
    broken = list(range(0, N, 3))  # a third of the keys are wrong
    for i in broken:
        cols["rpps"][i] = cols["rpps"][i][:-1] + str((int(cols["rpps"][i][-1]) + 1) % 10)
    frame = pl.DataFrame({"rpps": cols["rpps"], "age": cols["age"]})
    (sampled,) = run_one(CHECK, frame, params={"max_distinct_validated": 50}).findings
    assert sampled.evidence["distinct_validated"] == 50
    assert sampled.evidence["distinct_sampled_from"] == N
    assert 0 < sampled.row_count < len(broken) and set(sampled.rows) <= set(broken)
    (full,) = run_one(CHECK, frame).findings
    assert full.rows == tuple(broken) and "distinct_validated" not in full.evidence


def test_nir_phone_and_cim10_recognised_by_content():
    cols = _clean(7)
    nir = [v[:5] + " " + v[5:] for v in cols["nir"]]  # written with a space: normalised before the test
    nir[2] = nir[2][:-1] + str((int(nir[2][-1]) + 1) % 10)
    rng = np.random.default_rng(7)
    phones = []
    while len(phones) < N:  # mobile numbers in ranges that phonenumbers knows to be allocated
        candidate = "06 " + " ".join(f"{d:02d}" for d in rng.integers(0, 100, 4))
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, "FR")):
            phones.append(candidate)
    phones[4] = "0612"
    diagnoses = list(cols["diag_principal"])
    diagnoses[6] = "I21.99999"
    frame = pl.DataFrame({"identifiant_assure": nir, "contact": phones, "motif": diagnoses})
    outcome = run_one(CHECK, frame)
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert {c: f.evidence["kind"] for c, f in by_column.items()} == {
        "identifiant_assure": "nir",
        "contact": "phone",
        "motif": "icd10",
    }
    assert by_column["identifiant_assure"].rows == (2,)
    assert by_column["contact"].rows == (4,)
    assert by_column["motif"].rows == (6,)
    assert all(f.evidence["recognised_by"] == "content" for f in outcome.findings)


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("format_violation")
def planted_format_violation() -> Case:
    rng = seeded(4)
    postal = [f"{v:05d}" for v in rng.integers(1000, 95000, 300)]
    postal[7], postal[70] = "7501", "ABCDE"
    return planted_case(
        pl.DataFrame({"code_postal": postal, "age": rng.integers(18, 90, 300)}), "code_postal"
    )
