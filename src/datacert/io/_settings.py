"""Settings files (policies, schemas, reference populations, recipes): JSON or YAML, one error shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def read_settings_file(path: str | Path, error: type[Exception], label: str) -> Any:
    """Parse a `.json` file as JSON and anything else as YAML (a superset of JSON).

    Every problem raises `error` with one sentence that starts with `label`
    (e.g. "Policy file policy.yaml"), so each command can exit 2 with a message users can act on.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{label} cannot be read: it does not exist.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"{label} cannot be read as UTF-8 text: {reason}.") from None
    is_json = path.suffix.lower() == ".json"
    try:
        return json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise error(f"{label} is not valid {'JSON' if is_json else 'YAML/JSON'}: {first}") from None
