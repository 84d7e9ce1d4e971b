"""Ed25519 signatures for certificates and plans (with the `cryptography` package).

A signed document carries a `signature` block. What is signed is a manifest: the SHA-256 of the
canonical JSON of every other top-level section (`run` included), so verification can say which
section changed, not only that something did. Private keys are written 0600 from the first byte
and refused when group- or world-readable, as OpenSSH does.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from datacert.audit.events import canonical_bytes, sha256_hex

ALGORITHM = "Ed25519"
SIGNATURE_KEY = "signature"
PASSPHRASE_VARIABLE = "DATACERT_KEY_PASSPHRASE"


class SigningKeyError(Exception):
    """A key file that cannot be used (missing, unreadable, too open, wrong kind)."""


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """A short stable name for a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return "ed25519:" + sha256_hex(_raw_public(public))[:16]


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_VARIABLE)
    return value.encode("utf-8") if value else None


def new_key_pair(stem: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Write STEM.key (PKCS#8 PEM, mode 0600, encrypted when $DATACERT_KEY_PASSPHRASE is set) and STEM.pub."""
    stem = Path(stem)
    private_path = stem.with_name(stem.name + ".key")
    public_path = stem.with_name(stem.name + ".pub")
    for path in (private_path, public_path):
        if path.exists() and not overwrite:
            raise SigningKeyError(f"{path} exists; choose another name or remove it first.")
    private = Ed25519PrivateKey.generate()
    passphrase = _passphrase()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.unlink(missing_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, pem)
    finally:
        os.close(fd)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_path.write_bytes(public_pem)
    return private_path, public_path


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror}.") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(
            f"the signing key {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}` first."
        )
    try:
        key = serialization.load_pem_private_key(data, password=_passphrase())
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not a usable private key ({exc}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 private key.")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the public key {path}: {exc.strerror}.") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:  # a private key file also gives its public half
            return load_private_key(path).public_key()
        except SigningKeyError:
            raise SigningKeyError(f"{path} is not a PEM public key.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} is not an Ed25519 public key.")
    return key


def manifest(document: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 of the canonical JSON of each top-level section except the signature itself."""
    return {k: sha256_hex(canonical_bytes(v)) for k, v in document.items() if k != SIGNATURE_KEY}


def sign_document(document: Mapping[str, Any], private: Ed25519PrivateKey) -> dict[str, Any]:
    """The document with its `signature` block (any previous signature replaced)."""
    body = {k: v for k, v in document.items() if k != SIGNATURE_KEY}
    sections = manifest(body)
    public = private.public_key()
    block = {
        "algorithm": ALGORITHM,
        "key_id": key_id(public),
        "public_key": base64.b64encode(_raw_public(public)).decode("ascii"),
        "sections": sections,
        "value": base64.b64encode(private.sign(canonical_bytes(sections))).decode("ascii"),
    }
    return {**body, SIGNATURE_KEY: block}


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    key_id: str | None
    message: str
    changed_sections: list[str] = field(default_factory=list)


def verify_document(document: Mapping[str, Any], public: Ed25519PublicKey | None = None) -> SignatureCheck:
    """Check the signature block against the content; with `public`, also that this key signed it."""
    block = document.get(SIGNATURE_KEY)
    if not isinstance(block, Mapping):
        return SignatureCheck(False, None, "the document carries no signature.")
    try:
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(block["public_key"])))
        value = base64.b64decode(str(block["value"]))
        signed_sections = dict(block["sections"])
    except (KeyError, ValueError, TypeError):
        return SignatureCheck(False, None, "the signature block is malformed.")
    if block.get("algorithm") != ALGORITHM:
        return SignatureCheck(False, None, f"unsupported signature algorithm {block.get('algorithm')!r}.")
    kid = key_id(embedded)
    if public is not None and _raw_public(public) != _raw_public(embedded):
        return SignatureCheck(
            False, kid, f"signed by key {kid}, not by the given public key {key_id(public)}."
        )
    try:
        embedded.verify(value, canonical_bytes(signed_sections))
    except InvalidSignature:
        return SignatureCheck(
            False, kid, "the signature does not match its manifest: the signature block was altered."
        )
    actual = manifest(document)
    changed = sorted(k for k in set(actual) | set(signed_sections) if actual.get(k) != signed_sections.get(k))
    if changed:
        return SignatureCheck(
            False,
            kid,
            "content changed after signing in: " + ", ".join(changed) + ".",
            changed_sections=changed,
        )
    who = "" if public is not None else " (embedded key only: pass --pub to check who signed)"
    return SignatureCheck(True, kid, f"valid signature by {kid}{who}.")


def sign_json_text(text: str, private: Ed25519PrivateKey) -> str:
    """Sign a certificate or plan given as JSON text; keep the file's layout (indented or compact)."""
    document = json.loads(text)
    signed = sign_document(document, private)
    lines = text.lstrip().split("\n", 2)
    indent = len(lines[1]) - len(lines[1].lstrip(" ")) if len(lines) > 1 else 0
    out = json.dumps(signed, sort_keys=True, indent=indent or None, ensure_ascii=False, allow_nan=False)
    return out + ("\n" if text.endswith("\n") else "")
