"""Compare two datasets (or two certificates) the way benchmarks compare algorithms.

Scores are compared with their intervals (two datasets differ on a dimension only when the
intervals separate, methods §10.4); findings are matched by check and columns; and when both
tables are at hand, every shared column is tested for a shift between them: two-sample
Kolmogorov-Smirnov for numbers, chi-squared for categories, each with a standardised mean
difference (SMD) as effect size, and Benjamini-Hochberg FDR across columns (methods §7.4-7.5).
The statistics are the distribution_shift check's (datacert.shift), so a column shifted between
two sites of one table and between two tables is measured the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from datacert.certificate import Certificate
from datacert.findings import DIMENSIONS, Finding, to_plain
from datacert.shift import cramers_v, ks_one_vs_rest, smd_one_vs_rest

if TYPE_CHECKING:
    from datacert.dataset import Dataset

MAX_LEVELS = 50
SMD_SHIFT = 0.1  # methods §7.4: |SMD| > 0.1 is a meaningful imbalance
ALPHA = 0.05
MAX_LISTED = 200


def _smd_categorical(pa: np.ndarray, pb: np.ndarray) -> float:
    """Multi-level SMD (Yang & Dalton 2012): Mahalanobis distance between the level proportions."""
    diff = (pa - pb)[1:]
    if diff.size == 0:
        return 0.0
    pa1, pb1 = pa[1:], pb[1:]
    cov = (np.diag(pa1) - np.outer(pa1, pa1) + np.diag(pb1) - np.outer(pb1, pb1)) / 2.0
    value = float(diff @ np.linalg.pinv(cov) @ diff)
    return float(np.sqrt(max(value, 0.0)))


def distribution_shift(
    frame_a: pl.DataFrame, frame_b: pl.DataFrame, exclude: Sequence[str] = (), alpha: float = ALPHA
) -> dict[str, Any]:
    """Per shared column: test, statistic, p, BH q, SMD and whether it shifted (q < alpha and |SMD| >=
    0.1).
    """
    schema_a, schema_b = frame_a.schema, frame_b.schema
    shared = [c for c in frame_a.columns if c in schema_b and c not in set(exclude)]
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    numeric = [c for c in shared if schema_a[c].is_numeric() and schema_b[c].is_numeric()]
    if numeric:
        # the same two-sample statistics as the distribution_shift check (datacert.shift): table B
        # is group 1, table A the rest; the SMD is signed A - B
        block_a = frame_a.select([pl.col(c).cast(pl.Float64) for c in numeric]).to_numpy()
        block_b = frame_b.select([pl.col(c).cast(pl.Float64) for c in numeric]).to_numpy()
        block = np.vstack([block_a, block_b])
        block[~np.isfinite(block)] = np.nan
        codes = np.repeat(np.array([0, 1], dtype=np.int64), [block_a.shape[0], block_b.shape[0]])
        d, p = ks_one_vs_rest(block, codes, 2)
        smd = smd_one_vs_rest(block, codes, 2)
        n_a = np.isfinite(block[codes == 0]).sum(axis=0)
        n_b = np.isfinite(block[codes == 1]).sum(axis=0)
        for j, column in enumerate(numeric):
            if n_a[j] < 2 or n_b[j] < 2:
                skipped[column] = "fewer than 2 values on one side"
                continue
            rows.append(
                {
                    "column": column,
                    "kind": "numeric",
                    "test": "ks",
                    "statistic": float(d[1, j]),
                    "p_value": float(p[1, j]),
                    "smd": float(-smd[1, j]),
                    "n_a": int(n_a[j]),
                    "n_b": int(n_b[j]),
                }
            )
    for column in shared:
        if column in numeric:
            continue
        if schema_a[column].is_numeric() != schema_b[column].is_numeric():
            skipped[column] = "a number column on one side and text on the other"
            continue
        a = frame_a.get_column(column).cast(pl.Utf8).drop_nulls()
        b = frame_b.get_column(column).cast(pl.Utf8).drop_nulls()
        levels = pl.concat([a, b]).unique().sort()
        if levels.len() > MAX_LEVELS:
            skipped[column] = f"more than {MAX_LEVELS} distinct values"
            continue
        if levels.len() < 2 or a.len() == 0 or b.len() == 0:
            skipped[column] = "a single value, or no value on one side"
            continue
        index = {v: i for i, v in enumerate(levels.to_list())}
        ca = np.zeros(len(index))
        cb = np.zeros(len(index))
        for value, count in a.value_counts().iter_rows():
            ca[index[value]] = count
        for value, count in b.value_counts().iter_rows():
            cb[index[value]] = count
        _, chi2, p_value = cramers_v(np.vstack([ca, cb]))
        rows.append(
            {
                "column": column,
                "kind": "categorical",
                "test": "chi2",
                "statistic": chi2,
                "p_value": p_value,
                "smd": _smd_categorical(ca / ca.sum(), cb / cb.sum()),
                "n_a": int(ca.sum()),
                "n_b": int(cb.sum()),
            }
        )
    if rows:
        q = stats.false_discovery_control(np.array([r["p_value"] for r in rows]), method="bh")
        for r, qv in zip(rows, q, strict=True):
            r["q_value"] = float(qv)
            r["shifted"] = bool(qv < alpha and abs(r["smd"]) >= SMD_SHIFT)
    rows.sort(key=lambda r: (not r["shifted"], -abs(r["smd"]), r["column"]))
    shifted = [r for r in rows if r["shifted"]]
    return {
        "tested": len(rows),
        "shifted": len(shifted),
        "shifted_share": len(shifted) / len(rows) if rows else 0.0,
        "alpha": alpha,
        "smd_threshold": SMD_SHIFT,
        "columns": rows[:MAX_LISTED],
        "listed": min(len(rows), MAX_LISTED),
        "skipped": dict(sorted(skipped.items())[:MAX_LISTED]),
        "only_in_a": [c for c in frame_a.columns if c not in schema_b][:MAX_LISTED],
        "only_in_b": [c for c in frame_b.columns if c not in schema_a][:MAX_LISTED],
    }


def _key(f: Finding) -> tuple[str, tuple[str, ...]]:
    return f.check, tuple(f.columns)


def _findings_diff(a: Sequence[Finding], b: Sequence[Finding]) -> dict[str, Any]:
    ka = {_key(f): f for f in a}
    kb = {_key(f): f for f in b}

    def brief(f):
        return {
            "check": f.check,
            "dimension": f.dimension,
            "severity": str(f.severity),
            "columns": list(f.columns),
            "row_count": f.row_count,
            "message": f.message,
        }

    changed = [
        {
            "check": k[0],
            "columns": list(k[1]),
            "severity_a": str(ka[k].severity),
            "severity_b": str(kb[k].severity),
            "row_count_a": ka[k].row_count,
            "row_count_b": kb[k].row_count,
        }
        for k in ka
        if k in kb and (ka[k].severity != kb[k].severity or ka[k].row_count != kb[k].row_count)
    ]
    return {
        "only_in_a": [brief(ka[k]) for k in ka if k not in kb],
        "only_in_b": [brief(kb[k]) for k in kb if k not in ka],
        "in_both": sum(1 for k in ka if k in kb),
        "changed": changed,
    }


def _scores_diff(a: Certificate, b: Certificate) -> list[dict[str, Any]]:
    ia = a.extra.get("score_intervals", {}) or {}
    ib = b.extra.get("score_intervals", {}) or {}
    out = []
    for key in (*DIMENSIONS, "overall"):
        sa, sb = a.scores.get(key), b.scores.get(key)
        xa, xb = ia.get(key), ib.get(key)
        separated = None
        if xa and xb:
            separated = bool(xa[1] < xb[0] or xb[1] < xa[0])
        out.append(
            {
                "dimension": key,
                "a": sa,
                "b": sb,
                "interval_a": xa,
                "interval_b": xb,
                "difference": None if sa is None or sb is None else sb - sa,
                "separated": separated,
            }
        )
    return out


@dataclass(frozen=True)
class Comparison:
    """A side-by-side comparison of two certificates, and of the two tables when both were read."""

    name_a: str
    name_b: str
    a: Certificate
    b: Certificate
    shift: Mapping[str, Any] | None = None
    notes: Sequence[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from datacert.audit.lineage import lineage_summary

        return to_plain(
            {
                "a": {
                    "name": self.name_a,
                    "verdict": self.a.verdict,
                    "reasons": list(self.a.reasons),
                    "fingerprint": self.a.dataset.get("fingerprint"),
                    "rows": self.a.dataset.get("rows"),
                    "columns": self.a.dataset.get("columns"),
                    "scoring_profile": self.a.extra.get("scoring_profile"),
                    "lineage": lineage_summary(self.a.extra.get("lineage")),
                },
                "b": {
                    "name": self.name_b,
                    "verdict": self.b.verdict,
                    "reasons": list(self.b.reasons),
                    "fingerprint": self.b.dataset.get("fingerprint"),
                    "rows": self.b.dataset.get("rows"),
                    "columns": self.b.dataset.get("columns"),
                    "scoring_profile": self.b.extra.get("scoring_profile"),
                    "lineage": lineage_summary(self.b.extra.get("lineage")),
                },
                "scores": _scores_diff(self.a, self.b),
                "findings": _findings_diff(self.a.findings, self.b.findings),
                "shift": self.shift,
                "notes": list(self.notes),
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        from datacert.report import render_compare_text

        return render_compare_text(self.to_dict())

    def to_markdown(self) -> str:
        from datacert.report import render_compare_markdown

        return render_compare_markdown(self.to_dict())

    def to_html(self) -> str:
        from datacert.report import render_compare_html

        return render_compare_html(self.to_dict())


def _is_certificate(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "verdict" in data and "scores" in data and "dataset" in data


def compare(a: Any, b: Any, roles: Any = None, policy: Any = None) -> Comparison:
    """Compare two data files/frames or two certificate files (JSON); tables also get a shift test."""
    from datacert.assay import certify, load_dataset

    sides: list[tuple[Certificate, Dataset | None, str]] = []
    for source in (a, b):
        if isinstance(source, Certificate):
            sides.append((source, None, "certificate"))
        elif isinstance(source, (str, Path)) and _is_certificate(Path(source)):
            sides.append(
                (Certificate.from_json(Path(source).read_text(encoding="utf-8")), None, Path(source).name)
            )
        else:
            dataset = load_dataset(source, roles)
            sides.append(
                (
                    certify(dataset, policy, figures=False),
                    dataset,
                    Path(source).name if isinstance(source, (str, Path)) else "table",
                )
            )
    (ca, da, na), (cb, db, nb) = sides
    notes = []
    pa, pb = ca.extra.get("scoring_profile") or {}, cb.extra.get("scoring_profile") or {}
    if (pa.get("name"), pa.get("version")) != (pb.get("name"), pb.get("version")):
        notes.append(
            "The two certificates were scored with different profiles, so their scores are not comparable."
        )
    shift = None
    if da is not None and db is not None:
        excluded = sorted(da.roles.non_feature_columns() - {da.roles.target} - {None})
        shift = distribution_shift(da.frame, db.frame, exclude=excluded)
    else:
        notes.append("Distribution shift needs both tables; at least one side is a certificate.")
    if na == nb:
        na, nb = f"A: {na}", f"B: {nb}"
    return Comparison(na, nb, ca, cb, shift, notes)
