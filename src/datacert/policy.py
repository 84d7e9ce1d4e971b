"""Policy: per-check parameters and the scoring profile, loaded once, validated, frozen.

A policy file is YAML or JSON. Its `checks` part overrides check parameters; everything else
extends a scoring profile (the built-in `default`, or the one named by `profile:` or --profile):

    name: my-site-policy
    version: "2"
    profile: diagnostic_classifier
    fail_on: prequalify
    checks:
      missing_values: {warning_rate: 0.10}
      formula_injection: {enabled: false}
    dimensions: {privacy: 2}
    indicators:
      - {id: label_noise_rate, good: 0.01, bad: 0.15}
    gates:
      - {id: my_gate, kind: blocking, checks: [direct_identifier], when: [{min_severity: warning}],
         reason: "Identifiers may never enter this enclave."}
    floors: {overall: 80}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datacert.io import InputError, read_settings_file


class PolicyError(InputError):
    """A policy file that cannot be used: unreadable, malformed, or naming unknown checks."""


POLICY_KEYS = {
    "name",
    "version",
    "title",
    "description",
    "profile",
    "fail_on",
    "checks",
    "dimensions",
    "indicators",
    "default_indicator",
    "gates",
    "floors",
    "required_roles",
    "bootstrap",
}
_SCORING_KEYS = POLICY_KEYS - {"profile", "fail_on", "checks"}


@dataclass(frozen=True)
class Policy:
    name: str = "default"
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)
    scoring: Any = None  # a datacert.scoring.ScoringProfile; None means the built-in default profile
    fail_on: str | None = None


def load_policy(source: str | Path | Mapping[str, Any] | Policy | None, profile: str | None = None) -> Policy:
    """Read and validate a policy; unknown checks, parameters and entries are errors, never ignored.

    `profile` names the built-in scoring profile to start from (it wins over the policy's own
    `profile:` entry); the policy's scoring entries then extend it.
    """
    if source is None:
        return Policy(scoring=_scoring(profile or "default", {})) if profile else Policy()
    if isinstance(source, Policy):
        return source
    if isinstance(source, Mapping):
        raw = dict(source)
        name = str(raw.get("name", "custom"))
    else:
        path = Path(source)
        raw = read_settings_file(path, PolicyError, f"Policy file {path}")
        if not isinstance(raw, dict):
            raise PolicyError(f"Policy file {path} must hold a mapping at its top level.")
        name = str(raw.get("name", path.stem))
    unknown = sorted(str(k) for k in set(raw) - POLICY_KEYS)
    if unknown:
        raise PolicyError(
            f"The policy has an unknown entry {unknown[0]!r} (known: {', '.join(sorted(POLICY_KEYS))})."
        )
    fail_on = raw.get("fail_on")
    if fail_on is not None and fail_on not in ("prequalify", "reject"):
        raise PolicyError(f"The policy's fail_on must be prequalify or reject, not {fail_on!r}.")
    base = profile or raw.get("profile") or "default"
    if not isinstance(base, str):
        raise PolicyError("The policy's 'profile' entry must name a built-in scoring profile.")
    substantive = _SCORING_KEYS - {"name", "version", "title", "description"}
    scoring = _scoring(
        base, {k: v for k, v in raw.items() if k in _SCORING_KEYS} if substantive & set(raw) else {}
    )
    checks = raw.get("checks", {}) or {}
    if not isinstance(checks, dict):
        raise PolicyError("The policy's 'checks' entry must map check ids to parameter mappings.")
    from datacert.checks import load_all_checks, resolve_params

    registry = load_all_checks()
    for check_id, params in checks.items():
        if check_id not in registry:
            raise PolicyError(f"The policy names an unknown check {check_id!r}.")
        if not isinstance(params, dict):
            raise PolicyError(f"The policy's entry for {check_id!r} must be a mapping of parameters.")
        try:
            resolve_params(registry[check_id], params)
        except ValueError as exc:
            raise PolicyError(str(exc)) from exc
    return Policy(
        name=name,
        check_params={k: dict(v) for k, v in checks.items()},
        raw=raw,
        scoring=scoring,
        fail_on=fail_on,
    )


def _scoring(base: str, overrides: Mapping[str, Any]):
    """The scoring profile `base` extended by the policy's scoring entries, as a PolicyError if invalid."""
    from datacert.checks import load_all_checks
    from datacert.scoring import ProfileError, load_scoring_profile

    registered = {k: cls.dimension for k, cls in load_all_checks().items()}
    try:
        return load_scoring_profile(base, overrides or None, registered)
    except ProfileError as exc:
        raise PolicyError(str(exc)) from None
