"""Scoring profiles: versioned YAML files of indicator anchors, weights, gates and floors.

A profile may extend another (`extends: default`); a user's policy file extends a profile the
same way. Everything is validated when loaded, with one clear sentence per problem, so that a
certificate never rests on a silently ignored setting.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from datacert.findings import DIMENSIONS, Severity
from datacert.io import InputError
from datacert.knowledge import safe_load
from datacert.scoring._schema import schema_problem


class _Catalogue(Mapping[str, str]):
    """Check id -> dimension of every check of this build (each check declares it), found when first
    used from the checks' layout (`check_dimensions`), without importing every check."""

    _key: tuple[tuple[str, ...], frozenset[str]] | None = None
    _found: dict[str, str] = {}  # noqa: RUF012 - replaced, never mutated

    def _ids(self) -> dict[str, str]:
        import datacert.checks as package
        from datacert.checks import REGISTRY, check_dimensions

        # the layout and the registry change only when a module joins the package path (tests)
        key = (tuple(package.__path__), frozenset(REGISTRY))
        if key != self._key:
            self._found = check_dimensions()
            self._key = (tuple(package.__path__), frozenset(REGISTRY))
        return self._found

    def __getitem__(self, key: str) -> str:
        return self._ids()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __len__(self) -> int:
        return len(self._ids())


CATALOGUE: Mapping[str, str] = _Catalogue()

_TOP_KEYS = {
    "name",
    "version",
    "title",
    "description",
    "extends",
    "dimensions",
    "indicators",
    "default_indicator",
    "gates",
    "floors",
    "required_roles",
    "bootstrap",
}


class ProfileError(InputError):
    """A scoring profile or policy that cannot be used: the message names the one thing to fix."""


@dataclass(frozen=True)
class Condition:
    """One way for a finding to open a gate: severity at least this, and optional numbers above bars."""

    min_severity: Severity = Severity.ERROR
    rate_at_least: float | None = None
    evidence_at_least: Mapping[str, float] = field(default_factory=dict)
    evidence_absent: tuple[str, ...] = ()  # the finding's evidence must not hold these keys


@dataclass(frozen=True)
class Gate:
    id: str
    kind: str
    checks: tuple[str, ...]
    when: tuple[Condition, ...]
    reason: str


@dataclass(frozen=True)
class Indicator:
    id: str
    check: str
    dimension: str
    measure: str
    good: float
    bad: float
    weight: float
    min_severity: Severity = Severity.WARNING


@dataclass(frozen=True)
class Floors:
    overall: float = 75.0
    dimension: float = 60.0
    reject_overall: float = 40.0
    min_coverage_for_overall: float = 0.5
    coverage: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Bootstrap:
    replicates: int = 200
    level: float = 0.90
    seed: int = 0


@dataclass(frozen=True)
class ScoringProfile:
    """A validated, merged profile: what the scores and the verdict of one certificate rest on."""

    name: str
    version: str
    title: str
    description: str
    dimensions: Mapping[str, float]
    indicators: tuple[Indicator, ...]
    default_indicator: Mapping[str, Any]
    gates: tuple[Gate, ...]
    floors: Floors
    required_roles: tuple[str, ...]
    bootstrap: Bootstrap
    lineage: tuple[str, ...] = ()

    def identity(self) -> dict[str, Any]:
        """Name, version and what it extends: enough to tell whether two certificates are comparable."""
        return {"name": self.name, "version": self.version, "lineage": list(self.lineage)}


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped in the package."""
    folder = resources.files("datacert.scoring") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _builtin_raw(name: str) -> dict[str, Any]:
    if name not in builtin_profiles():
        raise ProfileError(
            f"There is no scoring profile named {name!r}; choose one of {', '.join(builtin_profiles())}."
        )
    text = (resources.files("datacert.scoring") / "profiles" / f"{name}.yaml").read_text(encoding="utf-8")
    return safe_load(text)


def _resolved_raw(name: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A built-in profile's raw mapping with its `extends` chain merged in, and the chain."""
    if name in seen:
        raise ProfileError(f"The scoring profile {name!r} extends itself through {' -> '.join(seen)}.")
    raw = _builtin_raw(name)
    parent = raw.get("extends")
    if not parent:
        return raw, (f"{raw.get('name', name)}@{raw.get('version', '?')}",)
    base, chain = _resolved_raw(str(parent), (*seen, name))
    return merge_raw(base, raw), (*chain, f"{raw.get('name', name)}@{raw.get('version', '?')}")


def load_scoring_profile(
    name: str = "default",
    overrides: Mapping[str, Any] | None = None,
    registered: Mapping[str, str] | None = None,
) -> ScoringProfile:
    """A built-in profile by name, optionally extended by a policy's scoring part, validated.

    `registered` maps check ids to their dimensions (for validation); by default, every check
    registered in this build.
    """
    raw, chain = _resolved_raw(name)
    if overrides:
        unknown = sorted(set(overrides) - _TOP_KEYS)
        if unknown:
            raise ProfileError(
                f"The policy has an unknown scoring entry {unknown[0]!r} (known: "
                f"{', '.join(sorted(_TOP_KEYS - {'extends'}))})."
            )
        raw = merge_raw(raw, overrides)
        chain = (*chain, f"{overrides.get('name', 'policy')}@{overrides.get('version', 'custom')}")
        if "version" not in overrides:
            raw["version"] = "custom"
    return validate_profile(raw, chain, dict(registered) if registered is not None else dict(CATALOGUE))


def merge_raw(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a profile's raw mapping onto its base: entries by id, mappings key by key."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if key in ("indicators", "gates"):
            if not isinstance(value, list):
                raise ProfileError(f"The profile's {key!r} entry must be a list of mappings with an 'id'.")
            merged = {e["id"]: dict(e) for e in out.get(key, [])}
            for entry in value:
                if not isinstance(entry, dict) or "id" not in entry:
                    raise ProfileError(
                        f"Every entry of the profile's {key!r} list must be a mapping with an 'id'."
                    )
                merged[entry["id"]] = {**merged.get(entry["id"], {}), **entry}
            out[key] = list(merged.values())
        elif key in ("dimensions", "default_indicator", "bootstrap", "floors") and isinstance(value, dict):
            current = dict(out.get(key) or {})
            current.update(copy.deepcopy(value))
            out[key] = current
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_profile(
    raw: Mapping[str, Any], lineage: tuple[str, ...], known_checks: Mapping[str, str]
) -> ScoringProfile:
    """Turn a merged raw mapping into a ScoringProfile, or raise ProfileError with one sentence."""
    if not isinstance(raw, Mapping):
        raise ProfileError("A scoring profile must be a mapping at its top level.")
    problem = schema_problem(raw, list(known_checks))
    if problem:
        raise ProfileError(problem)
    dims = raw.get("dimensions") or {}
    dimensions = {d: float(dims.get(d, 1.0)) for d in DIMENSIONS}
    if sum(dimensions.values()) <= 0:
        raise ProfileError("The profile gives every dimension a weight of zero, so no overall score exists.")

    indicators = []
    ids: set[str] = set()
    for entry in raw.get("indicators") or []:
        if entry.get("enabled", True) is False:
            continue
        indicators.append(_indicator(entry, known_checks))
        ids.add(entry["id"])
    default_indicator = dict(raw.get("default_indicator") or {})
    if default_indicator and known_checks:
        # the default applies to every check: validate its numbers against any one of them
        some_check, its_dimension = next(iter(known_checks.items()))
        _indicator(
            {"id": "default_indicator", "check": some_check, "dimension": its_dimension, **default_indicator},
            known_checks,
        )

    gates = []
    for entry in raw.get("gates") or []:
        if entry.get("enabled", True) is False:
            continue
        gates.append(_gate(entry))

    floors_raw = raw.get("floors") or {}
    coverage = floors_raw.get("coverage") or {}
    floors = Floors(
        overall=float(floors_raw.get("overall", 75)),
        dimension=float(floors_raw.get("dimension", 60)),
        reject_overall=float(floors_raw.get("reject_overall", 40)),
        min_coverage_for_overall=float(floors_raw.get("min_coverage_for_overall", 0.5)),
        coverage={d: float(v) for d, v in coverage.items()},
    )
    roles = raw.get("required_roles") or []
    boot_raw = raw.get("bootstrap") or {}
    bootstrap = Bootstrap(
        replicates=boot_raw.get("replicates", 200),
        seed=boot_raw.get("seed", 0),
        level=float(boot_raw.get("level", 0.9)),
    )
    name = raw.get("name", "custom")
    return ScoringProfile(
        name=name,
        version=str(raw.get("version", "custom")),
        title=str(raw.get("title", name)),
        description=str(raw.get("description", "")).strip(),
        dimensions=dimensions,
        indicators=tuple(indicators),
        default_indicator=default_indicator,
        gates=tuple(gates),
        floors=floors,
        required_roles=tuple(roles),
        bootstrap=bootstrap,
        lineage=lineage,
    )


def _indicator(entry: Mapping[str, Any], known_checks: Mapping[str, str]) -> Indicator:
    """An indicator the schema accepted, with what the schema cannot say (dimension, distinct anchors)."""
    ident = entry.get("id")
    check = entry["check"]
    dimension = entry.get("dimension", known_checks[check])
    if dimension != known_checks[check]:
        raise ProfileError(
            f"The profile's indicator {ident!r} puts check {check!r} in dimension {dimension!r}, "
            f"but that check belongs to {known_checks[check]!r}."
        )
    good, worst = float(entry["good"]), float(entry["bad"])
    if good == worst:
        raise ProfileError(
            f"The profile's indicator {ident!r} has equal good and bad anchors ({good:g}), "
            f"so no desirability can be computed."
        )
    return Indicator(
        id=str(ident),
        check=check,
        dimension=dimension,
        measure=entry["measure"],
        good=good,
        bad=worst,
        weight=float(entry.get("weight", 1.0)),
        min_severity=Severity(entry.get("min_severity", "warning")),
    )


def _gate(entry: Mapping[str, Any]) -> Gate:
    """A gate the schema accepted."""
    conditions = tuple(
        Condition(
            min_severity=Severity(cond.get("min_severity", "error")),
            rate_at_least=None if cond.get("rate_at_least") is None else float(cond["rate_at_least"]),
            evidence_at_least={k: float(v) for k, v in (cond.get("evidence_at_least") or {}).items()},
            evidence_absent=tuple(str(k) for k in cond.get("evidence_absent") or ()),
        )
        for cond in entry.get("when") or [{}]
    )
    return Gate(
        id=str(entry["id"]),
        kind=entry["kind"],
        checks=tuple(entry["checks"]),
        when=conditions,
        reason=entry["reason"].strip(),
    )
