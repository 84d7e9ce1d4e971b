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


class _Catalogue(Mapping[str, str]):
    """Check id -> dimension, read from the check registry when first used (each check declares it)."""

    _loaded = False

    def _ids(self) -> dict[str, str]:
        from datacert.checks import REGISTRY, load_all_checks

        if not self._loaded:
            load_all_checks()
            self._loaded = True
        return {k: cls.dimension for k, cls in sorted(REGISTRY.items())}

    def __getitem__(self, key: str) -> str:
        return self._ids()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __len__(self) -> int:
        return len(self._ids())


CATALOGUE: Mapping[str, str] = _Catalogue()

MEASURES = ("row_share", "column_share", "rate", "check_rate", "worst_severity")
GATE_KINDS = ("blocking", "fixable")
ROLE_NAMES = ("target", "id", "group", "time", "split", "sensitive", "text")
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
_INDICATOR_KEYS = {"id", "check", "dimension", "measure", "good", "bad", "weight", "min_severity", "enabled"}
_GATE_KEYS = {"id", "kind", "checks", "when", "reason", "enabled"}
_CONDITION_KEYS = {"min_severity", "rate_at_least", "evidence_at_least", "evidence_absent"}
_FLOOR_KEYS = {"overall", "dimension", "reject_overall", "min_coverage_for_overall", "coverage"}
_BOOTSTRAP_KEYS = {"replicates", "level", "seed"}


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


def _number(value: Any, what: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProfileError(f"The profile's {what} must be a number, not {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ProfileError(f"The profile's {what} must be {span}, not {value!r}.")
    return float(value)


def _severity(value: Any, what: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ProfileError(
            f"The profile's {what} must be one of info, warning, error, critical, not {value!r}."
        ) from None


def validate_profile(
    raw: Mapping[str, Any], lineage: tuple[str, ...], known_checks: Mapping[str, str]
) -> ScoringProfile:
    """Turn a merged raw mapping into a ScoringProfile, or raise ProfileError with one sentence."""
    if not isinstance(raw, Mapping):
        raise ProfileError("A scoring profile must be a mapping at its top level.")
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ProfileError(f"The profile has an unknown entry {unknown[0]!r}.")
    dims = raw.get("dimensions") or {}
    if not isinstance(dims, Mapping):
        raise ProfileError("The profile's 'dimensions' entry must map dimension names to weights.")
    for d in dims:
        if d not in DIMENSIONS:
            raise ProfileError(
                f"The profile names an unknown dimension {d!r} (known: {', '.join(DIMENSIONS)})."
            )
    dimensions = {d: _number(dims.get(d, 1.0), f"weight of dimension {d!r}", 0.0) for d in DIMENSIONS}
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
        gates.append(_gate(entry, known_checks))

    floors_raw = raw.get("floors") or {}
    if not isinstance(floors_raw, Mapping):
        raise ProfileError("The profile's 'floors' entry must be a mapping.")
    bad = sorted(set(floors_raw) - _FLOOR_KEYS)
    if bad:
        raise ProfileError(f"The profile's floors have an unknown entry {bad[0]!r}.")
    coverage = floors_raw.get("coverage") or {}
    if not isinstance(coverage, Mapping):
        raise ProfileError(
            "The profile's 'floors.coverage' entry must map dimensions to shares between 0 and 1."
        )
    for d in coverage:
        if d not in DIMENSIONS:
            raise ProfileError(f"The profile's coverage floors name an unknown dimension {d!r}.")
    floors = Floors(
        overall=_number(floors_raw.get("overall", 75), "overall floor", 0, 100),
        dimension=_number(floors_raw.get("dimension", 60), "dimension floor", 0, 100),
        reject_overall=_number(floors_raw.get("reject_overall", 40), "reject_overall floor", 0, 100),
        min_coverage_for_overall=_number(
            floors_raw.get("min_coverage_for_overall", 0.5), "min_coverage_for_overall floor", 0, 1
        ),
        coverage={d: _number(v, f"coverage floor of {d!r}", 0, 1) for d, v in coverage.items()},
    )
    roles = raw.get("required_roles") or []
    if not isinstance(roles, list) or any(r not in ROLE_NAMES for r in roles):
        raise ProfileError(
            f"The profile's 'required_roles' must be a list drawn from {', '.join(ROLE_NAMES)}."
        )
    boot_raw = raw.get("bootstrap") or {}
    bad = sorted(set(boot_raw) - _BOOTSTRAP_KEYS)
    if bad:
        raise ProfileError(f"The profile's bootstrap settings have an unknown entry {bad[0]!r}.")
    replicates = boot_raw.get("replicates", 200)
    seed = boot_raw.get("seed", 0)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or not 0 <= replicates <= 10_000:
        raise ProfileError("The profile's bootstrap replicates must be a whole number between 0 and 10000.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ProfileError("The profile's bootstrap seed must be a whole number of at least 0.")
    bootstrap = Bootstrap(
        replicates=replicates,
        seed=seed,
        level=_number(boot_raw.get("level", 0.9), "bootstrap level", 0.5, 0.999),
    )
    name = raw.get("name", "custom")
    if not isinstance(name, str) or not name:
        raise ProfileError("The profile's 'name' must be a non-empty text.")
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
    ident = entry.get("id")
    bad = sorted(set(entry) - _INDICATOR_KEYS)
    if bad:
        raise ProfileError(f"The profile's indicator {ident!r} has an unknown entry {bad[0]!r}.")
    for key in ("check", "measure", "good", "bad"):
        if key not in entry:
            raise ProfileError(f"The profile's indicator {ident!r} lacks its {key!r} entry.")
    check = entry["check"]
    if check not in known_checks:
        raise ProfileError(f"The profile's indicator {ident!r} names an unknown check {check!r}.")
    dimension = entry.get("dimension", known_checks[check])
    if dimension != known_checks[check]:
        raise ProfileError(
            f"The profile's indicator {ident!r} puts check {check!r} in dimension {dimension!r}, "
            f"but that check belongs to {known_checks[check]!r}."
        )
    if entry["measure"] not in MEASURES:
        raise ProfileError(
            f"The profile's indicator {ident!r} has an unknown measure {entry['measure']!r} "
            f"(known: {', '.join(MEASURES)})."
        )
    good = _number(entry["good"], f"good anchor of indicator {ident!r}")
    worst = _number(entry["bad"], f"bad anchor of indicator {ident!r}")
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
        weight=_number(entry.get("weight", 1.0), f"weight of indicator {ident!r}", 0.0),
        min_severity=_severity(entry.get("min_severity", "warning"), f"min_severity of indicator {ident!r}"),
    )


def _gate(entry: Mapping[str, Any], known_checks: Mapping[str, str]) -> Gate:
    ident = entry.get("id")
    bad = sorted(set(entry) - _GATE_KEYS)
    if bad:
        raise ProfileError(f"The profile's gate {ident!r} has an unknown entry {bad[0]!r}.")
    if entry.get("kind") not in GATE_KINDS:
        raise ProfileError(
            f"The profile's gate {ident!r} must have kind blocking or fixable, not {entry.get('kind')!r}."
        )
    checks = entry.get("checks")
    if not isinstance(checks, list) or not checks:
        raise ProfileError(f"The profile's gate {ident!r} must list the checks it watches.")
    for c in checks:
        if c not in known_checks:
            raise ProfileError(f"The profile's gate {ident!r} names an unknown check {c!r}.")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ProfileError(f"The profile's gate {ident!r} needs a 'reason' sentence.")
    conditions = []
    for cond in entry.get("when") or [{}]:
        if not isinstance(cond, Mapping):
            raise ProfileError(f"The profile's gate {ident!r} has a condition that is not a mapping.")
        extra = sorted(set(cond) - _CONDITION_KEYS)
        if extra:
            raise ProfileError(f"The profile's gate {ident!r} has an unknown condition {extra[0]!r}.")
        evidence = cond.get("evidence_at_least") or {}
        if not isinstance(evidence, Mapping):
            raise ProfileError(
                f"The profile's gate {ident!r} needs evidence_at_least as a mapping of numbers."
            )
        conditions.append(
            Condition(
                min_severity=_severity(cond.get("min_severity", "error"), f"min_severity of gate {ident!r}"),
                rate_at_least=None
                if cond.get("rate_at_least") is None
                else _number(cond["rate_at_least"], f"rate_at_least of gate {ident!r}", 0, 1),
                evidence_at_least={
                    k: _number(v, f"evidence bar {k!r} of gate {ident!r}") for k, v in evidence.items()
                },
                evidence_absent=tuple(str(k) for k in cond.get("evidence_absent") or ()),
            )
        )
    return Gate(
        id=str(ident), kind=entry["kind"], checks=tuple(checks), when=tuple(conditions), reason=reason.strip()
    )
