"""Two trivial generators fitted on the real training table, scored like the user's generator.

They set the scale: a generator worth its training should beat independent marginals on
fidelity and utility, and match a Gaussian copula without losing privacy. Both are written with
numpy/scipy on purpose: they are baselines, not generators anyone should ship.
- independent marginals: each column drawn on its own from the real values (dependence lost);
- Gaussian copula: the real rank correlation of normal scores, marginals by the real empirical
  quantiles (numbers interpolated between real values, categories and whole numbers kept exact).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from datacert.synth._encode import encode
from datacert.synth._profile import SynthProfile
from datacert.synth._tables import Tables

KEY_METRICS = (
    "column_shapes",
    "column_pair_trends",
    "detection_auc",
    "tstr_ratio",
    "exact_copy_excess",
    "dcr_closer_than_holdout",
    "membership_auc_distance",
)


def _columns(tables: Tables) -> list[str]:
    keep = set(tables.columns)
    return [c for c in tables.real.columns if c in keep]


def _restore(values: np.ndarray, column: str, tables: Tables, levels: dict[str, list[str]]) -> pl.Series:
    """Back to the real column's type: level strings for categories, whole numbers, dates."""
    dtype = tables.real.schema[column]
    if column in levels:
        lv = levels[column]
        codes = np.where(np.isnan(values), -1, values).astype(np.int64)
        text = [lv[c] if c >= 0 else None for c in codes]
        return pl.Series(column, text, dtype=pl.String).cast(dtype, strict=False)
    series = pl.Series(column, values, dtype=pl.Float64)
    if dtype == pl.Date:
        return series.round(0).cast(pl.Int32).cast(pl.Date)
    if dtype.is_temporal():
        return (series * 86_400_000_000).cast(pl.Int64).cast(pl.Datetime("us"))
    if dtype.is_integer():
        return series.round(0).cast(dtype, strict=False)
    return series.cast(dtype, strict=False)


def _real_values(tables: Tables) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    enc = encode(tables)
    values: dict[str, np.ndarray] = {}
    levels: dict[str, list[str]] = {}
    for j, c in enumerate(tables.numeric):
        values[c] = enc.numeric["real"][:, j]
    for j, c in enumerate(tables.categorical):
        codes = enc.codes["real"][:, j].astype(np.float64)
        values[c] = np.where(codes < 0, np.nan, codes)
        levels[c] = list(enc.levels[j])
    return values, levels


def independent_marginals(tables: Tables, n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    values, levels = _real_values(tables)
    out = []
    for c in _columns(tables):
        x = values[c]
        out.append(_restore(x[rng.integers(0, x.size, n)], c, tables, levels))
    return pl.DataFrame(out)


def gaussian_copula(tables: Tables, n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    values, levels = _real_values(tables)
    cols = _columns(tables)
    scores = []
    for c in cols:
        x = values[c]
        ranks = stats.rankdata(np.where(np.isnan(x), np.nanmedian(x) if np.isfinite(x).any() else 0.0, x))
        scores.append(stats.norm.ppf(ranks / (x.size + 1)))
    z_real = np.column_stack(scores)
    corr = np.corrcoef(z_real, rowvar=False) if len(cols) > 1 else np.ones((1, 1))
    corr = np.nan_to_num(corr) + 1e-6 * np.eye(len(cols))
    z = rng.multivariate_normal(np.zeros(len(cols)), corr, size=n, method="eigh")
    u = stats.norm.cdf(z)
    out = []
    for j, c in enumerate(cols):
        x = values[c]
        observed = x[~np.isnan(x)]
        discrete = c in levels or np.all(observed == np.round(observed))
        if observed.size == 0:
            sample = np.full(n, np.nan)
        else:
            sample = np.quantile(observed, u[:, j], method="inverted_cdf" if discrete else "linear")
        missing = rng.random(n) < np.isnan(x).mean()
        out.append(_restore(np.where(missing, np.nan, sample), c, tables, levels))
    return pl.DataFrame(out)


GENERATORS = {"independent_marginals": independent_marginals, "gaussian_copula": gaussian_copula}


def score_baselines(
    tables: Tables,
    profile: SynthProfile,
    seed: int,
    duration: str | None,
    event: str | None,
    full_check: bool = False,
) -> dict[str, Any]:
    """Each baseline generated as large as the user's synthetic table and certified the same way."""
    from datacert.assay import load_dataset
    from datacert.synth._assay import _certify
    from datacert.synth._tables import _roles_present

    n = tables.synthetic.n_rows
    results = []
    for name, generate in GENERATORS.items():
        frame = generate(tables, n, seed)
        ds = load_dataset(frame, _roles_present(tables.real.roles, frame.columns))
        cert = _certify(
            dataclasses.replace(tables, synthetic=ds, extra_columns=()),
            profile,
            duration,
            event,
            False,
            None,
            full_check,
        )
        by_id = {m["id"]: m["value"] for m in cert.extra["metrics"]}
        results.append(
            {
                "name": name,
                "verdict": cert.verdict,
                "scores": dict(cert.scores),
                "key_metrics": {k: by_id.get(k) for k in KEY_METRICS},
            }
        )
    return {"generators": results, "fitted_on": "the real training table", "records": n, "seed": seed}
