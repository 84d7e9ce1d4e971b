"""Policy: per-check parameter overrides (and switches), loaded once, validated, frozen.

A policy file is YAML or JSON:

    name: my-site-policy
    checks:
      missing_values: {warning_rate: 0.10}
      formula_injection: {enabled: false}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from datacert.io import InputError


class PolicyError(InputError):
    """A policy file that cannot be used: unreadable, malformed, or naming unknown checks."""


@dataclass(frozen=True)
class Policy:
    name: str = "default"
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


def load_policy(source: str | Path | Mapping[str, Any] | Policy | None) -> Policy:
    """Read and validate a policy; unknown checks and parameters are errors, never ignored."""
    if source is None:
        return Policy()
    if isinstance(source, Policy):
        return source
    if isinstance(source, Mapping):
        raw = dict(source)
        name = str(raw.get("name", "custom"))
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"Policy file {path} cannot be read: {exc.strerror or exc}.") from exc
        try:
            raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise PolicyError(f"Policy file {path} is not valid YAML/JSON: {exc}".splitlines()[0]) from exc
        if not isinstance(raw, dict):
            raise PolicyError(f"Policy file {path} must hold a mapping at its top level.")
        name = str(raw.get("name", path.stem))
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
    return Policy(name=name, check_params={k: dict(v) for k, v in checks.items()}, raw=raw)
