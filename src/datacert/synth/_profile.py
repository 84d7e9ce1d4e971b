"""The versioned scoring profile of synthetic data: metric anchors, gates, floors, required evidence.

It lives beside the check profiles' loader and reuses its merge rules and error type, but it
validates against the synthetic-data metric ids (METRIC_IDS), not the check catalogue: the
decision rests on measured numbers, not on findings. A user's policy (YAML/JSON file or mapping)
extends it entry by entry, exactly like a check policy extends a check profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from datacert.io import read_settings_file
from datacert.scoring import ProfileError, merge_raw
from datacert.synth._metric import FAMILIES

DEFAULT_PROFILE = "synthetic_training_data"

# every metric id this build measures, with its family: what a profile may name
METRIC_IDS: dict[str, str] = {
    "introduced_errors": "validity",
    "introduced_error_record_share": "validity",
    "new_category_share": "validity",
    "column_shapes": "fidelity",
    "column_pair_trends": "fidelity",
    "pc_spectrum_similarity": "fidelity",
    "pmse_ratio": "fidelity",
    "detection_auc": "fidelity",
    "category_coverage": "fidelity",
    "range_coverage": "fidelity",
    "rare_combinations_kept": "fidelity",
    "subgroup_fidelity": "fidelity",
    "kaplan_meier_similarity": "fidelity",
    "tstr_ratio": "utility",
    "tstr_skill_ratio": "utility",
    "importance_agreement": "utility",
    "subgroup_utility": "utility",
    "exact_copy_excess": "privacy",
    "near_copy_excess": "privacy",
    "dcr_closer_than_holdout": "privacy",
    "nndr_low_share": "privacy",
    "membership_auc_distance": "privacy",
    "membership_auc_density": "privacy",
    "rare_record_memorisation": "privacy",
    "singling_out_risk": "privacy",
    "linkability_risk": "privacy",
    "inference_risk": "privacy",
}
_TOP = {
    "name",
    "version",
    "title",
    "description",
    "extends",
    "families",
    "metrics",
    "gates",
    "floors",
    "required_metrics",
}
_METRIC_KEYS = {"id", "good", "bad", "weight", "enabled"}
_GATE_KEYS = {"id", "kind", "metric", "above", "below", "reason", "enabled"}


@dataclass(frozen=True)
class Anchor:
    id: str
    family: str
    good: float
    bad: float
    weight: float

    def desirability(self, value: float) -> float:
        return float(min(1.0, max(0.0, (self.bad - value) / (self.bad - self.good))))


@dataclass(frozen=True)
class MetricGate:
    id: str
    kind: str  # blocking | fixable
    metric: str
    above: float | None
    below: float | None
    reason: str

    def fires(self, value: float) -> bool:
        return (self.above is not None and value > self.above) or (
            self.below is not None and value < self.below
        )


@dataclass(frozen=True)
class SynthProfile:
    name: str
    version: str
    title: str
    description: str
    families: Mapping[str, float]
    anchors: tuple[Anchor, ...]
    gates: tuple[MetricGate, ...]
    family_floors: Mapping[str, float]
    min_coverage: float
    required_metrics: tuple[str, ...]
    lineage: tuple[str, ...]

    def identity(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "lineage": list(self.lineage),
            "title": self.title,
        }


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProfileError(f"The synthetic-data profile's {what} must be a number, not {value!r}.")
    return float(value)


def _known(metric: Any, what: str) -> str:
    if metric not in METRIC_IDS:
        raise ProfileError(
            f"The synthetic-data profile's {what} names an unknown metric {metric!r} "
            f"(known: {', '.join(sorted(METRIC_IDS))})."
        )
    return str(metric)


def _builtin(name: str) -> dict[str, Any]:
    folder = resources.files("datacert.synth") / "profiles"
    names = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
    if name not in names:
        raise ProfileError(
            f"There is no synthetic-data profile named {name!r}; choose one of {', '.join(names)}."
        )
    return yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8"))


def load_synth_profile(policy: str | Path | Mapping[str, Any] | None = None) -> SynthProfile:
    """The built-in profile, extended by a policy file or mapping when one is given."""
    raw = _builtin(DEFAULT_PROFILE)
    lineage: tuple[str, ...] = (f"{raw['name']}@{raw['version']}",)
    if policy is not None:
        over = (
            dict(policy)
            if isinstance(policy, Mapping)
            else read_settings_file(policy, ProfileError, f"Policy file {Path(policy).name}")
        )
        if not isinstance(over, Mapping):
            raise ProfileError("A synthetic-data policy must be a mapping at its top level.")
        unknown = sorted(set(over) - _TOP)
        if unknown:
            raise ProfileError(f"The synthetic-data policy has an unknown entry {unknown[0]!r}.")
        renamed = {("indicators" if k == "metrics" else k): v for k, v in over.items()}
        base = {("indicators" if k == "metrics" else k): v for k, v in raw.items()}
        merged = merge_raw(base, renamed)
        raw = {("metrics" if k == "indicators" else k): v for k, v in merged.items()}
        lineage = (*lineage, f"{over.get('name', 'policy')}@{over.get('version', 'custom')}")
        if "version" not in over:
            raw["version"] = "custom"
    return validate(raw, lineage)


def validate(raw: Mapping[str, Any], lineage: tuple[str, ...]) -> SynthProfile:
    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise ProfileError(f"The synthetic-data profile has an unknown entry {unknown[0]!r}.")
    families = dict(raw.get("families") or {})
    for f in families:
        if f not in FAMILIES:
            raise ProfileError(
                f"The synthetic-data profile names an unknown family {f!r} (known: {', '.join(FAMILIES)})."
            )
    weights = {f: _number(families.get(f, 1.0), f"weight of family {f!r}") for f in FAMILIES}
    anchors = []
    for entry in raw.get("metrics") or []:
        if not isinstance(entry, Mapping) or "id" not in entry:
            raise ProfileError(
                "Every entry of the synthetic-data profile's metrics must be a mapping with an 'id'."
            )
        if entry.get("enabled", True) is False:
            continue
        bad = sorted(set(entry) - _METRIC_KEYS)
        if bad:
            raise ProfileError(
                f"The synthetic-data profile's metric {entry['id']!r} has an unknown entry {bad[0]!r}."
            )
        ident = _known(entry["id"], "metric list")
        good, worst = (
            _number(entry.get("good"), f"good anchor of {ident!r}"),
            _number(entry.get("bad"), f"bad anchor of {ident!r}"),
        )
        if good == worst:
            raise ProfileError(
                f"The synthetic-data profile's metric {ident!r} has equal good and bad anchors."
            )
        anchors.append(
            Anchor(
                ident,
                METRIC_IDS[ident],
                good,
                worst,
                _number(entry.get("weight", 1.0), f"weight of {ident!r}"),
            )
        )
    gates = []
    for entry in raw.get("gates") or []:
        if not isinstance(entry, Mapping) or "id" not in entry:
            raise ProfileError("Every gate of the synthetic-data profile must be a mapping with an 'id'.")
        if entry.get("enabled", True) is False:
            continue
        bad = sorted(set(entry) - _GATE_KEYS)
        if bad:
            raise ProfileError(
                f"The synthetic-data profile's gate {entry['id']!r} has an unknown entry {bad[0]!r}."
            )
        if entry.get("kind") not in ("blocking", "fixable"):
            raise ProfileError(
                f"The synthetic-data profile's gate {entry['id']!r} must be blocking or fixable."
            )
        above, below = entry.get("above"), entry.get("below")
        if (above is None) == (below is None):
            raise ProfileError(
                f"The synthetic-data profile's gate {entry['id']!r} needs exactly one of 'above' or 'below'."
            )
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ProfileError(
                f"The synthetic-data profile's gate {entry['id']!r} needs a 'reason' sentence."
            )
        gates.append(
            MetricGate(
                str(entry["id"]),
                entry["kind"],
                _known(entry.get("metric"), f"gate {entry['id']!r}"),
                None if above is None else _number(above, f"bar of gate {entry['id']!r}"),
                None if below is None else _number(below, f"bar of gate {entry['id']!r}"),
                " ".join(reason.split()),
            )
        )
    floors = dict(raw.get("floors") or {})
    family_floors = {
        f: _number(v, f"floor of family {f!r}") for f, v in dict(floors.get("family") or {}).items()
    }
    for f in family_floors:
        if f not in FAMILIES:
            raise ProfileError(f"The synthetic-data profile's floors name an unknown family {f!r}.")
    required = tuple(_known(m, "required_metrics") for m in raw.get("required_metrics") or [])
    return SynthProfile(
        name=str(raw.get("name", "custom")),
        version=str(raw.get("version", "custom")),
        title=str(raw.get("title", "")),
        description=" ".join(str(raw.get("description", "")).split()),
        families=weights,
        anchors=tuple(anchors),
        gates=tuple(gates),
        family_floors=family_floors,
        min_coverage=_number(floors.get("min_coverage", 0.5), "min_coverage floor"),
        required_metrics=required,
        lineage=lineage,
    )
