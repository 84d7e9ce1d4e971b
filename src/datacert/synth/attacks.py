"""Attack-based privacy risks in the manner of Anonymeter (Giomi, Boenisch, Wehmeyer & Tasnádi, PoPETs 2023).

Written here because the `anonymeter` package pins numpy < 1.27, which this project cannot use.
Three attacks match the Article 29 Working Party's anonymisation criteria; each runs against the
training records (members) and against the control set (the holdout: real records the generator
never saw), on equally many records so that their success rates are comparable:
- singling out: predicates built from synthetic records (a few columns, equality for categories,
  a one-sided threshold for numbers) that isolate exactly one real record;
- linkability: a record's two disjoint halves of columns lead to the same nearest synthetic record;
- inference: the nearest synthetic record on every other column gives away the secret (the target).
Risk = (r_attack - r_control) / (1 - r_control), with the attack's 95 % Wilson interval carried
through the same formula, as in Anonymeter.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

from datacert.synth._encode import Encoded
from datacert.synth._metric import Metric
from datacert.synth._neighbours import nearest
from datacert.synth._tables import Tables

FAMILY = "privacy"
ATTACKS = 500
PREDICATE_COLUMNS = 3
NUMERIC_TOLERANCE = 0.05  # relative error below which a guessed number counts as right


def _risk(id: str, successes: int, control: int, n: int, evidence: dict) -> Metric:
    r_main, r_ctrl = successes / n, control / n
    ci = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    denom = 1 - r_ctrl if r_ctrl < 1 else 1.0

    def risk(rate: float) -> float:
        return (rate - r_ctrl) / denom

    value = max(0.0, risk(r_main))
    return Metric(
        id,
        FAMILY,
        value,
        interval=(max(0.0, risk(ci.low)), max(0.0, risk(ci.high))),
        evidence={
            "attacks": n,
            "attack_success_rate": r_main,
            "control_success_rate": r_ctrl,
            "attack_rate_95_interval": [ci.low, ci.high],
            **evidence,
        },
    )


def _singling_out(enc: Encoded, members: np.ndarray, control: np.ndarray, rng: np.random.Generator) -> Metric:
    num = {n: enc.numeric[n] for n in ("real", "holdout", "synthetic")}
    cod = {n: enc.codes[n] for n in ("real", "holdout", "synthetic")}
    p_num, p_cat = enc.center.size, len(enc.levels)
    p = p_num + p_cat
    medians = enc.center
    k = min(PREDICATE_COLUMNS, p)
    hits_main = hits_ctrl = 0
    for _ in range(ATTACKS):
        s = rng.integers(enc.rows("synthetic"))
        cols = rng.choice(p, k, replace=False)
        match_m = np.ones(members.size, bool)
        match_c = np.ones(control.size, bool)
        for j in cols:
            if j < p_num:
                v = num["synthetic"][s, j]
                if np.isnan(v):
                    match_m &= np.isnan(num["real"][members, j])
                    match_c &= np.isnan(num["holdout"][control, j])
                elif v <= medians[j]:
                    match_m &= num["real"][members, j] <= v
                    match_c &= num["holdout"][control, j] <= v
                else:
                    match_m &= num["real"][members, j] >= v
                    match_c &= num["holdout"][control, j] >= v
            else:
                v = cod["synthetic"][s, j - p_num]
                match_m &= cod["real"][members, j - p_num] == v
                match_c &= cod["holdout"][control, j - p_num] == v
        hits_main += int(match_m.sum() == 1)
        hits_ctrl += int(match_c.sum() == 1)
    return _risk(
        "singling_out_risk",
        hits_main,
        hits_ctrl,
        ATTACKS,
        {"predicate_columns": int(k), "records_per_side": int(members.size)},
    )


def _linkability(enc: Encoded, members: np.ndarray, control: np.ndarray) -> Metric:
    groups = enc.space_columns()
    if len(groups) < 2:
        return Metric.missing("linkability_risk", FAMILY, "needs at least two columns to split")
    half = len(groups) // 2
    a = np.concatenate(groups[:half])
    b = np.concatenate(groups[half:])
    synth = enc.distance_space("synthetic")

    def linked(name: str, rows: np.ndarray) -> int:
        x = enc.distance_space(name, rows)
        ia = nearest(np.ascontiguousarray(synth[:, a]), np.ascontiguousarray(x[:, a]), 1)[1][:, 0]
        ib = nearest(np.ascontiguousarray(synth[:, b]), np.ascontiguousarray(x[:, b]), 1)[1][:, 0]
        return int((ia == ib).sum())

    return _risk(
        "linkability_risk",
        linked("real", members),
        linked("holdout", control),
        members.size,
        {"columns_known_first": half, "columns_known_second": len(groups) - half},
    )


def _inference(enc: Encoded, tables: Tables, members: np.ndarray, control: np.ndarray) -> Metric:
    secret = tables.target
    if secret is None:
        return Metric.missing(
            "inference_risk", FAMILY, "no --target was given to serve as the secret attribute"
        )
    names = list(tables.numeric) + list(tables.categorical)
    j = names.index(secret)
    groups = enc.space_columns()
    known = np.concatenate([g for i, g in enumerate(groups) if i != j])
    synth = enc.distance_space("synthetic")
    reference = np.ascontiguousarray(synth[:, known])
    p_num = enc.center.size

    def value(name: str, rows: np.ndarray | slice) -> np.ndarray:
        return enc.numeric[name][rows, j] if j < p_num else enc.codes[name][rows, j - p_num].astype(float)

    def guessed(name: str, rows: np.ndarray) -> int:
        x = np.ascontiguousarray(enc.distance_space(name, rows)[:, known])
        idx = nearest(reference, x, 1)[1][:, 0]
        guess, truth = value("synthetic", idx), value(name, rows)
        if j < p_num:
            ok = np.abs(guess - truth) <= NUMERIC_TOLERANCE * np.maximum(np.abs(truth), 1e-12)
        else:
            ok = guess == truth
        return int(ok.sum())

    return _risk(
        "inference_risk",
        guessed("real", members),
        guessed("holdout", control),
        members.size,
        {"secret": secret},
    )


def measure(enc: Encoded, tables: Tables, seed: int) -> list[Metric]:
    ids = ("singling_out_risk", "linkability_risk", "inference_risk")
    if tables.holdout is None:
        why = "no --holdout was given: the attacks need a control set of real records the generator never saw"
        return [Metric.missing(i, FAMILY, why) for i in ids]
    n = min(ATTACKS, enc.rows("real"), enc.rows("holdout"))
    if n < 20:
        return [Metric.missing(i, FAMILY, "the holdout has under 20 records") for i in ids]
    rng = np.random.default_rng(seed + 20)
    # singling out compares equally large sets; the linkage and inference targets are n records each
    size = min(enc.rows("real"), enc.rows("holdout"))
    so_members = np.sort(rng.choice(enc.rows("real"), size, replace=False))
    so_control = np.sort(rng.choice(enc.rows("holdout"), size, replace=False))
    members = np.sort(rng.choice(enc.rows("real"), n, replace=False))
    control = np.sort(rng.choice(enc.rows("holdout"), n, replace=False))
    return [
        _singling_out(enc, so_members, so_control, rng),
        _linkability(enc, members, control),
        _inference(enc, tables, members, control),
    ]
