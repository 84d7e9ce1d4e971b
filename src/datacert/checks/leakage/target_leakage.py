"""target_leakage: a feature (or an identifier) predicts the target too well to be legitimate."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.special import logsumexp

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._ranks import auc_power, blocks, label_changes_within_runs, sort_block, spearman
from datacert.checks._reference_model import class_labels, target_task
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.dataset import Dataset
from datacert.findings import Severity
from datacert.semantics import SemanticType

SEED = 0
MAX_ROWS = 100_000
MAX_LISTED = 50
MIN_CLASS = 10


@dataclass
class _Scan:
    """Single-column statistics of a set of columns against the target and its permutations."""

    names: list[str]
    power: np.ndarray  # AUC folded to ≥ 0.5 (classes) or |Spearman ρ|
    null_max: np.ndarray  # per permutation: the largest power over the columns
    functional: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    log_null: np.ndarray = field(default_factory=lambda: np.zeros(0))


@register
class TargetLeakage(Check):
    """Find features that predict the target almost perfectly on their own, or identifiers that do.

    Notes
    -----
    Each column's power alone is its AUC (one-vs-rest, folded to ≥ 0.5) for classes, or |Spearman
    ρ| for numbers, from one sort per column, vectorised over every column. It is compared with a
    permutation null: the largest power over all columns when the target is shuffled (a few
    seeded permutations), which is high when n is small and p large (methods §5.3). A column is
    "derived from the label" when its power is near perfect (≥ 0.99) or when the target is an exact
    function of its repeated values, which chance cannot explain (log-probability under random
    labels below log(alpha / columns)). Identifiers (record ids, numbered codes) are tested on
    their order and on their non-digit pattern ("CASE-12" vs "CTRL-40").
    """

    id = "target_leakage"
    dimension = "leakage"
    needs = Needs(roles=("target",), min_rows=10)
    params = (
        Param(
            "suspicious_power",
            0.95,
            "single-feature predictive power (AUROC-like) from which a feature is suspicious",
            low=0.5,
            high=1,
        ),
        Param(
            "near_perfect_power",
            0.99,
            "predictive power from which a feature is near-perfect (confirmed leak)",
            low=0.5,
            high=1,
        ),
        Param(
            "identifier_power",
            0.75,
            "predictive power from which an identifier-like column is reported",
            low=0.5,
            high=1,
        ),
        Param("permutations", 20, "target permutations for the null distribution", low=0),
        Param("alpha", 0.001, "p-value below which a feature's power is significant", low=0, high=1),
    )
    remedy = Remedy("drop_columns", 33, automatic=True)

    def run(self, data, profile, params):
        task = target_task(data)
        if task is None:
            return CheckResult.not_applicable("needs a target with classes or numbers")
        rows, labels, pi, tgt_ranks, sampled = _target(data, task)
        if rows.size < 10 or (task == "classification" and pi.size < 2):
            return CheckResult.not_applicable("needs at least 10 records and two target values")
        rng = np.random.default_rng(SEED)
        perms = [rng.permutation(rows.size) for _ in range(params["permutations"])]
        id_cols = _identifier_columns(data)
        numeric = [c for c in data.numeric_feature_columns() if c not in id_cols]
        matrix = data.numeric_matrix(numeric) if numeric else np.empty((data.n_rows, 0))
        features = _scan_matrix(
            matrix if rows.size == data.n_rows else matrix[rows], numeric, task, labels, pi, tgt_ranks, perms
        )
        text_cols = _categorical_text_columns(data, id_cols)
        text_functional = _functional_text(data, text_cols, rows, labels, pi)
        ids = _scan_matrix(
            _identifier_ranks(data, id_cols, rows),
            id_cols,
            task,
            labels,
            pi,
            tgt_ranks,
            perms,
            functional=False,
        )
        patterns = _functional_text(data, id_cols, rows, labels, pi, pattern=True)

        n_tests = max(1, len(numeric) + len(text_cols) + len(id_cols))
        log_cut = np.log(params["alpha"] / n_tests)
        null = float(features.null_max.max()) if features.null_max.size else 0.5
        id_null = float(ids.null_max.max()) if ids.null_max.size else 0.5
        power = dict(zip(features.names, features.power.tolist(), strict=True))
        near = [c for c in features.names if power[c] >= params["near_perfect_power"] and power[c] > null]
        derived = [
            c
            for c, f, lg in zip(features.names, features.functional, features.log_null, strict=True)
            if f and lg <= log_cut and c not in near
        ]
        derived += [c for c, lg in text_functional.items() if lg <= log_cut]
        suspicious_cut = max(params["suspicious_power"], null)
        suspicious = [
            c
            for c in features.names
            if suspicious_cut <= power[c] < params["near_perfect_power"] and c not in derived
        ]
        id_power = dict(zip(ids.names, ids.power.tolist(), strict=True))
        id_cut = max(params["identifier_power"], id_null)
        id_hits = [c for c in ids.names if id_power[c] >= id_cut]
        id_hits += [c for c, lg in patterns.items() if lg <= log_cut and c not in id_hits]

        stat = "auc" if task == "classification" else "abs_spearman"
        top = sorted(power.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        summary = {
            "statistic": stat,
            "columns_tested": n_tests,
            "denominator": n_tests,
            "permutation_null_max": null,
            "permutations": params["permutations"],
            "strongest_columns": dict(top),
            "numerator": len(near) + len(derived) + len(suspicious) + len(id_hits),
        }
        if sampled:
            summary["sampled_rows"] = sampled
        findings = []
        if near:
            findings.append(
                self.finding(
                    "error",
                    f"{_count(near)} the target almost perfectly on its own, "
                    "which suggests it was derived from the target.",
                    columns=near,
                    evidence={
                        **summary,
                        "numerator": len(near),
                        "threshold": params["near_perfect_power"],
                        "power": {c: power[c] for c in near[:MAX_LISTED]},
                    },
                    remedy="Drop these columns before training unless they are known before the outcome "
                    "(they are likely recorded after, or computed from, the label).",
                )
            )
        if derived:
            findings.append(
                self.finding(
                    "error",
                    f"The target can be read off exactly from {plural(len(derived), 'column')}.",
                    columns=derived,
                    evidence={
                        **summary,
                        "numerator": len(derived),
                        "threshold": params["alpha"],
                        "log10_chance_probability": {
                            c: _log10(features, text_functional, c) for c in derived[:MAX_LISTED]
                        },
                    },
                    remedy="Drop these columns: each of their values maps to a single target value, so they "
                    "encode the label.",
                )
            )
        if suspicious:
            findings.append(
                self.finding(
                    "warning",
                    f"{_count(suspicious)} the target unusually well on its own.",
                    columns=suspicious,
                    evidence={
                        **summary,
                        "numerator": len(suspicious),
                        "threshold": suspicious_cut,
                        "power": {c: power[c] for c in suspicious[:MAX_LISTED]},
                    },
                    remedy="Check when these values are recorded; drop any that are only known after the outcome.",
                )
            )
        if id_hits:
            severity = (
                "error"
                if any(id_power.get(c, 1.0) >= params["near_perfect_power"] for c in id_hits)
                else "warning"
            )
            findings.append(
                self.finding(
                    severity,
                    f"{_count(id_hits, 'identifier column')} the target, so records were "
                    "numbered or coded by outcome.",
                    columns=id_hits,
                    evidence={
                        **summary,
                        "numerator": len(id_hits),
                        "threshold": id_cut,
                        "identifier_null_max": id_null,
                        "power": {c: id_power[c] for c in id_hits if c in id_power},
                        "pattern_log10_chance_probability": {
                            c: patterns[c] / np.log(10) for c in id_hits if c in patterns
                        },
                    },
                    remedy="Never use identifiers as features, and re-assign them at random before sharing; "
                    "check that splits do not follow the identifier order.",
                )
            )
        return CheckResult.fired(findings, summary)

    def correction(self, findings, data, plan):
        """Drop confirmed leaks (error or worse: too predictive to be legitimate); suspicions stay."""
        answered = False
        for f in findings:
            if f.severity in (Severity.ERROR, Severity.CRITICAL):
                plan.drop(f.columns, self.id)
                plan.leaking.extend(c for c in f.columns if c not in plan.protected)
                answered = True
        return answered


def _count(columns: list[str], noun: str = "column") -> str:
    """'1 column predicts' / '3 columns each predict'."""
    if len(columns) == 1:
        return f"1 {noun} predicts"
    return f"{plural(len(columns), noun)} each predict"


def _log10(scan: _Scan, text: dict[str, float], column: str) -> float:
    if column in text:
        return text[column] / np.log(10)
    return float(scan.log_null[scan.names.index(column)] / np.log(10))


def _target(data: Dataset, task: str):
    """Rows with a target (sub-sampled if very tall), labels, class shares and target ranks."""
    if task == "classification":
        rows, labels, classes = class_labels(data)
    else:
        values = data.frame.get_column(data.roles.target).cast(pl.Float64, strict=False).to_numpy()
        rows = np.flatnonzero(np.isfinite(values))
        labels = values[rows]
    sampled = None
    if rows.size > MAX_ROWS:
        pick = np.sort(np.random.default_rng(SEED).choice(rows.size, MAX_ROWS, replace=False))
        rows, labels, sampled = rows[pick], labels[pick], MAX_ROWS
    _, labels_codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    pi = counts / counts.sum()
    target_ranks = None
    if task == "regression":
        target_ranks = sort_block(labels[:, None].astype(np.float64)).ranks[:, 0]
    else:
        labels = labels_codes
    return rows, labels, pi, target_ranks, sampled


def _scan_matrix(
    X: np.ndarray,
    names: list[str],
    task: str,
    labels: np.ndarray,
    pi: np.ndarray,
    target_ranks: np.ndarray | None,
    perms: list[np.ndarray],
    functional: bool = True,
) -> _Scan:
    """Power of every column, the permutation null maxima, and exact functional dependency."""
    n, p = X.shape
    power = np.zeros(p)
    null_max = np.zeros(len(perms))
    is_functional = np.zeros(p, dtype=bool)
    log_null = np.zeros(p)
    if task == "classification":
        onehot = np.eye(pi.size)[labels]
        if pi.size == 2:
            onehot = onehot[:, 1:]
        else:
            # one-vs-rest AUCs of classes with a handful of records are noise
            sizable = onehot.sum(axis=0) >= MIN_CLASS
            onehot = onehot[:, sizable] if sizable.any() else onehot
        permuted = [onehot[perm] for perm in perms]
    else:
        # codes of the target values, for the functional test on numeric targets
        _, codes = np.unique(labels, return_inverse=True)
        permuted_ranks = np.stack([target_ranks[perm] for perm in perms]) if perms else np.zeros((0, n))
    for part in blocks(p):
        block = sort_block(X[:, part])
        if task == "classification":
            auc = auc_power(block.ranks, onehot)
            power[part] = np.max(np.maximum(auc, 1.0 - auc), axis=0)
            for i, pm in enumerate(permuted):
                a = auc_power(block.ranks, pm)
                null_max[i] = max(null_max[i], float(np.max(np.maximum(a, 1.0 - a))) if a.size else 0.5)
            codes_now = labels
        else:
            power[part] = np.abs(spearman(block.ranks, target_ranks[None, :]))[0]
            if perms:
                rho = np.abs(spearman(block.ranks, permuted_ranks))
                null_max = np.maximum(null_max, rho.max(axis=1) if rho.size else 0.0)
            codes_now = codes
        if functional:
            changes = label_changes_within_runs(block, codes_now).any(axis=0)
            repeated = block.run_start & (block.run_size > 1)
            log_terms = _log_chance(block.run_size[repeated], pi)
            contrib = np.zeros(block.run_size.shape)
            contrib[repeated] = log_terms
            log_null[part] = contrib.sum(axis=0)
            is_functional[part] = ~changes & repeated.any(axis=0)
    return _Scan(list(names), power, null_max, is_functional, log_null)


def _log_chance(sizes: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """log P(a run of `size` records all share one label) under random labels with shares pi."""
    if sizes.size == 0:
        return np.zeros(0)
    unique, inverse = np.unique(sizes, return_inverse=True)
    log_pi = np.log(pi)
    table = np.array([logsumexp(float(m) * log_pi) for m in unique])
    return table[inverse]


def _identifier_columns(data: Dataset) -> list[str]:
    """Record ids and id-like columns (identifier type, or text that is unique per record)."""
    target = data.roles.target
    ids = [c for c in data.columns if c != target and data.semantic_types.get(c) == SemanticType.IDENTIFIER]
    if data.roles.id and data.roles.id not in ids:
        ids.insert(0, data.roles.id)
    return [c for c in data.columns if c in set(ids)]


def _identifier_ranks(data: Dataset, columns: list[str], rows: np.ndarray) -> np.ndarray:
    """The order of identifier values (text sorts as text, numbers as numbers) as a float matrix."""
    if not columns:
        return np.empty((rows.size, 0))
    frame = data.frame.select([pl.col(c).rank("dense").cast(pl.Float64).alias(c) for c in columns])
    return frame.to_numpy()[rows].astype(np.float64)


def _categorical_text_columns(data: Dataset, exclude: list[str]) -> list[str]:
    schema = data.schema
    skip = set(exclude) | {data.roles.target}
    return [
        c
        for c in data.feature_columns()
        if c not in skip
        and (schema[c] == pl.String or schema[c] == pl.Categorical)
        and data.semantic_types.get(c) in (SemanticType.CATEGORY, SemanticType.BOOLEAN)
    ]


def _functional_text(
    data: Dataset,
    columns: list[str],
    rows: np.ndarray,
    labels: np.ndarray,
    pi: np.ndarray,
    pattern: bool = False,
) -> dict[str, float]:
    """Text columns (or identifier patterns) whose values each map to one target value.

    Returns {column: log chance probability} for the functional ones with repeated values.
    """
    if not columns:
        return {}
    out: dict[str, float] = {}
    label = pl.Series("__y", labels)
    for column in columns:
        series = data.frame.get_column(column).cast(pl.String)[rows]
        if pattern:
            series = series.str.replace_all(r"\d+", "#")
        frame = pl.DataFrame({"v": series, "__y": label}).drop_nulls("v")
        groups = frame.group_by("v").agg(pl.len().alias("m"), pl.col("__y").n_unique().alias("k"))
        if groups.height < 2 and not pattern:
            continue
        sizes = groups.get_column("m").to_numpy()
        if groups.height < 2 or (groups.get_column("k").to_numpy() > 1).any() or not (sizes > 1).any():
            continue
        out[column] = float(_log_chance(sizes[sizes > 1], pi).sum())
    return out
