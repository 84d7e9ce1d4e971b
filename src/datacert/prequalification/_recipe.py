"""User-fixed recipes (`--recipe RECIPE.yaml`): a list of steps with parameters, validated.

steps:
  - action: deduplicate
  - action: sentinel_to_missing          # parameters left out are taken from the findings
  - action: impute
    method: knn
    n_neighbors: 10
  - action: scale
    method: robust
  - action: pca
    n_components: 8
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from datacert.io import InputError, read_settings_file
from datacert.prequalification._impute import IMPUTE_METHODS
from datacert.prequalification._steps import ROW_STEP_TYPES, SCALERS, STEP_TYPES

USER_ACTIONS = sorted((set(STEP_TYPES) | set(ROW_STEP_TYPES)) - {"features"})


class RecipeError(InputError):
    """A recipe file that cannot be used; the message says which step and why."""


def load_recipe(source: str | Path | Mapping[str, Any] | list[Any]) -> list[dict[str, Any]]:
    """Read and validate a recipe; every problem is an error that names the step."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        raw = read_settings_file(path, RecipeError, f"recipe file {path}")
    else:
        raw = source
    steps = raw.get("steps") if isinstance(raw, Mapping) else raw
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"steps", "name"}
        if unknown:
            raise RecipeError(
                f"the recipe has unknown top-level keys {sorted(unknown)}; only 'steps' and 'name'."
            )
    if not isinstance(steps, list) or not steps:
        raise RecipeError("the recipe must hold a non-empty list of steps under 'steps'.")
    out = []
    for i, item in enumerate(steps, start=1):
        if isinstance(item, str):
            item = {"action": item}
        if not isinstance(item, Mapping) or "action" not in item:
            raise RecipeError(f"recipe step {i} must be a mapping with an 'action'.")
        action = item["action"]
        if action not in USER_ACTIONS:
            raise RecipeError(
                f"recipe step {i}: unknown action {action!r}; known actions: {', '.join(USER_ACTIONS)}."
            )
        cls = STEP_TYPES.get(action) or ROW_STEP_TYPES[action]
        allowed = set(inspect.signature(cls.__init__).parameters) - {"self"}
        params = {k: v for k, v in item.items() if k != "action"}
        bad = sorted(set(params) - allowed)
        if bad:
            raise RecipeError(
                f"recipe step {i} ({action}): unknown parameter(s) {bad}; allowed: {sorted(allowed)}."
            )
        _check_values(i, action, params)
        out.append({"action": action, "params": params})
    return out


def _check_values(i: int, action: str, params: Mapping[str, Any]) -> None:
    where = f"recipe step {i} ({action})"
    if action == "impute" and params.get("method", "median") not in IMPUTE_METHODS:
        raise RecipeError(f"{where}: method must be one of {', '.join(IMPUTE_METHODS)}.")
    if action == "scale" and params.get("method", "standard") not in SCALERS:
        raise RecipeError(f"{where}: method must be one of {', '.join(SCALERS)}.")
    if action == "pca":
        k = params.get("n_components", 10)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise RecipeError(f"{where}: n_components must be a whole number of at least 1.")
    if action == "winsorise":
        lo, hi = params.get("lower", 0.01), params.get("upper", 0.99)
        if not (isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and 0 <= lo < hi <= 1):
            raise RecipeError(f"{where}: need 0 <= lower < upper <= 1.")
    for key in ("n_neighbors", "max_iter"):
        if key in params and (not isinstance(params[key], int) or params[key] < 1):
            raise RecipeError(f"{where}: {key} must be a whole number of at least 1.")
