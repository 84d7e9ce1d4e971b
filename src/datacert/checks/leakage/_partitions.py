"""Partitions named by the split column: labels per record, and which ones train or evaluate."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

TRAIN_NAMES = {
    "train",
    "training",
    "apprentissage",
    "entrainement",
    "entraînement",
    "dev",
    "development",
    "fit",
}
EVAL_NAMES = {
    "test",
    "testing",
    "valid",
    "validation",
    "val",
    "holdout",
    "hold_out",
    "hold-out",
    "heldout",
    "held_out",
    "eval",
    "evaluation",
}


def partition_codes(frame: pl.DataFrame, column: str) -> tuple[np.ndarray, list[str]]:
    """Integer code per record (-1 = no partition given) and the partition names, sorted."""
    labels = frame.get_column(column).cast(pl.String)
    names = sorted(labels.drop_nulls().unique().to_list())
    lookup = pl.DataFrame({"__name": names, "__code": np.arange(len(names), dtype=np.int64)})
    codes = (
        labels.to_frame("__name")
        .join(lookup, on="__name", how="left", maintain_order="left")
        .get_column("__code")
        .fill_null(-1)
        .to_numpy()
    )
    return codes.astype(np.int64, copy=False), names


def partition_kind(name: str) -> str | None:
    """'train', 'eval' or None, from a partition's name (case and spacing ignored)."""
    key = re.sub(r"[\s]+", "_", name.strip().lower())
    if key in TRAIN_NAMES or key.endswith("_train") or key.startswith("train_"):
        return "train"
    if (
        key in EVAL_NAMES
        or key.startswith(("test_", "valid_", "validation_", "holdout_"))
        or key.endswith(("_test", "_valid", "_validation", "_holdout"))
    ):
        return "eval"
    return None
