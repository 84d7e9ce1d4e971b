"""The one place where CLI commands are recorded in the audit log and their outputs signed.

`@traced(...)` under `@app.command(...)` adds `--actor` and `--sign KEY` to a command, opens an
audit recording around it (inputs hashed first); every output an OutputSet writes passes through
`datacert.audit.on_output` (registered by cli/_output.py). The command body is not changed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import typer

from datacert.cli._output import fail, stderr

F = TypeVar("F", bound=Callable[..., Any])

ACTOR_HELP = "Who runs this, for the audit log (default: $DATACERT_ACTOR or the login name)."
SIGN_HELP = "Sign the certificate/plan JSON written with this Ed25519 private key (`datacert keys new`)."


def traced(command: str, inputs: Mapping[str, str], sign: bool = True) -> Callable[[F], F]:
    """Record the command as one audit event; `inputs` maps parameter names to file kinds."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: Any, actor: str | None = None, sign_key: Path | None = None, **kwargs: Any) -> Any:
            from datacert.audit import recording
            from datacert.audit.signing import SigningKeyError, load_private_key

            try:
                signer = load_private_key(sign_key) if sign_key is not None else None
            except SigningKeyError as exc:
                raise fail(str(exc)) from None
            files: list[tuple[Path, str]] = []
            for name, kind in inputs.items():
                value = kwargs.get(name)
                for item in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(item, Path):
                        files.append((item, kind))
            with recording(
                command,
                options=kwargs,
                inputs=files,
                actor=actor,
                signer=signer,
                on_store_error=lambda message: stderr.print(f"datacert: {message}", markup=False),
            ):
                return func(*args, **kwargs)

        extra = [
            inspect.Parameter(
                "actor",
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(None, "--actor", help=ACTOR_HELP),
                annotation=str | None,
            )
        ]
        if sign:
            extra.append(
                inspect.Parameter(
                    "sign_key",
                    inspect.Parameter.KEYWORD_ONLY,
                    default=typer.Option(None, "--sign", help=SIGN_HELP),
                    annotation=Path | None,
                )
            )
        parameters = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind is p.POSITIONAL_OR_KEYWORD else p
            for p in signature.parameters.values()
        ]
        wrapper.__signature__ = signature.replace(parameters=[*parameters, *extra])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {
            **func.__annotations__,
            "actor": str | None,
            **({"sign_key": Path | None} if sign else {}),
        }
        return wrapper  # type: ignore[return-value]

    return decorate
