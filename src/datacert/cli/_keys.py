"""`datacert keys new` and `datacert verify`: Ed25519 signing keys and signature checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import fail

keys_app = typer.Typer(help="Ed25519 signing keys for certificates and plans.")
app.add_typer(keys_app, name="keys")

EXIT_INVALID = 4


@keys_app.command("new")
def new_command(
    name: Path = typer.Argument(Path("datacert"), help="Writes NAME.key (private, 0600) and NAME.pub."),
    force: bool = typer.Option(False, "--force", help="Replace existing key files."),
) -> None:
    """Create a signing key pair. The private key is readable by its owner only; set
    $DATACERT_KEY_PASSPHRASE to encrypt it."""
    from datacert.audit.signing import SigningKeyError, key_id, load_public_key, new_key_pair

    try:
        private_path, public_path = new_key_pair(name, overwrite=force)
    except SigningKeyError as exc:
        raise fail(str(exc)) from None
    sys.stdout.write(
        f"Private key {private_path} (mode 600, keep it secret); public key {public_path} "
        f"({key_id(load_public_key(public_path))}): give it to whoever verifies.\n"
    )


@app.command("verify")
def verify_command(
    document: Path = typer.Argument(..., help="A signed certificate or plan (JSON).", show_default=False),
    pub: Path | None = typer.Option(None, "--pub", help="The signer's public key (PEM): checks who signed."),
    data: Path | None = typer.Option(
        None, "--data", help="Also check that this data file is the one the certificate describes."
    ),
) -> None:
    """Verify a signature over the whole document, `run` included. Exit 0 valid, 4 invalid, 2 bad input."""
    from datacert.audit.signing import SigningKeyError, load_public_key, verify_document

    try:
        public = load_public_key(pub) if pub is not None else None
    except SigningKeyError as exc:
        raise fail(str(exc)) from None
    try:
        text = document.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {document}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        sys.stdout.write(f"INVALID: {document} is not UTF-8 text any more: the file was altered.\n")
        raise typer.Exit(EXIT_INVALID) from None
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        sys.stdout.write(f"INVALID: {document} is no longer valid JSON ({exc}): the file was altered.\n")
        raise typer.Exit(EXIT_INVALID) from None
    if not isinstance(parsed, dict):
        raise fail(f"{document} is not a certificate or plan.")
    result = verify_document(parsed, public)
    ok = result.valid
    lines = [("valid: " if ok else "INVALID: ") + result.message]
    if data is not None:
        match, message = _data_matches(parsed, data)
        ok = ok and match
        lines.append(("data matches: " if match else "DATA DIFFERS: ") + message)
    sys.stdout.write("\n".join(lines) + "\n")
    raise typer.Exit(0 if ok else EXIT_INVALID)


def _data_matches(document: dict, data: Path) -> tuple[bool, str]:
    """Compare the file's content fingerprint with the one the certificate (or plan) recorded."""
    from datacert.assay import load_dataset
    from datacert.io import InputError

    expected = (document.get("dataset") or {}).get("fingerprint") or (document.get("output") or {}).get(
        "fingerprint"
    )
    if not expected:
        return False, "the document records no data fingerprint."
    try:
        actual = load_dataset(data).fingerprint
    except InputError as exc:
        raise fail(str(exc)) from None
    if actual == expected:
        return True, f"{data.name} has the recorded fingerprint {expected}."
    return False, f"{data.name} has fingerprint {actual}, the document records {expected}."
