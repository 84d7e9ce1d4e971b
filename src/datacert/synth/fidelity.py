"""Fidelity: does the synthetic table reproduce the real one's distributions (methods §9.5)?

Marginals (KS / TV complement), pairwise trends (correlation and contingency similarity),
the principal-component spectrum, a propensity pMSE ratio (Snoke et al. 2018) and a classifier
two-sample AUC fitted in folds, coverage of the real support (levels, ranges, rare cells),
per-subgroup marginals for sensitive columns, and the Kaplan–Meier distance for survival data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import polars as pl
from scipy import stats

from datacert.synth._encode import NEW_LEVEL, Encoded
from datacert.synth._metric import Metric
from datacert.synth._tables import Tables

MAX_PAIR_COLUMNS = 40  # pair metrics use at most this many columns (the first ones by real spread)
MAX_SPECTRUM_COLUMNS = 500
MAX_DETECTION_ROWS = 5_000  # per side, for the propensity and two-sample models
BINS = 5  # numeric columns enter contingency tables as real-quantile bins
RARE_CELL_SHARE = 0.01
MIN_SUBGROUP = 20
FAMILY = "fidelity"


def _ks_complement(real: np.ndarray, synth: np.ndarray) -> float:
    r, s = real[~np.isnan(real)], synth[~np.isnan(synth)]
    if r.size == 0 or s.size == 0:
        return 0.0 if r.size != s.size else 1.0
    return 1.0 - float(stats.ks_2samp(r, s).statistic)


def _shares(codes: np.ndarray, width: int) -> np.ndarray:
    index = np.where(codes >= 0, codes, width + (codes == NEW_LEVEL))
    counts = np.bincount(index, minlength=width + 2).astype(float)
    return counts / max(counts.sum(), 1.0)


def _tv_complement(real: np.ndarray, synth: np.ndarray, width: int) -> float:
    return 1.0 - 0.5 * float(np.abs(_shares(real, width) - _shares(synth, width)).sum())


def column_scores(
    enc: Encoded,
    tables: Tables,
    real: str = "real",
    synth: str = "synthetic",
    real_rows: np.ndarray | None = None,
    synth_rows: np.ndarray | None = None,
) -> dict[str, float]:
    """Per-column marginal similarity in [0, 1] (1 = identical distributions)."""
    rn, sn = enc.numeric[real], enc.numeric[synth]
    rc, sc = enc.codes[real], enc.codes[synth]
    if real_rows is not None:
        rn, rc = rn[real_rows], rc[real_rows]
    if synth_rows is not None:
        sn, sc = sn[synth_rows], sc[synth_rows]
    out = {c: _ks_complement(rn[:, j], sn[:, j]) for j, c in enumerate(tables.numeric)}
    for j, c in enumerate(tables.categorical):
        out[c] = _tv_complement(rc[:, j], sc[:, j], len(enc.levels[j]))
    return out


def marginals(enc: Encoded, tables: Tables) -> Metric:
    scores = column_scores(enc, tables)
    worst = sorted(scores.items(), key=lambda kv: kv[1])[:10]
    return Metric(
        "column_shapes",
        FAMILY,
        float(np.mean(list(scores.values()))),
        evidence={
            "per_column": scores,
            "worst_columns": [c for c, _ in worst],
            "statistic": "1 - KS D / 1 - TVD",
        },
    )


def _binned(
    enc: Encoded, tables: Tables, name: str, cols: Sequence[int], edges: list[np.ndarray]
) -> np.ndarray:
    """Pair-table codes: numeric columns as real-quantile bins (missing = BINS), categories as codes."""
    p_num = len(tables.numeric)
    out = np.empty((enc.rows(name), len(cols)), dtype=np.int64)
    for k, j in enumerate(cols):
        if j < p_num:
            x = enc.numeric[name][:, j]
            b = np.searchsorted(edges[j], x, side="right")
            out[:, k] = np.where(np.isnan(x), BINS, np.clip(b, 0, BINS - 1))
        else:
            width = len(enc.levels[j - p_num])
            c = enc.codes[name][:, j - p_num]
            out[:, k] = np.where(c >= 0, c, width + (c == NEW_LEVEL))
    return out


def _pair_columns(enc: Encoded, tables: Tables) -> list[int]:
    p_num = len(tables.numeric)
    order = list(range(p_num + len(tables.categorical)))
    return order[:MAX_PAIR_COLUMNS]


def _filled(x: np.ndarray, center: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), center, x)


def pair_trends(enc: Encoded, tables: Tables) -> tuple[Metric, Metric]:
    """Column Pair Trends and support coverage of rare cells, from the same pair tables."""
    cols = _pair_columns(enc, tables)
    p_num = len(tables.numeric)
    if len(cols) < 2:
        why = "needs at least two comparable columns"
        return Metric.missing("column_pair_trends", FAMILY, why), Metric.missing(
            "rare_combinations_kept", FAMILY, why
        )
    real_num = [j for j in cols if j < p_num]
    edges = []
    for j in range(p_num):
        x = enc.numeric["real"][:, j]
        x = x[~np.isnan(x)]
        qs = np.unique(np.quantile(x, np.linspace(0, 1, BINS + 1)[1:-1])) if x.size else np.empty(0)
        edges.append(qs)
    scores: dict[str, float] = {}
    if len(real_num) >= 2:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cr = np.corrcoef(_filled(enc.numeric["real"][:, real_num], enc.center[real_num]), rowvar=False)
            cs = np.corrcoef(
                _filled(enc.numeric["synthetic"][:, real_num], enc.center[real_num]), rowvar=False
            )
        cr, cs = np.nan_to_num(cr), np.nan_to_num(cs)
        for a, b in combinations(range(len(real_num)), 2):
            name = f"{tables.numeric[real_num[a]]} × {tables.numeric[real_num[b]]}"
            scores[name] = 1.0 - abs(cr[a, b] - cs[a, b]) / 2
    rb = _binned(enc, tables, "real", cols, edges)
    sb = _binned(enc, tables, "synthetic", cols, edges)
    widths = [int(max(rb[:, k].max(initial=0), sb[:, k].max(initial=0))) + 1 for k in range(len(cols))]
    rare_total = rare_kept = 0
    names = list(tables.numeric) + list(tables.categorical)
    for a, b in combinations(range(len(cols)), 2):
        wb = widths[b]
        size = widths[a] * wb
        rt = np.bincount(rb[:, a] * wb + rb[:, b], minlength=size).astype(float)
        st = np.bincount(sb[:, a] * wb + sb[:, b], minlength=size).astype(float)
        rs, ss = rt / rt.sum(), st / max(st.sum(), 1)
        if not (cols[a] < p_num and cols[b] < p_num):
            scores[f"{names[cols[a]]} × {names[cols[b]]}"] = 1.0 - 0.5 * float(np.abs(rs - ss).sum())
        rare = (rt >= 2) & (rs <= RARE_CELL_SHARE)
        rare_total += int(rare.sum())
        rare_kept += int((rare & (st > 0)).sum())
    worst = sorted(scores.items(), key=lambda kv: kv[1])[:10]
    trends = Metric(
        "column_pair_trends",
        FAMILY,
        float(np.mean(list(scores.values()))),
        evidence={
            "pairs": len(scores),
            "columns_used": len(cols),
            "worst_pairs": [{"pair": k, "score": v} for k, v in worst],
            "statistic": "1 - |rho_R - rho_S|/2 (numbers), 1 - TVD of the 2-D table (with categories)",
        },
    )
    if rare_total == 0:
        rare_metric = Metric.missing(
            "rare_combinations_kept", FAMILY, "the real table has no rare pair cells"
        )
    else:
        rare_metric = Metric(
            "rare_combinations_kept",
            FAMILY,
            rare_kept / rare_total,
            evidence={"rare_cells": rare_total, "kept": rare_kept, "rare_share_at_most": RARE_CELL_SHARE},
        )
    return trends, rare_metric


def spectrum(enc: Encoded, tables: Tables, top: int = 10) -> Metric:
    """Top principal-component spectrum and relative Frobenius distance of the correlation matrices."""
    p = min(len(tables.numeric), MAX_SPECTRUM_COLUMNS)
    if p < 3:
        return Metric.missing("pc_spectrum_similarity", FAMILY, "needs at least three numeric columns")
    center = enc.center[:p]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cr = np.nan_to_num(np.corrcoef(_filled(enc.numeric["real"][:, :p], center), rowvar=False))
        cs = np.nan_to_num(np.corrcoef(_filled(enc.numeric["synthetic"][:, :p], center), rowvar=False))
    er = np.sort(np.linalg.eigvalsh(cr))[::-1][:top]
    es = np.sort(np.linalg.eigvalsh(cs))[::-1][:top]
    similarity = 1.0 - float(np.abs(er - es).sum() / max((er + es).sum(), 1e-12))
    frob = float(np.linalg.norm(cr - cs) / max(float(np.linalg.norm(cr)), 1e-12))
    return Metric(
        "pc_spectrum_similarity",
        FAMILY,
        similarity,
        evidence={
            "real_top_eigenvalues": er,
            "synthetic_top_eigenvalues": es,
            "relative_frobenius": frob,
            "columns": p,
        },
    )


def detection(enc: Encoded, seed: int) -> tuple[Metric, Metric]:
    """pMSE ratio (logistic with pairwise interactions of the top PCs, analytic null) and C2ST AUC "
    "(gradient boosting, 5 folds)."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from datacert.synth._neighbours import query_sample

    rr = query_sample(enc.rows("real"), seed, MAX_DETECTION_ROWS)
    sr = query_sample(enc.rows("synthetic"), seed + 1, MAX_DETECTION_ROWS)
    X = np.vstack([enc.distance_space("real", rr), enc.distance_space("synthetic", sr)]).astype(np.float64)
    y = np.r_[np.zeros(rr.size), np.ones(sr.size)]
    n = y.size
    c = sr.size / n
    k_pc = min(10, X.shape[1])
    pcs = PCA(n_components=k_pc, random_state=seed).fit(X[: rr.size]).transform(X)
    design = StandardScaler().fit_transform(PolynomialFeatures(2, include_bias=False).fit_transform(pcs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logit = LogisticRegression(C=1e4, max_iter=500).fit(design, y)
    p_hat = logit.predict_proba(design)[:, 1]
    pmse = float(np.mean((p_hat - c) ** 2))
    k = design.shape[1] + 1
    null = (k - 1) * (1 - c) ** 2 * c / n
    pmse_metric = Metric(
        "pmse_ratio",
        FAMILY,
        pmse / null,
        evidence={
            "pmse": pmse,
            "null_expectation": null,
            "parameters": k,
            "records": n,
            "model": f"logistic on the degree-2 terms of {k_pc} principal components",
        },
    )
    oof = np.zeros(n)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    for train, test in folds.split(X, y):
        model = HistGradientBoostingClassifier(max_iter=60, learning_rate=0.15, random_state=seed)
        model.fit(X[train], y[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
    auc = float(roc_auc_score(y, oof))
    c2st = Metric(
        "detection_auc",
        FAMILY,
        auc,
        evidence={
            "model": "histogram gradient boosting",
            "folds": 5,
            "real_rows": int(rr.size),
            "synthetic_rows": int(sr.size),
            "meaning": "0.5 = the classifier cannot tell them apart",
        },
    )
    return pmse_metric, c2st


def coverage(enc: Encoded, tables: Tables) -> tuple[Metric, Metric]:
    """Share of real levels the synthetic table contains; share of the real 1-99 % range it spans."""
    if tables.categorical:
        kept = {}
        for j, c in enumerate(tables.categorical):
            real_levels = set(np.unique(enc.codes["real"][:, j][enc.codes["real"][:, j] >= 0]).tolist())
            synth_levels = set(np.unique(enc.codes["synthetic"][:, j]).tolist())
            kept[c] = len(real_levels & synth_levels) / max(len(real_levels), 1)
        cat = Metric(
            "category_coverage",
            FAMILY,
            float(np.mean(list(kept.values()))),
            evidence={"per_column": kept, "lost_levels_in": [c for c, v in kept.items() if v < 1]},
        )
    else:
        cat = Metric.missing("category_coverage", FAMILY, "the real table has no categorical column")
    if tables.numeric:
        spans = {}
        for j, c in enumerate(tables.numeric):
            r = enc.numeric["real"][:, j]
            s = enc.numeric["synthetic"][:, j]
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            if r.size == 0:
                continue
            lo, hi = np.quantile(r, [0.01, 0.99])
            if hi <= lo or s.size == 0:
                spans[c] = 1.0 if s.size and hi <= lo else 0.0
                continue
            slo, shi = max(lo, s.min()), min(hi, s.max())
            spans[c] = max(0.0, (shi - slo) / (hi - lo))
        rng = Metric(
            "range_coverage",
            FAMILY,
            float(np.mean(list(spans.values()))) if spans else None,
            evidence={"per_column": spans, "range": "real 1st to 99th percentile"},
        )
    else:
        rng = Metric.missing("range_coverage", FAMILY, "the real table has no numeric column")
    return cat, rng


def subgroups(enc: Encoded, tables: Tables) -> Metric:
    """Marginal fidelity within each level of each sensitive column: the worst subgroup counts."""
    if not tables.sensitive:
        return Metric.missing("subgroup_fidelity", FAMILY, "no --sensitive column was given")
    per: dict[str, float] = {}
    for c in tables.sensitive:
        j = tables.categorical.index(c)
        for code, level in enumerate(enc.levels[j]):
            rr = np.flatnonzero(enc.codes["real"][:, j] == code)
            sr = np.flatnonzero(enc.codes["synthetic"][:, j] == code)
            if rr.size < MIN_SUBGROUP:
                continue
            if sr.size < MIN_SUBGROUP:
                per[f"{c}={level}"] = 0.0 if sr.size == 0 else float("nan")
                if sr.size == 0:
                    continue
            scores = column_scores(enc, tables, real_rows=rr, synth_rows=sr)
            scores.pop(c, None)
            per[f"{c}={level}"] = float(np.mean(list(scores.values()))) if scores else 1.0
    per = {k: v for k, v in per.items() if v == v}
    if not per:
        return Metric.missing("subgroup_fidelity", FAMILY, f"no subgroup has {MIN_SUBGROUP} real records")
    worst = min(per, key=per.__getitem__)
    return Metric(
        "subgroup_fidelity",
        FAMILY,
        per[worst],
        evidence={"per_subgroup": per, "worst_subgroup": worst},
        columns=tables.sensitive,
    )


def kaplan_meier(tables: Tables, duration: str | None, event: str | None) -> Metric:
    """1 - the largest gap between the real and synthetic Kaplan–Meier curves (scipy's censored ECDF)."""
    if not duration or not event:
        return Metric.missing(
            "kaplan_meier_similarity", FAMILY, "no survival columns (--duration and --event)"
        )
    curves = {}
    for name, ds in (("real", tables.real), ("synthetic", tables.synthetic)):
        for c in (duration, event):
            if c not in ds.columns:
                from datacert.synth._tables import SynthInputError

                raise SynthInputError(f"The {name} table has no column {c!r} (given as a survival column).")
        t = ds.frame.get_column(duration).cast(pl.Float64, strict=False).to_numpy()
        e = ds.frame.get_column(event).cast(pl.Float64, strict=False).to_numpy()
        ok = np.isfinite(t) & np.isfinite(e) & (t >= 0)
        t, e = t[ok], e[ok] > 0
        if t.size < 10:
            return Metric.missing(
                "kaplan_meier_similarity", FAMILY, f"the {name} table has under 10 usable survival times"
            )
        data = stats.CensoredData(uncensored=t[e], right=t[~e])
        curves[name] = stats.ecdf(data).sf
    grid = np.unique(np.concatenate([curves["real"].quantiles, curves["synthetic"].quantiles]))
    gap = np.abs(curves["real"].evaluate(grid) - curves["synthetic"].evaluate(grid))
    span = grid[-1] - grid[0] if grid.size > 1 else 1.0
    area = float(np.sum(gap[:-1] * np.diff(grid)) / span) if grid.size > 1 else float(gap.max())
    return Metric(
        "kaplan_meier_similarity",
        FAMILY,
        1.0 - float(gap.max()),
        evidence={"max_gap": float(gap.max()), "mean_gap": area},
        columns=(duration, event),
    )


def measure(
    enc: Encoded, tables: Tables, seed: int, duration: str | None = None, event: str | None = None
) -> list[Metric]:
    trends, rare = pair_trends(enc, tables)
    pmse, c2st = detection(enc, seed)
    cat, rng = coverage(enc, tables)
    return [
        marginals(enc, tables),
        trends,
        spectrum(enc, tables),
        pmse,
        c2st,
        cat,
        rng,
        rare,
        subgroups(enc, tables),
        kaplan_meier(tables, duration, event),
    ]


def overlays(enc: Encoded, tables: Tables, metrics: Sequence[Metric], top: int = 6) -> list[dict]:
    """Plot data for the report: real and synthetic histograms of the worst columns (shares per bin)."""
    shapes = next((m for m in metrics if m.id == "column_shapes"), None)
    if shapes is None or shapes.value is None:
        return []
    per = shapes.evidence["per_column"]
    worst = sorted(per, key=per.__getitem__)[:top]
    out = []
    for c in worst:
        if c in tables.numeric:
            j = tables.numeric.index(c)
            r, s = enc.numeric["real"][:, j], enc.numeric["synthetic"][:, j]
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            if r.size == 0:
                continue
            lo, hi = np.quantile(r, [0.005, 0.995])
            if hi <= lo:
                lo, hi = float(r.min()), float(r.max()) + 1.0
            edges = np.linspace(lo, hi, 21)
            rc = np.histogram(np.clip(r, lo, hi), edges)[0]
            sc = np.histogram(np.clip(s, lo, hi), edges)[0]
            out.append(
                {
                    "column": c,
                    "kind": "numeric",
                    "score": per[c],
                    "edges": edges.tolist(),
                    "real": (rc / max(rc.sum(), 1)).tolist(),
                    "synthetic": (sc / max(sc.sum(), 1)).tolist(),
                }
            )
        else:
            j = tables.categorical.index(c)
            width = len(enc.levels[j])
            rs = _shares(enc.codes["real"][:, j], width)
            ss = _shares(enc.codes["synthetic"][:, j], width)
            labels = [*enc.levels[j], "(missing)", "(new)"]
            keep = [i for i in range(width + 2) if rs[i] > 0 or ss[i] > 0][:20]
            out.append(
                {
                    "column": c,
                    "kind": "categorical",
                    "score": per[c],
                    "labels": [labels[i] for i in keep],
                    "real": [float(rs[i]) for i in keep],
                    "synthetic": [float(ss[i]) for i in keep],
                }
            )
    return out
