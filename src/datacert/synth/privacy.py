"""Privacy: evidence of disclosure risk in a synthetic table (methods §9.4), never proof of anonymity.

Similarity metrics can pass on data that still leaks (Stadler et al. 2022; Ganev & De Cristofaro
2025); only differentially private generation gives guarantees. What is measured here:
- exact and near copies of real records, training and holdout separately, against the rates
  expected by chance (the real table's own duplicates, the holdout's matches);
- DCR: the share of synthetic records closer to a training record than the holdout's 5th
  percentile of distances to training (Platzer & Reutterer 2021; 5 % is what chance gives);
- NNDR: the ratio of the first to the second nearest training record, low percentiles;
- membership inference AUC: by distance to the synthetic table, and by a k-NN density ratio
  p_synth / p_reference (the DOMIAS idea, van Breugel et al. 2023) with half the holdout as reference;
- rare-patient memorisation: isolated training records (no close real peer) that have a
  synthetic record much closer to them than their nearest real peer.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from datacert.synth._encode import Encoded
from datacert.synth._metric import Metric
from datacert.synth._neighbours import nearest, nearest_other, query_sample

FAMILY = "privacy"
NEAR_FACTOR = 0.1  # a near copy sits closer than 10 % of the median real record-to-peer distance
RARE_QUANTILE = 0.95  # records whose nearest real peer is farther than this quantile are rare
MEMORISED_FACTOR = 0.5
DENSITY_K = 5


def row_hashes(enc: Encoded, name: str) -> np.ndarray:
    """One 64-bit hash per record over the compared values (numbers exactly, categories as codes)."""
    num = enc.numeric[name]
    values = np.hstack([np.where(np.isnan(num), np.inf, num), enc.codes[name].astype(np.float64)])
    values = values + 0.0  # -0.0 and 0.0 are the same value
    frame = pl.DataFrame(values, schema=[f"c{i}" for i in range(values.shape[1])], orient="row")
    return frame.hash_rows(seed=0).to_numpy()


def _copy_share(queries: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    hit = np.isin(queries, reference)
    return int(hit.sum()), float(hit.mean()) if hit.size else 0.0


def _internal_duplicate_share(hashes: np.ndarray) -> float:
    _, counts = np.unique(hashes, return_counts=True)
    return float((counts[counts > 1]).sum() / max(hashes.size, 1))


def _auc(members: np.ndarray, non_members: np.ndarray) -> float:
    y = np.r_[np.ones(members.size), np.zeros(non_members.size)]
    return float(roc_auc_score(y, np.r_[members, non_members]))


class DistanceSamples(TypedDict, total=False):
    """What the report draws: sorted distances to the closest training record, and exact copies."""

    dcr_synthetic: np.ndarray
    dcr_holdout: np.ndarray
    copy_positions: list[int]


def measure(enc: Encoded, seed: int) -> tuple[list[Metric], DistanceSamples]:
    """The privacy metrics and the distance samples the report draws (DCR distributions)."""
    has_holdout = "holdout" in enc.numeric
    train = enc.distance_space("real")
    synth_rows = query_sample(enc.rows("synthetic"), seed + 10)
    train_rows = query_sample(enc.rows("real"), seed + 11)
    synth_q = enc.distance_space("synthetic", synth_rows)
    hashes = {n: row_hashes(enc, n) for n in enc.numeric}

    # chance level of copies: the real table's own duplicates, and the holdout's matches
    baseline = _internal_duplicate_share(hashes["real"])
    n_copies, copy_share = _copy_share(hashes["synthetic"], hashes["real"])
    copy_positions = np.flatnonzero(np.isin(hashes["synthetic"], hashes["real"])).tolist()
    d_peer = nearest_other(train, train_rows, 1)[:, 0]
    positive = d_peer[d_peer > 0]
    delta = NEAR_FACTOR * float(np.median(positive)) if positive.size else 0.0
    d_synth_train, _ = nearest(train, synth_q, 2)
    dcr = d_synth_train[:, 0]
    exact_q = np.isin(hashes["synthetic"][synth_rows], hashes["real"])
    near = (dcr <= delta) & ~exact_q
    copies_evidence: dict[str, object] = {
        "synthetic_records": enc.rows("synthetic"),
        "copies_of_training_records": n_copies,
        "share": copy_share,
        "chance_share": baseline,
        "chance_from": "the real training table's own duplicate share",
    }
    near_evidence: dict[str, object] = {
        "near_distance": delta,
        "queried_synthetic_records": int(synth_rows.size),
        "near_copies_of_training_records": int(near.sum()),
        "share": float(near.mean()),
    }
    out: list[Metric] = []
    extra: DistanceSamples = {"dcr_synthetic": np.sort(dcr), "copy_positions": copy_positions}
    near_chance = 0.0
    if has_holdout:
        hold = enc.distance_space("holdout")
        hold_rows = query_sample(enc.rows("holdout"), seed + 12)
        n_hold_copies, hold_copy_share = _copy_share(hashes["synthetic"], hashes["holdout"])
        _, hold_in_train = _copy_share(hashes["holdout"], hashes["real"])
        baseline = max(baseline, hold_in_train)
        copies_evidence.update(
            {
                "copies_of_holdout_records": n_hold_copies,
                "holdout_share": hold_copy_share,
                "holdout_records_found_in_training": hold_in_train,
                "chance_share": baseline,
                "chance_from": "the larger of the real table's duplicate share and the holdout's share "
                "found in training",
            }
        )
        d_hold_train, _ = nearest(train, hold[hold_rows], 2)
        d_synth_hold, _ = nearest(hold, synth_q, 1)
        near_hold = (d_synth_hold[:, 0] <= delta) & ~np.isin(
            hashes["synthetic"][synth_rows], hashes["holdout"]
        )
        hold_exact = np.isin(hashes["holdout"][hold_rows], hashes["real"])
        near_chance = float(((d_hold_train[:, 0] <= delta) & ~hold_exact).mean())
        near_evidence.update(
            {
                "near_copies_of_holdout_records": int(near_hold.sum()),
                "holdout_share": float(near_hold.mean()),
                "chance_share": near_chance,
            }
        )
        extra["dcr_holdout"] = np.sort(d_hold_train[:, 0])
    out.append(Metric("exact_copy_excess", FAMILY, max(0.0, copy_share - baseline), evidence=copies_evidence))
    out.append(
        Metric("near_copy_excess", FAMILY, max(0.0, float(near.mean()) - near_chance), evidence=near_evidence)
    )
    if has_holdout:
        out.extend(_holdout_metrics(enc, seed, train, train_rows, d_synth_train, d_hold_train, d_peer))
    else:
        out.extend(_no_holdout())
    return out, extra


def _no_holdout() -> list[Metric]:
    why = "no --holdout was given: the chance level of closeness needs real records the generator never saw"
    return [
        Metric.missing(i, FAMILY, why)
        for i in (
            "dcr_closer_than_holdout",
            "nndr_low_share",
            "membership_auc_distance",
            "membership_auc_density",
            "rare_record_memorisation",
        )
    ]


def _holdout_metrics(
    enc: Encoded,
    seed: int,
    train: np.ndarray,
    train_rows: np.ndarray,
    d_synth_train: np.ndarray,
    d_hold_train: np.ndarray,
    d_peer: np.ndarray,
) -> list[Metric]:
    hold = enc.distance_space("holdout")
    hold_rows = query_sample(enc.rows("holdout"), seed + 12)
    p5 = float(np.quantile(d_hold_train[:, 0], 0.05))
    dcr = d_synth_train[:, 0]
    closer = float((dcr < p5).mean()) if p5 > 0 else float((dcr <= 0).mean())
    out = [
        Metric(
            "dcr_closer_than_holdout",
            FAMILY,
            closer,
            evidence={
                "holdout_5th_percentile": p5,
                "expected_by_chance": 0.05,
                "synthetic_median_dcr": float(np.median(dcr)),
                "holdout_median_dcr": float(np.median(d_hold_train[:, 0])),
                "queried_synthetic_records": int(dcr.size),
            },
        )
    ]
    with np.errstate(all="ignore"):
        nndr_s = np.where(d_synth_train[:, 1] > 0, d_synth_train[:, 0] / d_synth_train[:, 1], 1.0)
        nndr_h = np.where(d_hold_train[:, 1] > 0, d_hold_train[:, 0] / d_hold_train[:, 1], 1.0)
    h5 = float(np.quantile(nndr_h, 0.05))
    out.append(
        Metric(
            "nndr_low_share",
            FAMILY,
            float((nndr_s < h5).mean()),
            evidence={
                "holdout_5th_percentile": h5,
                "expected_by_chance": 0.05,
                "synthetic_5th_percentile": float(np.quantile(nndr_s, 0.05)),
            },
        )
    )

    # membership inference: members are training records, non-members holdout records
    rng = np.random.default_rng(seed + 13)
    order = rng.permutation(hold_rows.size)
    half = order.size // 2
    reference_rows, non_member_rows = hold_rows[np.sort(order[:half])], hold_rows[np.sort(order[half:])]
    m = non_member_rows.size
    member_rows = np.sort(rng.choice(enc.rows("real"), min(m, enc.rows("real")), replace=False))
    synth_all = enc.distance_space("synthetic")
    members, non_members = train[member_rows], hold[non_member_rows]
    d_ms = nearest(synth_all, members, DENSITY_K)[0]
    d_ns = nearest(synth_all, non_members, DENSITY_K)[0]
    out.append(
        Metric(
            "membership_auc_distance",
            FAMILY,
            _auc(-d_ms[:, 0], -d_ns[:, 0]),
            evidence={
                "members": int(m),
                "non_members": int(m),
                "attack": "closer to a synthetic record = member",
            },
        )
    )
    if reference_rows.size > DENSITY_K:
        ref = hold[reference_rows]
        d_mr = nearest(ref, members, DENSITY_K)[0][:, -1]
        d_nr = nearest(ref, non_members, DENSITY_K)[0][:, -1]
        # log p_synth/p_ref from k-NN radii, up to the dimension factor (AUC is rank-based)
        with np.errstate(all="ignore"):
            s_m = np.log(np.maximum(d_mr, 1e-12)) - np.log(np.maximum(d_ms[:, -1], 1e-12))
            s_n = np.log(np.maximum(d_nr, 1e-12)) - np.log(np.maximum(d_ns[:, -1], 1e-12))
        out.append(
            Metric(
                "membership_auc_density",
                FAMILY,
                _auc(s_m, s_n),
                evidence={
                    "members": int(m),
                    "non_members": int(m),
                    "reference_records": int(reference_rows.size),
                    "k": DENSITY_K,
                    "attack": "density ratio p_synthetic / p_reference (k-NN radii)",
                },
            )
        )
    else:
        out.append(
            Metric.missing(
                "membership_auc_density", FAMILY, "the holdout is too small to split off a reference"
            )
        )

    # rare-patient memorisation
    rare_bar = float(np.quantile(d_peer, RARE_QUANTILE))
    rare = train_rows[d_peer > rare_bar] if rare_bar > 0 else train_rows[:0]
    if rare.size == 0:
        out.append(Metric.missing("rare_record_memorisation", FAMILY, "no isolated training record"))
    else:
        peer = d_peer[d_peer > rare_bar]
        to_synth = nearest(synth_all, train[rare], 1)[0][:, 0]
        to_hold = nearest(hold, train[rare], 1)[0][:, 0]
        memorised = to_synth < MEMORISED_FACTOR * peer
        by_chance = to_hold < MEMORISED_FACTOR * peer
        out.append(
            Metric(
                "rare_record_memorisation",
                FAMILY,
                float(memorised.mean()),
                evidence={
                    "rare_training_records": int(rare.size),
                    "memorised": int(memorised.sum()),
                    "holdout_records_as_close": int(by_chance.sum()),
                    "rule": "a synthetic record closer than half the distance to the nearest real peer",
                },
            )
        )
    return out
