"""The built-in demo cohort: 600 synthetic inpatients with a handful of planted defects.

Generated deterministically (seeded) each time it is asked for, so every install checks the same
table and gets the same certificate. No real person is described.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from datacert.roles import Roles

N_PATIENTS = 600
SEED = 20261125


@dataclass(frozen=True)
class Planted:
    """One defect the demo plants: what it is, and the columns and records it sits in."""

    description: str
    columns: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()


# What the demo plants, so that tests and the README can say what a certificate should find.
PLANTED = (
    Planted("records 590-599 repeat records 0-9 under new ids", rows=tuple(range(590, 600))),
    Planted("'centre_pays' is always 'FR'", columns=("centre_pays",)),
    Planted(
        "'hba1c_pct' missing for ~35 % of patients, 'creatinine_umol_l' for ~8 %",
        columns=("hba1c_pct", "creatinine_umol_l"),
    ),
    Planted(
        "three comments start with '=HYPERLINK(' or '@SUM('", columns=("commentaire",), rows=(45, 146, 347)
    ),
    Planted("'crp_mg_l' is numeric text with '<5' and 'NR' values", columns=("crp_mg_l",)),
    Planted("'poids_kg' uses -999 for unknown weight in 15 records", columns=("poids_kg",)),
    Planted("'glycemie' is in mmol/L instead of mg/dL for 40 records", columns=("glycemie",)),
    Planted("two ages above 120", columns=("age",), rows=(111, 222)),
    Planted("records 300-302 are empty but for their id", rows=(300, 301, 302)),
)

_FIRST = ["Marie", "Jean", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Jules"]
_NOTES = [
    "Patient admis pour décompensation cardiaque, HTA connue, traitement par furosémide 40 mg.",
    "Suivi de diabète de type 2, HbA1c à surveiller, metformine 850 mg x 2/j.",
    "Douleur thoracique, ECG normal, troponine négative, retour à domicile.",
    "Pneumopathie communautaire, amoxicilline 1 g x 3/j pendant 7 jours.",
    "Bilan d'IRC, créatinine stable, pas de modification thérapeutique.",
]


def demo_frame() -> pl.DataFrame:
    rng = np.random.default_rng(SEED)
    n = N_PATIENTS
    sex = rng.choice(["F", "M"], n)
    age = np.clip(rng.normal(62, 15, n), 18, 98).round().astype(int)
    admission = [date(2024, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 700, n)]
    stay = rng.integers(1, 21, n)
    discharge = [a + timedelta(days=int(s)) for a, s in zip(admission, stay, strict=True)]
    birth = [
        a - timedelta(days=int(ag * 365.25 + rng.integers(0, 365)))
        for a, ag in zip(admission, age, strict=True)
    ]
    height = np.where(sex == "F", rng.normal(163, 7, n), rng.normal(176, 7, n)).round(0)
    bmi = rng.normal(27, 5, n).clip(16, 48)
    weight = (bmi * (height / 100) ** 2).round(1)
    diabetic = rng.random(n) < 0.3
    glucose = np.where(diabetic, rng.normal(160, 40, n), rng.normal(95, 12, n)).clip(55, 400).round(0)
    hba1c = np.where(diabetic, rng.normal(7.8, 1.2, n), rng.normal(5.4, 0.4, n)).clip(4.0, 14).round(1)
    creat = rng.lognormal(np.log(85), 0.3, n).round(0)
    sbp = rng.normal(135, 18, n).round(0)
    hr = rng.normal(78, 12, n).round(0)
    crp = rng.lognormal(np.log(8), 1.0, n).round(1)
    site = rng.choice(["CHU-Nord", "CHU-Sud", "CH-Est"], n, p=[0.45, 0.35, 0.2])
    risk = -4 + 0.035 * age + 0.02 * (glucose - 100) + 0.4 * (hba1c - 5.5) + 0.01 * (creat - 85)
    readmitted = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    notes = [f"{_NOTES[i % len(_NOTES)]} Revu par Dr {_FIRST[i % len(_FIRST)]}." for i in range(n)]
    comments = list(
        rng.choice(["RAS", "Suivi à 1 mois", "Appel du médecin traitant", "Contrôle biologique"], n)
    )

    # planted defects
    glucose_text = glucose.astype(float)
    mmol_rows = rng.choice(np.arange(20, 580), 40, replace=False)
    glucose_text[mmol_rows] = (glucose_text[mmol_rows] / 18.0).round(1)
    weight[rng.choice(np.arange(20, 580), 15, replace=False)] = -999.0
    age[[111, 222]] = [134, 152]
    hba1c_missing = rng.random(n) < 0.35
    creat_missing = rng.random(n) < 0.08
    crp_text = [f"{v:.1f}" for v in crp]
    for i in rng.choice(np.arange(n), 12, replace=False):
        crp_text[i] = "<5" if i % 2 else "NR"
    for i, text in zip(
        (45, 146, 347), ('=HYPERLINK("http://x.example","voir")', "@SUM(A1:A9)", "=1+1"), strict=True
    ):
        comments[i] = text

    frame = pl.DataFrame(
        {
            "patient_id": [f"P{100000 + i}" for i in range(n)],
            "sexe": sex,
            "age": age,
            "date_naissance": birth,
            "date_admission": admission,
            "date_sortie": discharge,
            "site": site,
            "centre_pays": ["FR"] * n,
            "poids_kg": weight,
            "taille_cm": height,
            "pas_mmhg": sbp,
            "fc_bpm": hr,
            "glycemie": glucose_text,
            "hba1c_pct": np.where(hba1c_missing, np.nan, hba1c),
            "creatinine_umol_l": np.where(creat_missing, np.nan, creat),
            "crp_mg_l": crp_text,
            "compte_rendu": notes,
            "commentaire": comments,
            "readmission_30j": readmitted,
        }
    ).with_columns(pl.col("hba1c_pct").fill_nan(None), pl.col("creatinine_umol_l").fill_nan(None))
    # empty records (only the id survives) and exact copies under new ids
    blank = [c for c in frame.columns if c != "patient_id"]
    frame = frame.with_columns(
        [
            pl.when(pl.int_range(pl.len()).is_in([300, 301, 302])).then(None).otherwise(pl.col(c)).alias(c)
            for c in blank
        ]
    )
    copies = frame[:10].with_columns(pl.Series("patient_id", [f"P{100000 + i}" for i in range(590, 600)]))
    frame = pl.concat([frame[:590], copies])
    return frame


def demo_roles() -> Roles:
    return Roles.build(
        target="readmission_30j",
        id="patient_id",
        time="date_admission",
        sensitive=["sexe"],
        text=["compte_rendu"],
    )
