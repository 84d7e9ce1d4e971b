"""encoding_errors: mojibake, U+FFFD and control characters, in categories and free text."""

from __future__ import annotations

import numpy as np
import polars as pl
from faker import Faker
from tests.checks._planted import Case, planted, planted_case, seeded
from tests.conftest import run_one

CHECK = "encoding_errors"
N = 300


def _mis_decode(text: str) -> str:
    """What a UTF-8 text looks like once read as CP-1252."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


def _clean(seed: int = 0) -> dict[str, list]:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    notes = [
        f"Patient vu à l'hôpital de {fake.city()}, état général conservé, fièvre à {t:.1f} °C. "
        f"Revu le {fake.date()} ; pas d'élément nouveau."
        for t in rng.normal(37.5, 0.6, N)
    ]
    return {
        "service": rng.choice(["Médecine interne", "Pédiatrie", "Gériatrie", "Réanimation"], N).tolist(),
        "ville": [fake.city() for _ in range(N)],
        "note": notes,
        "age": rng.integers(1, 99, N).tolist(),
    }


def test_mojibake_in_a_category_and_a_note_is_found_and_repairable():
    cols = _clean()
    cat_rows = [4, 5, 90]
    for i in cat_rows:
        cols["service"][i] = _mis_decode(cols["service"][i])
    note_rows = list(range(0, N, 3))  # one note in three: the file was read with the wrong codec
    for i in note_rows:
        cols["note"][i] = _mis_decode(cols["note"][i])
    outcome = run_one(CHECK, pl.DataFrame(cols), text=["note"])
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert set(by_column) == {"service", "note"}
    assert by_column["service"].rows == tuple(cat_rows)
    assert by_column["service"].evidence["counts"] == {"mojibake": 3}
    assert by_column["service"].severity == "warning"
    note = by_column["note"]
    assert note.rows == tuple(note_rows)
    assert note.severity == "error"
    assert note.evidence["repairable_by_ftfy"] == note.evidence["distinct_damaged"] > 0
    assert "UTF-8" in note.remedy and "ftfy.fix_text" in note.remedy


def test_replacement_and_control_characters():
    cols = _clean(1)
    cols["ville"][7] = "Saint-\ufffdtienne"
    cols["ville"][8] = "Br\ufffdst"
    cols["service"][20] = "Pédiatrie\x00"
    cols["service"][21] = "Gériatrie\x1b[0m"
    outcome = run_one(CHECK, pl.DataFrame(cols))
    by_column = {f.columns[0]: f for f in outcome.findings}
    assert by_column["ville"].rows == (7, 8)
    assert by_column["ville"].evidence["counts"] == {"replacement_char": 2}
    assert by_column["service"].rows == (20, 21)
    assert by_column["service"].evidence["counts"] == {"control_chars": 2}


def test_mis_decoded_column_names():
    cols = _clean(2)
    cols[_mis_decode("durée_séjour")] = cols.pop("age")
    outcome = run_one(CHECK, pl.DataFrame(cols))
    (finding,) = outcome.findings
    assert finding.columns == (_mis_decode("durée_séjour"),) and finding.rows == ()


def test_quiet_on_clean_french_text_of_the_same_shape():
    cols = _clean(3)
    cols["note"] = [
        n + " Traitement : « amoxicilline » — 1 g × 3/j,\ttabulé\nsur deux lignes." for n in cols["note"]
    ]
    outcome = run_one(CHECK, pl.DataFrame(cols), text=["note"])
    assert outcome.status == "quiet"


def test_not_applicable_without_text_columns():
    frame = pl.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0) % 7})
    assert run_one(CHECK, frame).status == "not_applicable"


# -- the case the common tests (test_common.py) run this check on --------------------------


@planted("encoding_errors")
def planted_encoding_errors() -> Case:
    rng = seeded(2)
    words = ["fièvre", "céphalée", "nausée", "hépatite", "pneumopathie", "asthénie"]
    values = list(rng.choice(words, 300))
    for i in (5, 50, 150):
        values[i] = values[i].encode("utf-8").decode("latin-1")
    return planted_case(pl.DataFrame({"diagnostic": values, "age": rng.integers(18, 90, 300)}), "diagnostic")


def test_coded_columns_tested_on_distinct_values_give_the_row_by_row_result(monkeypatch):
    import datacert.checks.conformance.encoding_errors as module

    rng = np.random.default_rng(5)
    n = 2_000
    levels = ["Médecine", _mis_decode("Médecine"), "Pédiatrie\ufffd", "Gér\x07iatrie", "plain", None]
    ftfy_only = "caf\u00c3\u00a9".encode("latin-1").decode("cp1252", errors="replace")  # double-decoded
    frame = pl.DataFrame(
        {
            "service": rng.choice(np.array(levels, dtype=object), n).tolist(),
            "unit": pl.Series(rng.choice(["A", "B", ftfy_only], n)).cast(pl.Categorical),
            "clean": rng.choice(["x", "y", "é"], n).tolist(),
            "age": rng.integers(1, 99, n),
        }
    )
    results = []
    for share in (10, 10**9):  # every text column coded, then every one tested row by row
        monkeypatch.setattr(module, "CODED_SHARE", share)
        outcome = run_one(CHECK, frame)
        results.append([(f.columns, f.evidence, tuple(f.rows)) for f in outcome.findings])
    assert results[0] == results[1]
    assert {tuple(c) for c, _, _ in results[0]} >= {("service",)}
