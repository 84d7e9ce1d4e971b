"""Service settings: where the database and the files live, and the limits that protect the server."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_MAX_UPLOAD = 2 * 1024**3  # 2 GB
DEFAULT_MAX_LINE = 16 * 1024**2  # a text line longer than 16 MiB is not a table record


def datacert_home() -> Path:
    """$DATACERT_HOME, or ~/.datacert."""
    return Path(os.environ.get("DATACERT_HOME") or Path.home() / ".datacert")


def parse_size(text: str | int) -> int:
    """'2G', '500M', '64k' or a plain number of bytes."""
    if isinstance(text, int):
        return text
    value = text.strip().upper().removesuffix("B")
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    if value and value[-1] in units:
        return int(float(value[:-1]) * units[value[-1]])
    return int(value)


@dataclass(frozen=True)
class Settings:
    """Everything the app, the worker and the tests configure. Immutable: use `.with_(...)`."""

    home: Path = field(default_factory=datacert_home)
    database_url: str | None = None  # None: SQLite file in home/service/datacert.db
    storage_dir: Path | None = None  # None: home/service/files
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    max_line_bytes: int = DEFAULT_MAX_LINE
    # a job whose worker has not renewed its lease for this long is taken up by another worker
    lease_seconds: float = 60.0
    max_attempts: int = 3
    rate_per_second: float = 50.0  # per API token (or per session / client address)
    rate_burst: int = 200
    secure_cookies: bool = False  # set when served behind HTTPS
    session_hours: float = 12.0
    inline_worker: bool = True  # `datacert serve` runs a worker thread unless told not to
    poll_seconds: float = 1.0

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        settings = cls()
        if env.get("DATACERT_DATABASE"):
            settings = settings.with_(database_url=env["DATACERT_DATABASE"])
        if env.get("DATACERT_STORAGE"):
            settings = settings.with_(storage_dir=Path(env["DATACERT_STORAGE"]))
        if env.get("DATACERT_MAX_UPLOAD"):
            settings = settings.with_(max_upload_bytes=parse_size(env["DATACERT_MAX_UPLOAD"]))
        if env.get("DATACERT_LEASE_SECONDS"):
            settings = settings.with_(lease_seconds=float(env["DATACERT_LEASE_SECONDS"]))
        return settings

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def service_dir(self) -> Path:
        return Path(self.home) / "service"

    @property
    def files_dir(self) -> Path:
        return Path(self.storage_dir) if self.storage_dir else self.service_dir / "files"

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.service_dir / 'datacert.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")
