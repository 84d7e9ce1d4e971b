"""The check contract: identity and needs as class attributes, all work in a pure `run`.

A check receives the dataset, its profile and its own parameters (defaults merged with the
user's policy) and returns a CheckResult. It never reads files, the clock or the environment,
never prints and never mutates its inputs. When its needs are not met it is not run: the runner
records it as not applicable, with the reason, so users see what was not checked.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from datacert.artifacts import ARTIFACTS
from datacert.dataset import Dataset
from datacert.findings import DIMENSIONS, Finding, Severity, Status
from datacert.profile import Profile
from datacert.semantics import SemanticType


@dataclass(frozen=True)
class Needs:
    """What a check needs to be meaningful; the runner tests it before calling `run`."""

    roles: tuple[str, ...] = ()  # every one of these roles must be set
    any_role: tuple[str, ...] = ()  # at least one of these roles must be set
    min_rows: int = 1
    column_types: tuple[SemanticType, ...] = ()  # at least one column of one of these types
    numeric_features: int = 0  # at least this many numeric feature columns
    # shared results the check reads (datacert.artifacts): computed once per dataset, for all
    artifacts: tuple[str, ...] = ()

    def unmet(self, data: Dataset) -> str | None:
        """Why the check cannot run on this dataset, or None when it can.

        Roles are named as both callers give them: `target="..."` in Python, `--target` on the
        command line.
        """
        missing = [r for r in self.roles if not data.roles.has(r)]
        if missing:
            return (
                f"needs the {' and '.join(missing)} role ({_how_to_give(missing, ' and ')}), "
                "which was not given or inferred"
            )
        if self.any_role and not any(data.roles.has(r) for r in self.any_role):
            return (
                f"needs one of the roles {', '.join(self.any_role)} ({_how_to_give(self.any_role, ' or ')})"
            )
        if data.n_rows < self.min_rows:
            return f"needs at least {self.min_rows} records, the table has {data.n_rows}"
        if self.column_types and not data.columns_of_type(*self.column_types):
            kinds = ", ".join(str(k) for k in self.column_types)
            return f"needs a column of type {kinds}, and the table has none"
        if self.numeric_features and len(data.numeric_feature_columns()) < self.numeric_features:
            return f"needs at least {self.numeric_features} numeric feature columns"
        return None


def _how_to_give(roles: Sequence[str], joiner: str) -> str:
    python = joiner.join(f"{r}=" for r in roles)
    flags = joiner.join(f"--{r}" for r in roles)
    return f"{python} in Python, {flags} on the command line"


@dataclass(frozen=True)
class CheckResult:
    """What one check returns: its status, its findings, and a summary of what it measured."""

    status: Status
    findings: tuple[Finding, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def fired(cls, findings: Iterable[Finding], evidence: Mapping[str, Any] | None = None) -> CheckResult:
        found = tuple(findings)
        if not found:
            return cls.quiet(evidence)
        return cls(Status.FIRED, found, dict(evidence or {}))

    @classmethod
    def quiet(cls, evidence: Mapping[str, Any] | None = None) -> CheckResult:
        return cls(Status.QUIET, (), dict(evidence or {}))

    @classmethod
    def not_applicable(cls, reason: str) -> CheckResult:
        return cls(Status.NOT_APPLICABLE, (), {}, reason)


# Kahn et al. (2016) harmonised data-quality terms: category.subcategory. Checks outside the
# framework (leakage, privacy, security, sample sufficiency) declare None.
KAHN_CATEGORIES = (
    "completeness",
    "conformance.value",
    "conformance.relational",
    "conformance.computational",
    "plausibility.uniqueness",
    "plausibility.atemporal",
    "plausibility.temporal",
)
# The governance questions a check's findings answer (EU AI Act art. 10, "Datasheets for Datasets",
# Croissant's responsible-AI fields). datacert.audit asks the registry which checks bear on each
# topic (`checks_about`), so the audit documents never name a check.
GOVERNANCE_TOPICS: Mapping[str, str] = {
    "labelling": "annotation and labelling quality (art. 10(2)(c))",
    "sufficiency": "availability, quantity and suitability of the data (art. 10(2)(e))",
    "bias": "possible biases in who and what the data represent (art. 10(2)(f))",
    "subgroups": "subgroup sizes and outcomes across the sensitive attributes (art. 10(2)(f)-(g))",
    "class_balance": "the shares of the target's classes",
    "setting": "fit to the geographical, contextual or functional setting of use (art. 10(4))",
    "shift": "differences between partitions, sites or periods of the table",
    "personal_data": "identifiers and other personal data (art. 10(5), GDPR)",
    "missingness": "information missing from records",
    "split_leakage": "leakage across the recommended data splits",
    "errors": "errors, noise and redundancies in the records",
}
PARAM_TYPES = ("number", "integer", "boolean", "string", "date", "array")
FIGURE_KINDS = ("distribution",)


class ParameterError(ValueError):
    """A check parameter that cannot be used; the message names the check, the parameter and the range."""


@dataclass(frozen=True)
class Param:
    """One tunable knob of a check: its type, bounds, default and what it means.

    `type` is inferred from the default when not given. `low`/`high` bound numbers (inclusive);
    `choices` lists the allowed values of a string, or of an array's items. `nullable` lets the
    policy set it to null (the check then uses its own data-driven choice).
    """

    name: str
    default: Any
    meaning: str
    type: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    nullable: bool = False

    def __post_init__(self) -> None:
        if not self.type:
            object.__setattr__(self, "type", _type_of(self.default))
        if self.type not in PARAM_TYPES:
            raise TypeError(f"parameter {self.name!r} has unknown type {self.type!r}")

    def allowed(self) -> str:
        """The allowed values in words, for error messages and the catalogue."""
        kind = {
            "number": "a number",
            "integer": "a whole number",
            "boolean": "true or false",
            "string": "a text",
            "date": "an ISO date (YYYY-MM-DD)",
            "array": "a list",
        }[self.type]
        if self.low is not None and self.high is not None:
            kind += f" between {self.low:g} and {self.high:g}"
        elif self.low is not None:
            kind += f" of at least {self.low:g}"
        elif self.high is not None:
            kind += f" of at most {self.high:g}"
        if self.choices:
            kind += f" {'of' if self.type == 'array' else 'among'} {', '.join(map(str, self.choices))}"
        if self.nullable:
            kind += ", or null"
        return kind

    def validate(self, value: Any, check_id: str) -> Any:
        """The value if it fits this parameter, else a ParameterError naming check, parameter and range."""
        if value is None and self.nullable:
            return None
        if not self._fits(value):
            raise ParameterError(
                f"check {check_id!r} parameter {self.name!r} must be {self.allowed()}, not {value!r}"
            )
        return value

    def _fits(self, value: Any) -> bool:
        if self.type in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            if self.type == "integer" and not isinstance(value, int):
                return False
            if value != value:  # NaN
                return False
            return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)
        if self.type == "boolean":
            return isinstance(value, bool)
        if self.type == "string":
            return isinstance(value, str) and (not self.choices or value in self.choices)
        if self.type == "date":
            if not isinstance(value, (str, _dt.date)):
                return False
            try:
                _dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                return False
            return True
        if not isinstance(value, (list, tuple)):
            return False
        return not self.choices or all(v in self.choices for v in value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": _plain(self.default)}
        if self.low is not None:
            out["low"] = self.low
        if self.high is not None:
            out["high"] = self.high
        if self.choices:
            out["choices"] = list(self.choices)
        if self.nullable:
            out["nullable"] = True
        out["meaning"] = self.meaning
        return out


def _type_of(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, float):
        return "number"
    if isinstance(default, str):
        return "string"
    if isinstance(default, (list, tuple)):
        return "array"
    raise TypeError(f"cannot infer a parameter type from the default {default!r}; give type=")


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Remedy:
    """What answers a check's findings: the action, its place in the order, and who applies it.

    `automatic` means pre-qualification applies it without a person; it is only allowed for a
    check whose `correction()` hook builds the steps (the common tests enforce it). `step` names
    the pre-qualification step that applies it when that is not called like the action.
    """

    action: str = "review"
    order: int = 99
    automatic: bool = False
    step: str | None = None


@dataclass(frozen=True)
class Figure:
    """A plot the report draws for this check's findings (data computed by datacert.figures).

    `priority` orders findings of equal severity (lower first); `log_scale` draws positive values
    on a log axis (units that differ by a factor).
    """

    kind: str = "distribution"
    priority: int = 50
    log_scale: bool = False


class CorrectionPlan(Protocol):
    """What a check's `correction()` hook may add to (built and applied by datacert.prequalification).

    Steps are named by their plan action (`neutralise_formulas`, `convert_type`, ...), so checks
    never import step classes. Column drops from several checks become one `drop_columns` step.
    """

    @property
    def protected(self) -> frozenset[str]:
        """Role columns: never dropped, only reported."""

    @property
    def dropped(self) -> Mapping[str, str]:
        """Column -> the check that drops it, so far."""

    leaking: list[str]
    outlier_columns: list[str]
    signal_rank: int | None
    informative: list[str]

    def add_row_step(self, action: str, **params: Any) -> None: ...

    def add_step(self, action: str, **params: Any) -> None: ...

    def drop(self, columns: Iterable[str], check: str) -> None: ...


class Check:
    """Base of every check. Subclasses set the class attributes below and `run`.

    Constructing a check does nothing. `params` holds the tunable knobs (typed, bounded, with
    defaults); a policy file may override them per check and is validated against them.
    """

    id: ClassVar[str]
    dimension: ClassVar[str]
    kahn: ClassVar[str | None] = None
    needs: ClassVar[Needs] = Needs()
    params: ClassVar[tuple[Param, ...]] = ()
    remedy: ClassVar[Remedy] = Remedy()
    figure: ClassVar[Figure | None] = None
    governance: ClassVar[tuple[str, ...]] = ()  # GOVERNANCE_TOPICS its findings answer
    cost: ClassVar[str] = "linear"  # linear | n log n | sampled | blocked pairwise | model fits
    # CPU seconds of its own work on a 100,000-record sample of the tall benchmark table (a warm
    # run): the weight by which the Dask engine spreads the checks over its workers
    sample_cpu_seconds: ClassVar[float] = 0.02
    # when this check's correction hook runs (default: its remedy order); a hook that drops columns
    # must run before hooks that skip dropped columns
    correction_order: ClassVar[int | None] = None

    def run(self, data: Dataset, profile: Profile, params: Mapping[str, Any]) -> CheckResult:
        raise NotImplementedError

    def correction(self, findings: Sequence[Finding], data: Dataset, plan: CorrectionPlan) -> bool:
        """Add the pre-qualification steps that answer these findings; True when they are answered.

        The default answers nothing: the findings are listed as left to people.
        """
        return False

    @classmethod
    def has_correction(cls) -> bool:
        return cls.correction is not Check.correction

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Parameter name -> default value."""
        return {p.name: list(p.default) if isinstance(p.default, tuple) else p.default for p in cls.params}

    @classmethod
    def resolve_params(cls, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults merged with a policy's overrides, each validated; unknown names are an error."""
        specs = {p.name: p for p in cls.params}
        values = cls.defaults()
        for key, value in (overrides or {}).items():
            if key == "enabled":
                if not isinstance(value, bool):
                    raise ParameterError(
                        f"check {cls.id!r} entry 'enabled' must be true or false, not {value!r}"
                    )
                continue
            if key not in specs:
                known = ", ".join(sorted(specs)) or "none"
                raise ParameterError(
                    f"policy sets unknown parameter {key!r} for check {cls.id!r} (known: {known})"
                )
            values[key] = specs[key].validate(value, cls.id)
        return values

    def finding(
        self,
        severity: Severity | str,
        message: str,
        *,
        columns: Sequence[str] = (),
        rows: Iterable[int] | np.ndarray = (),
        row_count: int | None = None,
        evidence: Mapping[str, Any] | None = None,
        remedy: str = "",
    ) -> Finding:
        """A finding already labelled with this check's id and dimension."""
        return Finding.make(
            self.id,
            self.dimension,
            severity,
            message,
            columns=columns,
            rows=rows,
            row_count=row_count,
            evidence=evidence,
            remedy=remedy,
        )


def validate_check_class(cls: type[Check]) -> None:
    """Identity is checked when a check is registered, not when it first runs."""
    for attribute in ("id", "dimension"):
        if not isinstance(getattr(cls, attribute, None), str):
            raise TypeError(f"{cls.__name__} must define a class attribute {attribute!r}")
    if cls.dimension not in DIMENSIONS:
        raise ValueError(f"{cls.__name__}.dimension {cls.dimension!r} is not one of {DIMENSIONS}")
    if not cls.id.isidentifier() or cls.id != cls.id.lower():
        raise ValueError(f"check id {cls.id!r} must be a snake_case identifier")
    if not isinstance(cls.needs, Needs):
        raise TypeError(f"{cls.__name__}.needs must be a Needs")
    unknown = sorted(set(cls.needs.artifacts) - set(ARTIFACTS))
    if unknown:
        raise ValueError(f"{cls.__name__}.needs names unknown artifacts {unknown} (known: {ARTIFACTS})")
    if cls.kahn is not None and cls.kahn not in KAHN_CATEGORIES:
        raise ValueError(f"{cls.__name__}.kahn {cls.kahn!r} is not one of {KAHN_CATEGORIES}")
    if not isinstance(cls.params, tuple) or not all(isinstance(p, Param) for p in cls.params):
        raise TypeError(f"{cls.__name__}.params must be a tuple of Param")
    names = [p.name for p in cls.params]
    if len(set(names)) != len(names):
        raise ValueError(f"{cls.__name__}.params names a parameter twice")
    for p in cls.params:
        p.validate(p.default, cls.id)  # a default outside its own bounds is a bug of the check
    if not isinstance(cls.remedy, Remedy):
        raise TypeError(f"{cls.__name__}.remedy must be a Remedy")
    if cls.remedy.automatic and not cls.has_correction():
        raise ValueError(
            f"{cls.__name__}: an automatic remedy needs a correction() hook that builds its steps"
        )
    if not isinstance(cls.governance, tuple) or not set(cls.governance) <= set(GOVERNANCE_TOPICS):
        raise ValueError(
            f"{cls.__name__}.governance must be a tuple of {tuple(GOVERNANCE_TOPICS)}, not {cls.governance!r}"
        )
    if cls.figure is not None and (not isinstance(cls.figure, Figure) or cls.figure.kind not in FIGURE_KINDS):
        raise TypeError(f"{cls.__name__}.figure must be a Figure of kind {FIGURE_KINDS}")
