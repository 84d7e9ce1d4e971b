"""The three tables of a synthetic-data assay, read once and aligned on the real table's columns.

The real training table decides the column kinds and the category vocabularies; the synthetic
table and the holdout are read with the same roles. Identifier, patient and free-text columns
carry no distribution a generator should reproduce, so metrics leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datacert.assay import load_dataset
from datacert.dataset import Dataset
from datacert.io import InputError, LoadedTable, from_object, read_table
from datacert.roles import Roles
from datacert.semantics import SemanticType

CATEGORICAL_TYPES = {SemanticType.CATEGORY, SemanticType.BOOLEAN, SemanticType.INTEGER_CATEGORY}
SKIPPED_TYPES = {SemanticType.IDENTIFIER, SemanticType.TEXT, SemanticType.EMPTY}
MAX_LEVELS = 50  # a "category" with more levels than this is compared as text, i.e. left out


class SynthInputError(InputError):
    """The tables cannot be compared: missing columns, no rows, or a role that does not fit."""


@dataclass(frozen=True)
class Tables:
    """Real training, synthetic and (optional) real holdout tables with the columns the metrics use."""

    real: Dataset
    synthetic: Dataset
    holdout: Dataset | None
    numeric: tuple[str, ...]  # compared as numbers (dates as days)
    categorical: tuple[str, ...]  # compared as levels of the real table's vocabulary
    target: str | None
    sensitive: tuple[str, ...]
    extra_columns: tuple[str, ...]  # in the synthetic table but not in the real one

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def named(self) -> dict[str, Dataset]:
        out = {"real": self.real, "synthetic": self.synthetic}
        if self.holdout is not None:
            out["holdout"] = self.holdout
        return out


def _read(data: Any, what: str) -> LoadedTable:
    try:
        return read_table(data) if isinstance(data, (str, Path)) else from_object(data)
    except InputError as exc:
        raise type(exc)(f"{what} table: {exc}") from None


def _load(table: LoadedTable, roles: Roles, what: str) -> Dataset:
    try:
        return load_dataset(table, roles)
    except InputError as exc:
        raise type(exc)(f"{what} table: {exc}") from None


def load_tables(real: Any, synthetic: Any, holdout: Any = None, roles: Roles | None = None) -> Tables:
    """Read and align the tables; the real table's inferred roles are applied to the others."""
    roles = roles or Roles()
    real_ds = _load(_read(real, "real"), roles, "real")
    merged = real_ds.roles
    synth_table = _read(synthetic, "synthetic")
    synth_ds = _load(synth_table, _roles_present(merged, synth_table.frame.columns), "synthetic")
    hold_ds = None
    if holdout is not None:
        hold_table = _read(holdout, "holdout")
        hold_ds = _load(hold_table, _roles_present(merged, hold_table.frame.columns), "holdout")
    for name, ds in (("real", real_ds), ("synthetic", synth_ds), ("holdout", hold_ds)):
        if ds is not None and ds.n_rows < 10:
            raise SynthInputError(f"The {name} table has {ds.n_rows} records; at least 10 are needed.")
    used = [
        c
        for c in real_ds.columns
        if c not in (merged.id, merged.group, merged.split)
        and c not in merged.text
        and real_ds.semantic_types.get(c) not in SKIPPED_TYPES
    ]
    for name, ds in (("synthetic", synth_ds), ("holdout", hold_ds)):
        if ds is None:
            continue
        missing = [c for c in used if c not in ds.columns]
        if missing:
            raise SynthInputError(
                f"The {name} table lacks {len(missing)} column(s) of the real table: "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}."
            )
    numeric, categorical = [], []
    for c in used:
        kind = real_ds.semantic_types.get(c)
        dtype = real_ds.schema[c]
        if kind in CATEGORICAL_TYPES or not (dtype.is_numeric() or dtype.is_temporal()):
            if real_ds.frame.get_column(c).n_unique() <= MAX_LEVELS:
                categorical.append(c)
        else:
            numeric.append(c)
    if not numeric and not categorical:
        raise SynthInputError("The real table has no column a generator could reproduce (only ids or text).")
    target = merged.target if merged.target in used else None
    extra = tuple(c for c in synth_ds.columns if c not in real_ds.columns)
    return Tables(
        real=real_ds,
        synthetic=synth_ds,
        holdout=hold_ds,
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        target=target,
        sensitive=tuple(c for c in merged.sensitive if c in categorical),
        extra_columns=extra,
    )


def _roles_present(roles: Roles, columns: list[str]) -> Roles:
    """The real table's roles, minus those whose column the other table does not have."""
    names = set(columns)
    kept: dict[str, Any] = {}
    for key, value in roles.to_dict().items():
        if isinstance(value, (list, tuple)):
            kept[key] = [v for v in value if v in names]
        else:
            kept[key] = value if value in names else None
    return Roles.build(**kept)
