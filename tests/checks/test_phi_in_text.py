"""phi_in_text: fires on notes with identifiers (right column, rows, labels), quiet on clean notes."""

import polars as pl
from faker import Faker
from tests.checks._planted import Case, planted, planted_case
from tests.conftest import run_one

CLEAN = [
    "Bilan biologique : Hb 10,2 g/dL, leucocytes 12,5 G/L, plaquettes 180 G/L, CRP à 45 mg/L.",
    "Patient de 67 ans adressé pour douleur thoracique atypique. ECG normal.",
    "Antécédents : HTA, DT2, IDM ancien (I21.9). Traitement : amlodipine 5 mg 1 cp/j.",
    "TA 135/85 mmHg, FC 78/min, SpO2 97 % en AA. Évolution favorable à J3.",
] * 5


def _frame(notes):
    return pl.DataFrame(
        {"record_id": [f"R{i:03d}" for i in range(len(notes))], "note": notes, "age": list(range(len(notes)))}
    )


def test_fires_on_rows_with_identifiers():
    fake = Faker("fr_FR")
    fake.seed_instance(5)
    notes = list(CLEAN)
    notes[3] = f"Mme {fake.first_name_female()} {fake.last_name().upper()}, tél. {fake.phone_number()}."
    notes[11] = f"NIR {fake.ssn()}, née le 12/03/1958."
    notes[17] = f"Contact : {fake.email()}"
    outcome = run_one("phi_in_text", _frame(notes), text=["note"])
    assert outcome.status == "fired"
    (finding,) = outcome.findings
    assert finding.columns == ("note",) and finding.rows == (3, 11, 17)
    assert finding.severity == "error" and finding.dimension == "privacy"
    per_label = finding.evidence["rows_per_label"]
    assert per_label["TEL"] == 1 and per_label["SECU"] == 1 and per_label["DATE_NAISSANCE"] == 1
    assert per_label["MAIL"] == 1 and per_label["NOM"] == 1
    assert finding.evidence["numerator"] == 3 and finding.evidence["denominator"] == 20
    assert "@" not in finding.message and "tél" not in str(finding.evidence)


def test_quiet_on_clean_notes():
    outcome = run_one("phi_in_text", _frame(CLEAN), text=["note"])
    assert outcome.status == "quiet"


def test_not_applicable_without_a_text_column():
    outcome = run_one("phi_in_text", _frame(CLEAN).drop("note"))
    assert outcome.status == "not_applicable"


def test_tall_tables_are_sampled_and_say_so():
    notes = list(CLEAN) * 3
    notes[0] = "Mme Jeanne DUPONT, née le 12/03/1958."
    outcome = run_one("phi_in_text", _frame(notes), params={"max_rows": 30}, text=["note"])
    assert outcome.evidence["sampled_rows"] == 30
    assert all(f.evidence.get("sampled_rows") == 30 for f in outcome.findings)


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("phi_in_text")
def planted_phi_in_text() -> Case:
    notes = ["Patient stable, traitement inchangé."] * 40
    notes[3] = "Appeler Mme Dupont au 06 12 34 56 78 pour le suivi."
    notes[9] = "Contact : jean.martin@example.fr, né le 12/03/1956."
    return planted_case(pl.DataFrame({"note": notes, "age": list(range(40, 80))}), "note", text=["note"])
