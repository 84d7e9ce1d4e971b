"""Deterministic benchmark workloads, written once to benchmarks/data/ as Parquet.

- tall:   1,000,000 x 50 mixed (30 float, 10 int, 8 categorical, 1 date, binary target)
- medium: 100,000 x 30 mixed, same kinds
- wide:   300 x 20,000 gene-expression-like floats (20 latent factors, 50 informative genes),
          25 % of genes with 10 % missing, binary target and a site column
- bc:     scikit-learn's breast cancer table (569 x 31)
- verywide: 3 x 100,000 floats (the widest table the default --max-columns accepts)
Planted in tall and medium: 1 % duplicate rows, 0.5 % rows with a gross outlier, 2 % label flips,
~5 % missing per float column, one constant int column, one leaking float column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 42


def mixed_table(n: int, n_float: int, n_int: int, n_cat: int, seed: int = SEED) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    logit = 1.2 * latent - 1.0
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    columns: dict[str, np.ndarray | list] = {}
    for i in range(n_float):
        x = 0.3 * latent + rng.normal(size=n) if i < 5 else rng.normal(size=n) * (1 + i % 4) + i
        x[rng.random(n) < 0.05] = np.nan
        columns[f"f{i:02d}"] = x
    columns["leak"] = target + rng.normal(scale=0.05, size=n)
    for i in range(n_int):
        columns[f"i{i:02d}"] = np.zeros(n, dtype=np.int64) if i == 0 else rng.integers(0, 50 * (i + 1), n)
    levels = [5, 20, 100, 500]
    for i in range(n_cat):
        k = levels[i % len(levels)]
        codes = rng.integers(0, k, n)
        columns[f"c{i:02d}"] = pl.Series(np.char.add(f"lvl{i}_", codes.astype(str)))
    columns["visit_date"] = np.datetime64("2015-01-01") + rng.integers(0, 3650, n).astype("timedelta64[D]")
    frame = pl.DataFrame(columns).with_columns(pl.selectors.float().fill_nan(None))
    # gross outliers in 0.5 % of rows
    out = rng.choice(n, n // 200, replace=False)
    f0 = frame.get_column("f05").to_numpy().copy()
    f0[out] = 1e6
    frame = frame.with_columns(pl.Series("f05", f0))
    # 2 % label flips
    flips = rng.choice(n, n // 50, replace=False)
    y = target.copy()
    y[flips] = 1 - y[flips]
    frame = frame.with_columns(pl.Series("target", y))
    # 1 % duplicate rows
    dup_src = rng.choice(n, n // 100, replace=False)
    dup_dst = rng.choice(np.setdiff1d(np.arange(n), dup_src), n // 100, replace=False)
    idx = np.arange(n)
    idx[dup_dst] = dup_src
    return frame[idx]


def wide_table(n: int = 300, p: int = 20_000, seed: int = SEED) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 20))
    loadings = rng.normal(size=(20, p)) * 0.8
    x = factors @ loadings + rng.normal(size=(n, p))
    target = (rng.random(n) < 1 / (1 + np.exp(-(x[:, :50].sum(axis=1) / 10)))).astype(np.int8)
    missing_genes = rng.choice(p, p // 4, replace=False)
    mask = np.zeros((n, p), dtype=bool)
    mask[:, missing_genes] = rng.random((n, missing_genes.size)) < 0.10
    x[mask] = np.nan
    frame = pl.DataFrame(x.astype(np.float64), schema=[f"g{j:05d}" for j in range(p)])
    frame = frame.with_columns(pl.all().fill_nan(None))
    return frame.with_columns(
        pl.Series("target", target), pl.Series("site", rng.choice(["S1", "S2", "S3"], n))
    )


def very_wide_table(n: int = 3, p: int = 100_000, seed: int = SEED) -> pl.DataFrame:
    """A few records of very many columns: every per-column cost in Python shows here."""
    values = np.random.default_rng(seed).normal(size=(n, p)).round(3)
    return pl.DataFrame(values, schema=[f"c{j:06d}" for j in range(p)])


def breast_cancer() -> pl.DataFrame:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    return pl.from_pandas(data.frame)


BUILDERS = {
    "bc": breast_cancer,
    "medium": lambda: mixed_table(100_000, 18, 6, 4),
    "wide": wide_table,
    "verywide": very_wide_table,
    "tall": lambda: mixed_table(1_000_000, 30, 10, 8),
}
TARGETS = {"bc": "target", "medium": "target", "wide": "target", "tall": "target"}


def workload_path(name: str) -> Path:
    """The Parquet file of a workload, generated on first use."""
    path = DATA_DIR / f"{name}.parquet"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        frame = BUILDERS[name]()
        tmp = path.with_suffix(".tmp")
        frame.write_parquet(tmp)
        tmp.replace(path)
    return path
