"""Plot data for the report, computed once from the dataset and the findings (never by a renderer).

Every figure is bounded in size whatever the table's shape: at most MAX_MAP_COLUMNS columns in
the missingness map, MAX_DISTRIBUTIONS flagged-column histograms, MAX_POINTS points per map.
Wide tables are summarised (a histogram of column missing rates), never drawn column by column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import polars as pl

from datacert.artifacts import rows_matrix
from datacert.checks import Figure, load_all_checks
from datacert.dataset import Dataset
from datacert.figures._tsne import tsne
from datacert.findings import Finding, Severity
from datacert.profile import Profile
from datacert.statistics import wilson_interval

MAX_MAP_COLUMNS = 40
MAP_ROW_BINS = 50
MAX_DISTRIBUTIONS = 8
HIST_BINS = 30
MAX_POINTS = 1500
MAX_LEVELS = 20
TSNE_MAX_ROWS = 400
SEED = 0
_BATCH_NAME = re.compile(r"site|batch|centre|center|hospital|plate|run|lot|scanner|lab", re.IGNORECASE)


def missingness(data: Dataset, profile: Profile) -> dict[str, Any]:
    """Missing rate per column, and a rows-by-columns map of the most affected columns."""
    nulls = profile.stat("null_count")
    n = max(1, data.n_rows)
    columns = data.columns
    rates = np.array([nulls.get(c, 0) / n for c in columns], dtype=float)
    with_missing = int((rates > 0).sum())
    order = np.argsort(-rates, kind="stable")
    shown = [columns[i] for i in order[:MAX_MAP_COLUMNS] if rates[i] > 0]
    out: dict[str, Any] = {
        "n_rows": data.n_rows,
        "n_columns": data.n_columns,
        "with_missing": with_missing,
        "missing_share": float(rates.mean()) if columns else 0.0,
        "rate_histogram": np.histogram(rates, bins=10, range=(0.0, 1.0))[0].tolist(),
    }
    if not shown:
        out.update(columns=[], rates=[], map=[], row_edges=[])
        return out
    schema = data.schema
    bins = min(MAP_ROW_BINS, data.n_rows)
    edges = np.linspace(0, data.n_rows, bins + 1).astype(int)
    starts = np.unique(edges[:-1])
    # missing cells counted per band of rows one column at a time (exact integers): a float mask of
    # every shown column was 250 MB and 0.6 s CPU at 1,000,000 x 31
    sums = np.empty((starts.size, len(shown)))
    for j, c in enumerate(shown):
        # on the Series itself: a select on the frame plans against its whole schema (2.5 ms a
        # column at 20,000 columns, 40 times)
        series = data.frame.get_column(c)
        missing = (series.is_null() | series.is_nan()) if schema[c].is_float() else series.is_null()
        sums[:, j] = np.add.reduceat(missing.to_numpy().astype(np.int64), starts)
    sizes = np.diff(np.append(starts, data.n_rows))[:, None]
    out.update(
        columns=shown,
        rates=[float(rates[columns.index(c)]) for c in shown],
        map=(sums / sizes).tolist(),
        row_edges=np.append(starts, data.n_rows).tolist(),
    )
    return out


def _numeric_values(data: Dataset, column: str) -> np.ndarray | None:
    dtype = data.schema[column]
    if dtype.is_numeric():
        return data.frame.get_column(column).cast(pl.Float64).to_numpy().astype(float)
    if dtype == pl.Utf8:
        cleaned = data.frame.get_column(column).str.replace_all(",", ".").str.strip_chars()
        values = cleaned.cast(pl.Float64, strict=False).to_numpy().astype(float)
        return values if np.isfinite(values).sum() >= 0.5 * max(1, data.n_rows) else None
    return None


def distribution_requests(check_ids: Iterable[str]) -> dict[str, Figure]:
    """The checks among these that ask for a distribution plot of the columns they flag."""
    registry = load_all_checks(set(check_ids))
    return {
        c: cls.figure
        for c, cls in registry.items()
        if cls.figure is not None and cls.figure.kind == "distribution"
    }


def flagged_distributions(data: Dataset, findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Histograms of the columns that value-level findings flag, with the flagged records counted apart."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    requests = distribution_requests(f.check for f in findings)
    chosen = sorted(
        (f for f in findings if f.check in requests and len(f.columns) == 1 and f.rows),
        key=lambda f: (-Severity(f.severity).rank, requests[f.check].priority, f.check, f.columns),
    )
    for f in chosen:
        column = f.columns[0]
        if (column, f.check) in seen or column not in data.schema:
            continue
        values = _numeric_values(data, column)
        if values is None:
            continue
        finite = np.isfinite(values)
        if finite.sum() < 2:
            continue
        use_log = requests[f.check].log_scale and bool((values[finite] > 0).all())
        shown = np.log10(values[finite]) if use_log else values[finite]
        lo, hi = float(shown.min()), float(shown.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        counts = np.histogram(shown, bins=edges)[0]
        flagged = np.zeros(data.n_rows, dtype=bool)
        rows = np.asarray(f.rows, dtype=np.int64)
        flagged[rows[rows < data.n_rows]] = True
        flag_values = np.log10(values[flagged & finite]) if use_log else values[flagged & finite]
        flagged_counts = np.histogram(flag_values, bins=edges)[0]
        out.append(
            {
                "column": column,
                "check": f.check,
                "severity": str(f.severity),
                "log10": use_log,
                "edges": edges.tolist(),
                "counts": counts.tolist(),
                "flagged_counts": flagged_counts.tolist(),
                "n_values": int(finite.sum()),
                "n_flagged": int(f.row_count),
                "n_flagged_missing": int((flagged & ~finite).sum()),
            }
        )
        seen.add((column, f.check))
        if len(out) >= MAX_DISTRIBUTIONS:
            break
    return out


def _labels(series: pl.Series | None, rows: np.ndarray) -> dict[str, Any] | None:
    """Category codes for colouring points: levels by frequency, rare levels pooled as 'other'."""
    if series is None:
        return None
    values = series.gather(rows)
    if values.dtype.is_float() and series.n_unique() > MAX_LEVELS:
        qs = np.nanquantile(series.to_numpy().astype(float), [0.2, 0.4, 0.6, 0.8])
        arr = values.to_numpy().astype(float)
        quintiles = np.where(np.isnan(arr), -1, np.searchsorted(qs, arr)).astype(int)
        return {
            "name": series.name,
            "levels": ["Q1", "Q2", "Q3", "Q4", "Q5"],
            "codes": quintiles.tolist(),
            "kind": "quintile",
        }
    text = values.cast(pl.Utf8)
    counts = text.drop_nulls().value_counts(sort=True)
    top = [str(v) for v in counts.get_column(text.name).to_list()[:8]]
    index = {v: i for i, v in enumerate(top)}
    as_list = text.to_list()
    codes = [(-1 if v is None else index.get(v, len(top))) for v in as_list]
    levels = top + (["other"] if any(c == len(top) for c in codes) else [])
    return {"name": series.name, "levels": levels, "codes": codes, "kind": "category"}


def batch_column(data: Dataset) -> str | None:
    """The column to colour maps by site or batch: the split role, else a site-like categorical column."""
    if data.roles.split:
        return data.roles.split
    roles = data.roles.non_feature_columns() - {data.roles.group}
    for c in data.columns:
        if c not in roles and _BATCH_NAME.search(c) and not data.schema[c].is_float():
            n_levels = data.frame.get_column(c).n_unique()
            if 2 <= n_levels <= MAX_LEVELS:
                return c
    return None


EMBEDDING_KEY = "figure:embedding"


def embeddings(data: Dataset) -> dict[str, Any] | None:
    """PCA map (and t-SNE on <= 400 points when p >= n) of the numeric features, on at most MAX_POINTS
    rows (computed once per dataset: `start_figures` may have built it beside the checks).
    """
    embedding: dict[str, Any] | None = data.memo(EMBEDDING_KEY, lambda: _embeddings(data))
    return embedding


def _embeddings(data: Dataset) -> dict[str, Any] | None:
    columns = data.numeric_feature_columns()
    if len(columns) < 2 or data.n_rows < 5:
        return None
    rng = np.random.default_rng(SEED)
    rows = (
        np.arange(data.n_rows)
        if data.n_rows <= MAX_POINTS
        else np.sort(rng.choice(data.n_rows, MAX_POINTS, replace=False))
    )
    # one working copy, modified in place (a 300 x 20,000 block is 48 MB; each extra copy cost ~0.1 s);
    # a tall table's plotted rows are read alone, not through a float copy of the whole table
    x = np.array(rows_matrix(data, columns, rows), dtype=np.float64, copy=True)
    bad = ~np.isfinite(x)
    if bad.any():  # the mean of the finite values (as np.nanmean), NaN for a column without any
        x[bad] = 0.0
        counts = x.shape[0] - bad.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = x.sum(axis=0) / counts
    else:
        means = x.mean(axis=0) if x.size else np.zeros(x.shape[1])
    keep = np.isfinite(means)
    if not keep.all():
        x, means, bad = x[:, keep], means[keep], bad[:, keep]
    if bad.any():
        x[bad] = np.take(means, np.nonzero(bad)[1])
    del bad
    x -= means
    std = np.sqrt(np.einsum("ij,ij->j", x, x) / max(1, x.shape[0]))
    keep = std > 0
    if keep.sum() < 2:
        return None
    if keep.all():
        x /= std
    else:
        x = x[:, keep] / std[keep]
    k = int(min(50, x.shape[0] - 1, x.shape[1]))
    # thin SVD through the n x n Gram matrix when p > n: never a p x p matrix
    if x.shape[1] > x.shape[0]:
        gram = x @ x.T
        evals, evecs = np.linalg.eigh(gram)
        order = np.argsort(evals)[::-1][:k]
        evals = np.clip(evals[order], 0, None)
        scores = evecs[:, order] * np.sqrt(evals)
    else:
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        evals = s[:k] ** 2
        scores = x @ vt[:k].T
    scores = scores * np.where(
        scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])] < 0, -1, 1
    )
    total = float(np.einsum("ij,ij->", x, x))
    out: dict[str, Any] = {
        "n_points": int(rows.size),
        "sampled": bool(rows.size < data.n_rows),
        "n_features": int(keep.sum()),
        "pca": scores[:, :2].tolist(),
        "explained": [float(e / total) if total else 0.0 for e in evals[:2]],
        "target": _labels(data.target(), rows),
        "batch": None,
    }
    batch = batch_column(data)
    if batch:
        out["batch"] = _labels(data.frame.get_column(batch), rows)
    hdlss = x.shape[1] >= x.shape[0]
    if hdlss and rows.size >= 10:
        # exact t-SNE on at most TSNE_MAX_ROWS points (datacert.figures._tsne says why it is our own)
        pick = (
            np.arange(rows.size)
            if rows.size <= TSNE_MAX_ROWS
            else np.sort(np.random.default_rng(SEED).choice(rows.size, TSNE_MAX_ROWS, replace=False))
        )
        perplexity = float(min(30.0, (pick.size - 1) / 3.0))
        out["tsne"] = tsne(scores[pick, :k], perplexity, iterations=300).tolist()
        out["tsne_points"] = pick.tolist()
    return out


def _level_counts(series: pl.Series) -> list[dict[str, Any]]:
    text = series.cast(pl.Utf8).fill_null("(missing)")
    counts = text.value_counts(sort=True)
    n = series.len()
    out = []
    for value, count in counts.head(MAX_LEVELS).iter_rows():
        lo, hi = (float(v) for v in wilson_interval(count, n))
        out.append(
            {
                "level": str(value),
                "count": int(count),
                "share": count / n if n else 0.0,
                "low": lo,
                "high": hi,
            }
        )
    return out


def class_balance(data: Dataset) -> dict[str, Any] | None:
    target = data.target()
    if (
        target is None
        or target.n_unique() > MAX_LEVELS
        or (target.dtype.is_float() and target.n_unique() > 10)
    ):
        return None
    return {"column": target.name, "levels": _level_counts(target), "n_levels": int(target.n_unique())}


def subgroups(data: Dataset) -> list[dict[str, Any]]:
    """Sizes of each sensitive attribute's levels with 95 % Wilson intervals on their share."""
    return [
        {
            "column": c,
            "levels": _level_counts(data.frame.get_column(c)),
            "n_levels": int(data.frame.get_column(c).n_unique()),
        }
        for c in data.roles.sensitive
    ]


DATASHEET_QUESTIONS = (
    ("motivation", "For what purpose was the dataset created, and by whom?"),
    ("collection", "How, where and when were the records collected?"),
    ("consent", "What lawful basis and consent cover the intended processing?"),
    ("population", "Which population does it represent, with which inclusion and exclusion criteria?"),
    ("labelling", "How were the labels defined and assigned, and by whom?"),
    ("preprocessing", "What cleaning or transformation was applied before this file?"),
    ("intended_use", "What uses are intended, and which are out of scope?"),
)


def dataset_card(data: Dataset, profile: Profile) -> dict[str, Any]:
    """A datasheet filled from what was measured; documentation questions stay open when unknown."""
    summary = profile.summary()
    measured: dict[str, Any] = {
        "records": data.n_rows,
        "columns": data.n_columns,
        "feature_columns": len(data.feature_columns()),
        "numeric_features": len(data.numeric_feature_columns()),
        "features_per_record": len(data.feature_columns()) / max(1, data.n_rows),
        "missing_share": summary["missing_share"],
        "semantic_types": summary["semantic_types"],
        "roles": {k: v for k, v in data.roles.to_dict().items() if v},
        "inferred_roles": sorted(data.inferred),
        "format": data.format,
    }
    if data.roles.group:
        measured["groups"] = int(data.frame.get_column(data.roles.group).n_unique())
    if data.roles.time:
        col = data.frame.get_column(data.roles.time)
        if col.dtype.is_temporal():
            measured["period"] = [str(col.min()), str(col.max())]
    if data.roles.split:
        measured["partitions"] = int(data.frame.get_column(data.roles.split).n_unique())
    target = data.target()
    if target is not None:
        measured["target_levels"] = int(target.n_unique())
    for key in ("encoding", "delimiter", "decimal_comma", "sheet"):
        if key in data.source_facts:
            measured[f"source_{key}"] = data.source_facts[key]
    return {
        "measured": measured,
        "open_questions": [q for _, q in DATASHEET_QUESTIONS],
        "answered": 0,
        "questions": len(DATASHEET_QUESTIONS),
    }


def compute_figures(data: Dataset, profile: Profile, findings: Sequence[Finding]) -> dict[str, Any]:
    """All plot data of the report."""
    return {
        "missingness": missingness(data, profile),
        "distributions": flagged_distributions(data, findings),
        "embedding": embeddings(data),
        "class_balance": class_balance(data),
        "subgroups": subgroups(data),
        "card": dataset_card(data, profile),
    }
