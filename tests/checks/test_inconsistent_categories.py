"""inconsistent_categories: spellings of one category, and the mapping that merges them."""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.checks._planted import Case, clean_twins, planted, planted_case, seeded
from tests.conftest import make_dataset, run_one

from datacert.checks.conformance.inconsistent_categories import category_key
from datacert.dataset import Dataset

CHECK = "inconsistent_categories"
N = 400


def _clean(seed: int = 0) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    return {
        "sexe": rng.choice(["Homme", "Femme"], N, p=[0.55, 0.45]).tolist(),
        "situation": rng.choice(["Marié", "Célibataire", "Veuf"], N, p=[0.5, 0.35, 0.15]).tolist(),
        "diabete": rng.choice(["oui", "non"], N, p=[0.3, 0.7]).tolist(),
        "service": rng.choice(["Cardiologie", "Pneumologie", "Médecine interne"], N).tolist(),
        "age": rng.integers(18, 95, N).tolist(),
    }


def test_key_folds_accents_case_spaces_and_separators():
    assert category_key("  Médecine_Interne ") == category_key("medecine interne") == "medecine interne"
    assert category_key("CÉLIBATAIRE") == category_key("celibataire")


def test_sex_spellings_and_synonyms_are_mapped_to_the_most_frequent():
    cols = _clean()
    planted = {3: "homme", 10: "H", 11: "Homme ", 40: "F", 41: "femme", 99: "male", 200: "FEMME"}
    for i, v in planted.items():
        cols["sexe"][i] = v
    outcome = run_one(CHECK, pl.DataFrame(cols))
    (finding,) = outcome.findings
    assert finding.columns == ("sexe",)
    assert finding.rows == tuple(sorted(planted))
    assert finding.evidence["mapping"] == {
        "F": "Femme",
        "FEMME": "Femme",
        "femme": "Femme",
        "H": "Homme",
        "Homme ": "Homme",
        "homme": "Homme",
        "male": "Homme",
    }
    assert finding.evidence["domain"] == "sex"
    assert finding.severity == "warning"


def test_accents_case_and_yes_no_variants_in_several_columns():
    cols = _clean(1)
    for i in (5, 6, 7):
        cols["situation"][i] = "celibataire"
    cols["situation"][8] = "MARIÉ"
    cols["service"][9] = "medecine  interne"
    for i in (12, 13):
        cols["diabete"][i] = "Oui"
    cols["diabete"][14] = "N"
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == {"situation", "service", "diabete"}
    assert by_column["situation"].rows == (5, 6, 7, 8)
    assert by_column["situation"].evidence["mapping"] == {"MARIÉ": "Marié", "celibataire": "Célibataire"}
    assert by_column["service"].rows == (9,)
    assert by_column["diabete"].rows == (12, 13, 14)
    assert by_column["diabete"].evidence["mapping"] == {"N": "non", "Oui": "oui"}


def test_label_spelled_two_ways_is_an_error():
    cols = _clean(2)
    cols["issue"] = np.random.default_rng(2).choice(["décès", "vivant"], N).tolist()
    cols["issue"][17] = "Décès"
    outcome = run_one(CHECK, pl.DataFrame(cols), target="issue")
    (finding,) = outcome.findings
    assert finding.columns == ("issue",) and finding.rows == (17,)
    assert finding.severity == "error"


def test_distinct_codes_that_only_look_alike_stay_apart():
    rng = np.random.default_rng(4)
    frame = pl.DataFrame(
        {
            "grade": rng.choice(["A", "B", "N", "O"], N).tolist(),  # N and O are grades here, not no/yes
            "stade": rng.choice(["T1", "T2", "T1a", "T2b"], N).tolist(),
        }
    )
    assert run_one(CHECK, frame).status == "quiet"


def test_not_applicable_without_categorical_columns():
    frame = pl.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0) ** 2})
    assert run_one(CHECK, frame).status == "not_applicable"


def test_person_name_columns_are_left_alone():
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(5)
    names = [fake.last_name() for _ in range(40)]
    column = [names[i % 40] for i in range(N)]
    column[3] = column[3].upper()  # 'DUPONT' and 'Dupont': an identity, not a category to merge
    frame = pl.DataFrame({"nom": column, "sexe": _clean(5)["sexe"]})
    assert run_one(CHECK, frame).status == "quiet"


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("inconsistent_categories")
def planted_inconsistent_categories() -> Case:
    rng = seeded(5)
    values = list(rng.choice(["Diabète", "Hypertension", "Asthme"], 300))
    for i in (3, 30, 90):
        values[i] = "diabete "
    return planted_case(pl.DataFrame({"pathologie": values, "age": rng.integers(18, 90, 300)}), "pathologie")


@clean_twins("inconsistent_categories")
def clean_inconsistent_categories() -> tuple[Dataset, ...]:
    return (make_dataset(pl.DataFrame(_clean(3))),)


def test_codes_stored_as_text_and_trailing_full_stops_are_respellings():
    rng = np.random.default_rng(3)
    cols = _clean()
    cols["race_code"] = rng.choice(["1", "2", "3"], N, p=[0.6, 0.3, 0.1]).tolist()
    planted = {5: " 1", 17: "2 ", 60: "1.", 81: "Femme."}
    for i, v in planted.items():
        cols["sexe" if v == "Femme." else "race_code"][i] = v
    findings = {f.columns[0]: f for f in run_one(CHECK, pl.DataFrame(cols)).findings}
    assert set(findings) == {"race_code", "sexe"}
    assert findings["race_code"].rows == (5, 17, 60)
    assert findings["race_code"].evidence["mapping"] == {" 1": "1", "1.": "1", "2 ": "2"}
    assert findings["sexe"].rows == (81,) and findings["sexe"].evidence["mapping"] == {"Femme.": "Femme"}


def test_quiet_on_clean_codes_stored_as_text():
    rng = np.random.default_rng(4)
    cols = {**_clean(), "stage": rng.choice(["1", "2", "3", "4", "01"], N).tolist()}
    assert run_one(CHECK, pl.DataFrame(cols)).findings == ()


def test_levels_counted_by_the_profile_give_the_findings_of_counting_them_here():
    import dataclasses

    from datacert.checks import run_checks
    from datacert.profile import compute_profile

    rng = np.random.default_rng(8)
    n = 600
    frame = pl.DataFrame(
        {
            "sex": rng.choice(["F", "M", "f", "Femme", "male", None], n).tolist(),
            "unit": pl.Series(rng.choice(["ICU", "icu", "Ward", "ward "], n)).cast(pl.Categorical),
            "age": rng.integers(20, 90, n),
        }
    )
    data = make_dataset(frame)
    profile = compute_profile(data.frame, dict(data.semantic_types))
    assert {"sex", "unit"} <= set(profile.value_counts)
    counted_here = dataclasses.replace(profile, value_counts={})
    (shared,) = run_checks(data, profile, only=["inconsistent_categories"])
    (own,) = run_checks(data, counted_here, only=["inconsistent_categories"])
    assert shared.findings and [f.to_dict() for f in shared.findings] == [f.to_dict() for f in own.findings]
