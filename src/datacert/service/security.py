"""Passwords, API tokens, sessions, CSRF and object ids.

Passwords and API token secrets are hashed with argon2 (argon2-cffi). A token reads
`dct_<id>_<secret>`: the id finds the row, argon2 checks the secret. argon2 is slow on purpose
(tens of milliseconds), which a busy API client would pay on every request, so a verified token
is remembered in memory for a short while under the sha256 of the whole token; a revoked token is
dropped from that cache at once by the process that revoked it, and by the others when the entry
expires (TOKEN_CACHE_SECONDS).
Session cookies hold a random value; the database keeps only its sha256 (the value has 256 bits
of entropy, so a fast hash suffices there). CSRF tokens are an HMAC of the session value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "dct"
TOKEN_CACHE_SECONDS = 60.0

_hasher = PasswordHasher()
# A hash to verify against when the user or token does not exist, so that the time taken does
# not tell an attacker which usernames exist.
_DUMMY_HASH = _hasher.hash("no such user")


def new_id() -> str:
    """A random object id (128 bits, URL-safe): ids are not guessable or enumerable."""
    return secrets.token_urlsafe(16).replace("-", "a").replace("_", "b")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str, str]:
    """(token id, secret, full token to show the user once)."""
    token_id = new_id()
    secret = secrets.token_urlsafe(32)
    return token_id, secret, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class VerifiedTokenCache:
    """Tokens verified recently: sha256(token) -> (user id, token id, expiry)."""

    def __init__(self, seconds: float = TOKEN_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[str, str, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> tuple[str, str] | None:
        key = sha256_hex(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[2] < time.monotonic():
                self._entries.pop(key, None)
                return None
            return entry[0], entry[1]

    def put(self, token: str, user_id: str, token_id: str) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[sha256_hex(token)] = (user_id, token_id, time.monotonic() + self.seconds)

    def forget_token_id(self, token_id: str) -> None:
        with self._lock:
            for key in [k for k, v in self._entries.items() if v[1] == token_id]:
                del self._entries[key]


def new_session_value() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret_key: str, session_value: str) -> str:
    return hmac.new(secret_key.encode(), b"csrf:" + session_value.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, session_value: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret_key, session_value), given or "")
