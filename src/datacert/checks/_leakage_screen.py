"""The leakage screen: which columns carry the answer, computed once and used by the whole assay.

target_leakage reports it; the reference model behind label_issues, insufficient_sample_size,
informative missingness and the poisoning screen leaves out what it marks as outcome-derived or
leaking, so that no later check learns from a column that copies the label.

Notes
-----
Every column's power alone is put on one scale: AUC (one-vs-rest, folded to ≥ 0.5) for classes,
|Spearman ρ| for numbers. Numeric columns are ranked as they are; categorical columns (text codes,
and integer-coded categories besides their rank) are scored by out-of-fold target encoding (each
record gets its category's label rate among the other folds, shrunk to the prior), so that a code
column that agrees with the label in 99 % of records scores like a numeric copy of it. The
missingness of a column is scored too (a date of death exists only when the patient died). One
permutation null covers all of them: the largest power over every column and statistic when the
target is shuffled. A follow-up time (the duration role) is measured up to the event, so it is
outcome-derived by construction, whatever its power.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats
from scipy.special import logsumexp

from datacert.artifacts import auc_rows, row_sample, rows_matrix
from datacert.checks._ranks import (
    BLOCK_CELLS,
    auc_power,
    binary_ranks,
    blocks,
    label_changes_within_runs,
    one_blas_thread,
    sort_block,
    spearman,
)
from datacert.checks._reference_model import class_labels, target_column, target_task
from datacert.dataset import Dataset
from datacert.semantics import SemanticType
from datacert.survival import (
    duration_name_score,
    event_coding,
    event_name_score,
    name_tokens,
    other_outcome_pairs,
)

SEED = 0
# tall tables are screened on a seeded sample stratified by class (and site, whole patients): at
# AUC 0.5, where its variance is largest, the sample gives a column's AUC a standard error of
# AUC_SE for the table's smallest class share, counted as at least MIN_SHARE (Hanley & McNeil 1982:
# 20,800 records for a 20 % minority, MAX_ROWS; 13,300 for balanced classes), and near the 0.95
# threshold that error is below 0.002; the permutation null's maximum moves by as little
AUC_SE = 0.005
MIN_SHARE = 0.2
MAX_ROWS = auc_rows(standard_error=AUC_SE, minority_share=MIN_SHARE)
MIN_CLASS = 10
ENCODING_FOLDS = 5
ENCODING_PRIOR = 1.0  # pseudo-records of the prior mixed into each category's rate
MAX_ENCODED_COLUMNS = 2_000
CACHE_KEY = "leakage_screen:v1"
DEFAULTS: dict[str, Any] = {
    "suspicious_power": 0.95,
    "near_perfect_power": 0.99,
    "identifier_power": 0.75,
    "permutations": 20,
    "alpha": 0.001,
    "standout_margin": 0.10,
    "after_outcome_power": 0.80,
    "copy_power": 0.90,
}
# words in a column name that say it is recorded at or after the outcome
_AFTER_OUTCOME = {
    "death",
    "deathdate",
    "deces",
    "dcd",
    "dod",
    "autopsy",
    "autopsie",
    "discharge",
    "sortie",
    "outcome",
    "devenir",
    "cause",
    "posttreatment",
    "postop",
}


@dataclass
class _Scan:
    """Single-column statistics of a set of columns against the target and its permutations."""

    names: list[str]
    power: np.ndarray  # AUC folded to ≥ 0.5 (classes) or |Spearman ρ|
    null_max: np.ndarray  # per permutation: the largest power over the columns
    functional: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    log_null: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class LeakageScreen:
    """What the screen found; `excluded` is what the reference model must not learn from."""

    task: str
    statistic: str  # auc | abs_spearman
    columns_tested: int
    null_max: float
    identifier_null_max: float
    power: dict[str, float]  # strongest statistic of every feature column tested
    how: dict[str, str]  # column -> rank | target_encoding | missingness
    near_perfect: list[str]
    derived: dict[str, float]  # column -> natural log of the chance probability of its purity
    after_outcome: list[str]  # strong, and recorded at or after the outcome by its meaning
    other_outcomes: list[tuple[str, str]]  # further (event, follow-up time) pairs
    names_label: list[str]  # strong codes whose every level is nearly one class
    standout: list[str]  # strong and far stronger than every other column
    strong: list[str]  # strong but plausibly legitimate
    missing_only_with_outcome: list[str]  # present (or absent) exactly with one outcome
    identifier_power: dict[str, float]
    identifier_hits: list[str]
    identifier_patterns: dict[str, float]
    outcome_derived: dict[str, dict[str, Any]]  # the duration role and its power
    sampled_rows: int | None
    permutations: int
    thresholds: dict[str, float]
    standout_why: dict[str, str] = field(default_factory=dict)  # "lead" | "unrelated_within_class"
    population_rows: int | None = None  # distinct records with a target the sample was drawn from

    @property
    def excluded(self) -> dict[str, str]:
        """Columns the reference model leaves out, with the reason in a few words."""
        out: dict[str, str] = {}
        for c in self.outcome_derived:
            out[c] = "outcome-derived (follow-up time)"
        for c in self.near_perfect:
            out.setdefault(c, "predicts the target almost perfectly")
        for c in self.derived:
            out.setdefault(c, "the target can be read off it exactly")
        for c in self.missing_only_with_outcome:
            out.setdefault(c, "recorded only with one outcome")
        for c in self.after_outcome:
            out.setdefault(c, "recorded at or after the outcome")
        for c in self.names_label:
            out.setdefault(c, "a code that nearly names the target")
        for c in self.standout:
            out.setdefault(c, "far stronger than every other column")
        for pair in self.other_outcomes:
            for c in pair:
                out.setdefault(c, "another time-to-event outcome")
        return out


def leakage_screen(data: Dataset, params: dict[str, Any] | None = None) -> LeakageScreen | None:
    """The screen for this dataset (None without a learnable target), computed once per parameters."""
    merged = {**DEFAULTS, **{k: v for k, v in (params or {}).items() if k in DEFAULTS}}
    key = CACHE_KEY + repr(sorted(merged.items()))

    def compute() -> LeakageScreen | None:
        with one_blas_thread():
            return _compute(data, merged)

    screen: LeakageScreen | None = data.memo(key, compute)
    return screen


def excluded_columns(data: Dataset) -> dict[str, str]:
    """Columns every model-based check must leave out (default screen parameters)."""
    screen = leakage_screen(data)
    return screen.excluded if screen is not None else {}


def _compute(data: Dataset, params: dict[str, Any]) -> LeakageScreen | None:
    task = target_task(data)
    if task is None:
        return None
    rows, labels, pi, tgt_ranks, sampled, population = _target(data, task)
    if rows.size < 10 or (task == "classification" and pi.size < 2):
        return None
    rng = np.random.default_rng(SEED)
    perms = [rng.permutation(rows.size) for _ in range(params["permutations"])]
    id_cols = _identifier_columns(data)
    numeric = [c for c in data.numeric_feature_columns() if c not in id_cols]
    # a tall table's sample only: no float copy of the whole numeric block
    numeric_block = rows_matrix(data, numeric, rows)
    features = _scan_matrix(numeric_block, numeric, task, labels, pi, tgt_ranks, perms)
    text_cols = _categorical_text_columns(data, id_cols)
    text_functional = _functional_text(data, text_cols, rows, labels, pi)
    coded = [c for c in numeric if data.semantic_types.get(c) == SemanticType.INTEGER_CATEGORY]
    encoded_cols = (text_cols + coded)[:MAX_ENCODED_COLUMNS]
    encoded = _scan_encoded(data, encoded_cols, rows, task, labels, pi, tgt_ranks, perms)
    missing = _scan_missingness(data, rows, id_cols, task, labels, pi, tgt_ranks, perms)
    ids = _scan_matrix(
        _identifier_ranks(data, id_cols, rows), id_cols, task, labels, pi, tgt_ranks, perms, functional=False
    )
    patterns = _functional_text(data, id_cols, rows, labels, pi, pattern=True)

    n_tests = max(1, len(numeric) + len(text_cols) + len(id_cols))
    log_cut = np.log(params["alpha"] / n_tests)
    null_parts = [s.null_max for s in (features, encoded, missing) if s.null_max.size]
    null = float(np.max(np.maximum.reduce(null_parts))) if null_parts and perms else 0.5
    id_null = float(ids.null_max.max()) if ids.null_max.size else 0.5

    power: dict[str, float] = {}
    how: dict[str, str] = {}
    for scan, label in ((features, "rank"), (encoded, "target_encoding")):
        for c, value in zip(scan.names, scan.power.tolist(), strict=True):
            if value > power.get(c, -1.0):
                power[c], how[c] = value, label
    missing_power = dict(zip(missing.names, missing.power.tolist(), strict=True))
    near_cut, strong_cut = params["near_perfect_power"], max(params["suspicious_power"], null)
    outcome_derived = _duration(data, rows, task, labels, pi, tgt_ranks, null)
    # an exact code is reported as such (more precise than "near perfect")
    exact_codes = {c: lg for c, lg in text_functional.items() if lg <= log_cut}
    near = [
        c
        for c in power
        if power[c] >= near_cut and power[c] > null and c not in outcome_derived and c not in exact_codes
    ]
    derived = {
        c: float(lg)
        for c, f, lg in zip(features.names, features.functional, features.log_null, strict=True)
        if f and lg <= log_cut and c not in near
    }
    derived.update(exact_codes)
    missing_leaks = [
        c
        for c, v in missing_power.items()
        if v >= near_cut and v > null and c not in near and c not in derived and c not in outcome_derived
    ]
    strong = [c for c in power if strong_cut <= power[c] < near_cut and c not in derived]
    # a name that says "recorded at or after the outcome" makes a column suspect at a lower power
    after_cut = max(params["after_outcome_power"], null)
    after = [
        c
        for c in power
        if after_cut <= power[c] < near_cut
        and c not in derived
        and c not in near
        and _recorded_after_outcome(data, c)
        and c not in outcome_derived
    ]
    # a column far stronger than every other one looks like a copy of the label, not a marker
    # (legitimate strong markers come with related measurements of nearly the same power); so does
    # a strong measurement that, within each class, is unrelated to every other measurement: a
    # label plus noise carries nothing else about the record, a tumour size or a lab value does.
    # The second is looked for from `copy_power`, below the strong cut (a copy of the label that
    # disagrees with it in 5 % of records has an AUC of about 0.95, half the time below 0.95);
    # a lead alone over few, weak columns is not evidence enough there.
    copy_cut = max(params["copy_power"], null)
    confirmed = set(near) | set(derived) | set(outcome_derived) | set(missing_leaks)
    copy_candidates = [
        c
        for c in power
        if copy_cut <= power[c] < near_cut and c not in derived and c not in after and c not in confirmed
    ]
    unrelated = _unrelated_within_class(
        numeric_block, numeric, [c for c in copy_candidates if c in set(numeric)], task, labels
    )
    standout, standout_why = [], {}
    for c in copy_candidates:
        best_other = max((v for k, v in power.items() if k != c and k not in confirmed), default=0.5)
        if power[c] >= strong_cut and power[c] - best_other >= params["standout_margin"]:
            standout.append(c)
            standout_why[c] = "lead"
        elif c in unrelated:
            standout.append(c)
            standout_why[c] = "unrelated_within_class"
    strong = [c for c in strong if c not in after and c not in standout]
    codes = set(encoded_cols)
    names_label = [
        c for c in strong if c in codes and task == "classification" and _names_label(data, c, rows, labels)
    ]
    strong = [c for c in strong if c not in names_label]
    features_set = set(data.feature_columns())
    other = [
        pair
        for pair in other_outcome_pairs(data.frame, data.roles.columns(), data.semantic_types)
        if set(pair) <= features_set
    ]
    paired = {c for pair in other for c in pair}
    after = [c for c in after if c not in paired]
    strong = [c for c in strong if c not in paired]

    id_power = dict(zip(ids.names, ids.power.tolist(), strict=True))
    id_cut = max(params["identifier_power"], id_null)
    id_hits = [c for c in ids.names if id_power[c] >= id_cut]
    id_hits += [c for c, lg in patterns.items() if lg <= log_cut and c not in id_hits]
    return LeakageScreen(
        task=task,
        statistic="auc" if task == "classification" else "abs_spearman",
        columns_tested=n_tests,
        null_max=null,
        identifier_null_max=id_null,
        power=power,
        how=how,
        near_perfect=near,
        derived=derived,
        after_outcome=after,
        other_outcomes=other,
        names_label=names_label,
        standout=standout,
        strong=strong,
        missing_only_with_outcome=missing_leaks,
        identifier_power=id_power,
        identifier_hits=id_hits,
        identifier_patterns=patterns,
        outcome_derived=outcome_derived,
        sampled_rows=sampled,
        permutations=len(perms),
        thresholds={"near_perfect": near_cut, "strong": strong_cut, "identifier": id_cut, "copy": copy_cut},
        standout_why=standout_why,
        population_rows=population,
    )


UNRELATED_ALPHA = 0.01


def _unrelated_within_class(
    block: np.ndarray, names: list[str], candidates: list[str], task: str, labels: np.ndarray
) -> set[str]:
    """Candidate measurements unrelated, within each class, to every other measurement.

    Ranks are centred on their class mean, so that the label's own effect is removed; a candidate
    is unrelated when no other column's within-class rank correlation with it passes a Bonferroni
    test at UNRELATED_ALPHA over the other columns. Tables with fewer than three other
    measurements say too little to call a column unrelated.
    """
    if task != "classification" or not candidates or len(names) < 4:
        return set()
    ranks = sort_block(block).ranks
    centred = np.array(ranks, dtype=np.float64)
    for k in np.unique(labels):
        members = labels == k
        part = centred[members]
        with np.errstate(invalid="ignore"):
            centred[members] = part - np.nanmean(part, axis=0)
    observed = ~np.isnan(centred)
    centred = np.where(observed, centred, 0.0)
    scale = np.sqrt((centred**2).sum(axis=0))
    others = len(names) - 1
    out = set()
    for c in candidates:
        j = names.index(c)
        both = (observed & observed[:, [j]]).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (centred[:, j] @ centred) / (scale[j] * scale)
        rho[j] = 0.0
        usable = both >= 20
        if usable.sum() < 3:
            continue
        z = np.abs(np.nan_to_num(rho[usable])) * np.sqrt(both[usable] - 3)
        p = 2 * stats.norm.sf(z)
        if (p * others >= UNRELATED_ALPHA).all():
            out.add(c)
    return out


NAMES_LABEL_PURITY = 0.95
NAMES_LABEL_MAX_LEVELS = 20
NAMES_LABEL_MIN_LEVEL = 5


def _names_label(data: Dataset, column: str, rows: np.ndarray, labels: np.ndarray) -> bool:
    """A short code whose every sizable level is almost only one class, with levels for at least
    two classes: it names the label with a few disagreements (a diagnosis code, a result flag).
    An ordinal grade, whose middle levels mix the classes, does not."""
    values = data.frame.get_column(column).cast(pl.String)[rows].fill_null("\x00missing")
    table = (
        pl.DataFrame({"v": values, "y": labels})
        .group_by("v", "y")
        .len()
        .group_by("v")
        .agg(
            pl.col("len").sum().alias("m"),
            pl.col("len").max().alias("top"),
            pl.col("y").sort_by("len").last(),
        )
    )
    if table.height > NAMES_LABEL_MAX_LEVELS:
        return False
    sizable = table.filter(pl.col("m") >= NAMES_LABEL_MIN_LEVEL)
    if sizable.height < 2 or sizable.get_column("y").n_unique() < 2:
        return False
    purity = (sizable.get_column("top") / sizable.get_column("m")).to_numpy()
    return bool((purity >= NAMES_LABEL_PURITY).all())


def _recorded_after_outcome(data: Dataset, column: str) -> bool:
    """Its name says it is recorded at or after the outcome, or it is another follow-up or event."""
    tokens = set(name_tokens(column))
    if tokens & _AFTER_OUTCOME:
        return True
    if duration_name_score(column) >= 2:
        return True
    return event_name_score(column) == 2 and event_coding(data.frame.get_column(column)) is not None


def _duration(
    data: Dataset,
    rows: np.ndarray,
    task: str,
    labels: np.ndarray,
    pi: np.ndarray,
    tgt_ranks: np.ndarray | None,
    null: float,
) -> dict[str, dict[str, Any]]:
    """The follow-up time's power against the event: evidence for the outcome-derived finding."""
    column = data.roles.duration
    if not column:
        return {}
    values = data.frame.get_column(column).cast(pl.Float64, strict=False).to_numpy()[rows]
    scan = _scan_matrix(values[:, None], [column], task, labels, pi, tgt_ranks, [], functional=False)
    source = "inferred" if "duration" in data.inferred else "given"
    return {column: {"power": float(scan.power[0]), "permutation_null_max": null, "role": source}}


def _ranks_of(target_ranks: np.ndarray | None) -> np.ndarray:
    """The ranks of a numeric target, which `_target` always computes for one."""
    if target_ranks is None:
        raise ValueError("a numeric target has no ranks: `_target` was not asked for a regression")
    return target_ranks


def _target(data: Dataset, task: str):
    """Rows with a target (sub-sampled if very tall), labels, class shares and target ranks."""
    if task == "classification":
        rows, labels, _ = class_labels(data)
    else:
        values = data.frame.get_column(target_column(data)).cast(pl.Float64, strict=False).to_numpy()
        rows = np.flatnonzero(np.isfinite(values))
        labels = values[rows]
    # an exact copy of a record repeats its values with the same label: counted again, copies would
    # make any continuous column look like an exact function of the target
    first = data.frame.hash_rows().is_first_distinct().to_numpy()[rows]
    rows, labels = rows[first], labels[first]
    sampled = population = None
    budget = MAX_ROWS
    if task == "classification" and labels.size:
        counts = np.bincount(labels)
        share = float(counts[counts > 0].min() / labels.size)
        budget = min(MAX_ROWS, auc_rows(standard_error=AUC_SE, minority_share=max(share, MIN_SHARE)))
    sample = row_sample(data, budget, among=rows)
    if sample.sampled:
        pick = np.searchsorted(rows, sample.rows)
        rows, labels, sampled, population = rows[pick], labels[pick], int(pick.size), sample.population
    _, labels_codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    pi = counts / counts.sum()
    target_ranks = None
    if task == "regression":
        target_ranks = sort_block(labels[:, None].astype(np.float64)).ranks[:, 0]
    else:
        labels = labels_codes
    return rows, labels, pi, target_ranks, sampled, population


def _indicators(labels: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """The class indicators the AUCs are computed for (one for two classes, sizable ones else)."""
    onehot = np.eye(pi.size)[labels]
    if pi.size == 2:
        return onehot[:, 1:]
    # one-vs-rest AUCs of classes with a handful of records are noise
    sizable = onehot.sum(axis=0) >= MIN_CLASS
    return onehot[:, sizable] if sizable.any() else onehot


def _scan_matrix(
    X: np.ndarray,
    names: list[str],
    task: str,
    labels: np.ndarray,
    pi: np.ndarray,
    target_ranks: np.ndarray | None,
    perms: list[np.ndarray],
    functional: bool = True,
    binary: bool = False,
) -> _Scan:
    """Power of every column, the permutation null maxima, and exact functional dependency.

    `binary`: X holds only 0/1 (missingness indicators), so its ranks need no sort (binary_ranks).
    """
    n, p = X.shape
    power = np.zeros(p)
    null_max = np.zeros(len(perms))
    is_functional = np.zeros(p, dtype=bool)
    log_null = np.zeros(p)
    if task == "classification":
        onehot = _indicators(labels, pi)
        k = onehot.shape[1]
        # the permutations' indicators side by side, a few at a time: one product per block for them
        # all (the sums are of 0/1 and half-integer ranks, exact in any order: the same AUCs)
        at_once = max(1, BLOCK_CELLS // max(1, n * k))
        permuted = [
            np.hstack([onehot[perm] for perm in perms[i : i + at_once]])
            for i in range(0, len(perms), at_once)
        ]
        # the real indicators ride in the first product too (one NaN mask and one fill per block)
        permuted = [np.hstack([onehot, permuted[0]]), *permuted[1:]] if permuted else [onehot]
    else:
        # codes of the target values, for the functional test on numeric targets
        _, codes = np.unique(labels, return_inverse=True)
        permuted_ranks = (
            np.stack([_ranks_of(target_ranks)[perm] for perm in perms]) if perms else np.zeros((0, n))
        )
    for part in blocks(p, n_rows=n):
        if binary and not functional:
            ranks = binary_ranks(X[:, part])
        else:
            block = sort_block(X[:, part])
            ranks = block.ranks
        if task == "classification":
            first = 0
            for i, pm in enumerate(permuted):
                a = auc_power(ranks, pm)  # (count * k) x b, permutation by permutation
                if i == 0:
                    auc, a = a[:k], a[k:]
                    power[part] = np.max(np.maximum(auc, 1.0 - auc), axis=0)
                count = a.shape[0] // k
                if a.size:
                    folded = np.maximum(a, 1.0 - a).reshape(count, -1).max(axis=1)
                else:
                    folded = np.full(count, 0.5)
                null_max[first : first + count] = np.maximum(null_max[first : first + count], folded)
                first += count
            codes_now = labels
        else:
            power[part] = np.abs(spearman(ranks, _ranks_of(target_ranks)[None, :]))[0]
            if perms:
                rho = np.abs(spearman(ranks, permuted_ranks))
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


def _encoding_power(
    codes: np.ndarray, folds: np.ndarray, response: np.ndarray, task: str, target_ranks: np.ndarray | None
) -> float:
    """Power of the out-of-fold target encoding of one categorical column (codes 0..L-1).

    A record's encoded value depends only on its (fold, level) cell, so every count and sum comes
    from one bincount over the cells and the ranks from sorting the few distinct cell values, not
    the records: the same numbers as sorting every record (the response is 0/1 indicators or
    half-integer ranks, so the train sums, total minus fold, are exact), at a fraction of the cost.
    """
    levels = int(codes.max()) + 1
    cells = folds * levels + codes  # the (fold, level) cell of every record
    n_cells = ENCODING_FOLDS * levels
    per_cell = np.bincount(cells, minlength=n_cells).astype(np.float64)
    in_fold = per_cell.reshape(ENCODING_FOLDS, levels)
    counts = in_fold.sum(axis=0)[None, :] - in_fold  # training records of each level, per fold
    fold_rows = in_fold.sum(axis=1)
    encoded = np.empty((n_cells, response.shape[1]))
    for k in range(response.shape[1]):
        fold_sums = np.bincount(cells, weights=response[:, k], minlength=n_cells).reshape(
            ENCODING_FOLDS, levels
        )
        sums = fold_sums.sum(axis=0)[None, :] - fold_sums
        prior = sums.sum(axis=1) / (folds.size - fold_rows)
        rate = (sums + ENCODING_PRIOR * prior[:, None]) / (counts + ENCODING_PRIOR)
        encoded[:, k] = rate.ravel()
    ranks = _cell_ranks(encoded, per_cell)[cells]
    if task == "classification":
        auc = np.diag(auc_power(ranks, response))
        return float(np.max(np.maximum(auc, 1.0 - auc))) if auc.size else 0.5
    return float(np.abs(spearman(ranks, _ranks_of(target_ranks)[None, :]))[0, 0])


def _cell_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties averaged) each cell's value would have among the records, when
    cell i holds `weights[i]` records of value `values[i, k]` (column by column)."""
    out = np.empty(values.shape)
    for k in range(values.shape[1]):
        distinct, inverse = np.unique(values[:, k], return_inverse=True)
        size = np.bincount(inverse, weights=weights, minlength=distinct.size)
        first = np.cumsum(size) - size  # records before each distinct value (exact integers)
        out[:, k] = ((first + (first + size - 1.0)) / 2.0 + 1.0)[inverse]
    return out


def _scan_encoded(
    data: Dataset,
    columns: list[str],
    rows: np.ndarray,
    task: str,
    labels: np.ndarray,
    pi: np.ndarray,
    target_ranks: np.ndarray | None,
    perms: list[np.ndarray],
) -> _Scan:
    """Out-of-fold target-encoding power of categorical columns, and its permutation null."""
    if not columns:
        return _Scan([], np.zeros(0), np.zeros(0))
    folds = np.random.default_rng(SEED + 1).permutation(rows.size) % ENCODING_FOLDS
    if task == "classification":
        response = _indicators(labels, pi)
    else:
        response = _ranks_of(target_ranks)[:, None]
    power = np.zeros(len(columns))
    null_max = np.zeros(len(perms))
    for j, column in enumerate(columns):
        series = data.frame.get_column(column).cast(pl.String)[rows].fill_null("\x00missing")
        codes = series.cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
        _, codes = np.unique(codes, return_inverse=True)
        power[j] = _encoding_power(codes, folds, response, task, target_ranks)
        for i, perm in enumerate(perms):
            ranks = target_ranks[perm] if target_ranks is not None else None
            null_max[i] = max(null_max[i], _encoding_power(codes, folds, response[perm], task, ranks))
    return _Scan(list(columns), power, null_max)


def _scan_missingness(
    data: Dataset,
    rows: np.ndarray,
    exclude: list[str],
    task: str,
    labels: np.ndarray,
    pi: np.ndarray,
    target_ranks: np.ndarray | None,
    perms: list[np.ndarray],
) -> _Scan:
    """Power of each column's missingness (columns with some, not all, values missing)."""
    skip = set(exclude) | {data.roles.target}
    candidates = [c for c in data.columns if c not in skip and c not in data.roles.columns()]
    if not candidates:
        return _Scan([], np.zeros(0), np.zeros(0))
    # one expression over many columns: planning one per column costs more than the data on wide tables
    # a Series knows its null count: reading it costs nothing, where one select over 20,000
    # columns spends 0.08 s planning the expressions
    wanted = set(candidates)
    nulls = {s.name: s.null_count() for s in data.frame.iter_columns() if s.name in wanted}
    partial = [c for c in candidates if 0 < nulls[c] < data.n_rows]
    if not partial:
        return _Scan([], np.zeros(0), np.zeros(0))
    frame = data.frame if rows.size == data.n_rows else data.frame[rows]  # a tall table's sample only
    block = frame.select(pl.col(partial).is_null().cast(pl.Float64)).to_numpy()
    return _scan_matrix(
        np.ascontiguousarray(block),
        partial,
        task,
        labels,
        pi,
        target_ranks,
        perms,
        functional=False,
        binary=True,
    )


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
        # the semantic type first: a dict look-up, where a polars dtype comparison costs 1 µs
        # (40,000 of them at 20,000 numeric columns)
        if c not in skip
        and data.semantic_types.get(c) in (SemanticType.CATEGORY, SemanticType.BOOLEAN)
        and (schema[c] == pl.String or schema[c] == pl.Categorical)
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
