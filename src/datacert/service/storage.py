"""Uploads and artefacts on disk.

An upload is parsed from the request stream as it arrives (python-multipart's push parser) and
written to a temporary file, never held in memory; the size limit and, for text, the longest line
are enforced while it streams, so a 2 GB body or a 1 GB line is refused after reading at most the
limit. The file type is then decided from the content, not from its name. Accepted files are stored
once under their sha256 (content-addressed); refused ones leave nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from datacert.service.config import Settings

MAX_FIELD_BYTES = 64 * 1024
# an xlsx whose parts inflate more than this many times their compressed size is a zip bomb
MAX_ZIP_RATIO = 200
SAS7BDAT_MAGIC = bytes.fromhex("000000000000000000000000c2ea8160b31411cfbd92080009c7318c181f1011")
TEXT_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
BINARY_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xpt": "xpt",
    ".sas7bdat": "sas7bdat",
}
EXTENSION = {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl", "parquet": ".parquet", "xlsx": ".xlsx"}
EXTENSION |= {"xpt": ".xpt", "sas7bdat": ".sas7bdat"}


class UploadRejected(Exception):
    """An upload refused with an HTTP status and one clear sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ReceivedFile:
    path: Path
    filename: str
    size: int
    sha256: str
    head: bytes
    longest_line: int


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    file: ReceivedFile | None = None

    def discard(self) -> None:
        if self.file is not None:
            self.file.path.unlink(missing_ok=True)


class _StreamingForm:
    """Callbacks for python-multipart: small fields into memory, the one file part onto disk."""

    def __init__(self, settings: Settings, tmp_dir: Path) -> None:
        self.settings = settings
        self.tmp_dir = tmp_dir
        self.form = ReceivedForm()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._filename: str | None = None
        self._value = bytearray()
        self._field_bytes = 0
        self._handle: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._digest = hashlib.sha256()
        self._size = 0
        self._head = bytearray()
        self._line = 0
        self._longest = 0
        self._text: bool | None = None

    # header callbacks
    def on_part_begin(self) -> None:
        self._headers = {}
        self._header_field = b""
        self._header_value = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._filename = None if filename is None else Path(filename.decode("utf-8", "replace")).name
        self._value = bytearray()
        if self._filename is not None:
            if self.form.file is not None or self._handle is not None:
                raise UploadRejected(400, "send one file per submission.")
            self._handle = tempfile.NamedTemporaryFile(dir=self.tmp_dir, prefix="upload-", delete=False)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._handle is None:
            self._field_bytes += len(chunk)
            if self._field_bytes > MAX_FIELD_BYTES:
                raise UploadRejected(413, "the form fields are too long.")
            self._value += chunk
            return
        self._size += len(chunk)
        if self._size > self.settings.max_upload_bytes:
            raise UploadRejected(
                413,
                f"the file is larger than this server's upload limit of {_human(self.settings.max_upload_bytes)}.",
            )
        if len(self._head) < 8192:
            self._head += chunk[: 8192 - len(self._head)]
        if self._text is None and len(self._head) >= min(8192, self._size):
            self._text = _looks_like_text(bytes(self._head))
        if self._text:
            self._track_lines(chunk)
        self._digest.update(chunk)
        self._handle.write(chunk)

    def _track_lines(self, chunk: bytes) -> None:
        last = chunk.rfind(b"\n")
        if last < 0:
            self._line += len(chunk)
        else:
            first = chunk.find(b"\n")
            self._longest = max(self._longest, self._line + first)
            if first != last:  # the lines in between
                self._longest = max(self._longest, _longest_inner(chunk, first, last))
            self._line = len(chunk) - last - 1
        if max(self._line, self._longest) > self.settings.max_line_bytes:
            raise UploadRejected(
                422,
                f"a line of the file is longer than {_human(self.settings.max_line_bytes)}: "
                "this is not a table datacert can read.",
            )

    def on_part_end(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._longest = max(self._longest, self._line)
            self.form.file = ReceivedFile(
                Path(self._handle.name),
                self._filename or "upload",
                self._size,
                self._digest.hexdigest(),
                bytes(self._head),
                self._longest,
            )
            self._handle = None
        elif self._name:
            self.form.fields[self._name] = self._value.decode("utf-8", "replace")

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            Path(self._handle.name).unlink(missing_ok=True)
            self._handle = None
        self.form.discard()


def _longest_inner(chunk: bytes, first: int, last: int) -> int:
    longest, position = 0, first
    while position < last:
        following = chunk.find(b"\n", position + 1)
        longest = max(longest, following - position - 1)
        position = following
    return longest


async def receive_form(
    settings: Settings, content_type: str | None, content_length: str | None, body: AsyncIterator[bytes]
) -> ReceivedForm:
    """Parse a multipart/form-data body from its stream; raise UploadRejected with a clear reason."""
    if (
        content_length
        and content_length.isdigit()
        and int(content_length) > settings.max_upload_bytes + 1024**2
    ):
        raise UploadRejected(
            413, f"the upload is larger than this server's limit of {_human(settings.max_upload_bytes)}."
        )
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise UploadRejected(415, "send the file as multipart/form-data with a 'file' field.")
    tmp_dir = settings.files_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    receiver = _StreamingForm(settings, tmp_dir)
    callbacks = {
        name: getattr(receiver, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(options[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except UploadRejected:
        receiver.abort()
        raise
    except Exception as exc:  # a malformed body: python-multipart raises its own errors
        receiver.abort()
        raise UploadRejected(400, "the upload is not a well-formed multipart form.") from exc
    return receiver.form


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return controls <= len(head) // 100


def sniff_format(received: ReceivedFile, settings: Settings) -> str:
    """The file's format from its bytes; UploadRejected when it is not a table we read, or hostile."""
    head = received.head
    suffix = Path(received.filename).suffix.lower()
    if received.size == 0:
        raise UploadRejected(422, "the file is empty.")
    if head.startswith(b"PAR1"):
        fmt = "parquet"
        with received.path.open("rb") as handle:
            handle.seek(-4, os.SEEK_END)
            if handle.read(4) != b"PAR1":
                raise UploadRejected(422, "the Parquet file is truncated (no footer).")
    elif head.startswith(b"PK\x03\x04"):
        fmt = "xlsx"
        _inspect_xlsx(received.path, settings)
    elif head.startswith(b"HEADER RECORD*******LIBRARY"):
        fmt = "xpt"
    elif head.startswith(SAS7BDAT_MAGIC):
        fmt = "sas7bdat"
    elif _looks_like_text(head):
        fmt = TEXT_SUFFIXES.get(suffix) or ("jsonl" if head.lstrip().startswith(b"{") else "csv")
    elif head.startswith(b"\x1f\x8b"):
        raise UploadRejected(415, "compressed (gzip) files are not accepted: send the table uncompressed.")
    else:
        raise UploadRejected(
            415,
            "the file is binary data of a kind datacert does not read "
            "(accepted: CSV/TSV, JSON Lines, Parquet, Excel .xlsx, SAS .xpt/.sas7bdat).",
        )
    named = TEXT_SUFFIXES.get(suffix) or BINARY_SUFFIXES.get(suffix)
    if named and (named in TEXT_SUFFIXES.values()) != (fmt in TEXT_SUFFIXES.values()):
        raise UploadRejected(415, f"the file is named {suffix} but its content is {fmt}.")
    if named and named not in TEXT_SUFFIXES.values() and named != fmt:
        raise UploadRejected(415, f"the file is named {suffix} but its content is {fmt}.")
    return fmt


def _inspect_xlsx(path: Path, settings: Settings) -> None:
    """An xlsx is a zip: refuse archives that are not workbooks or that inflate out of bounds."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UploadRejected(422, "the file starts like a zip archive but is not a readable one.") from exc
    with archive:
        names = archive.namelist()
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise UploadRejected(
                415, "the zip archive is not an Excel workbook (.xlsx); send the table itself."
            )
        budget = settings.max_upload_bytes
        total = 0
        for info in archive.infolist():
            if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise UploadRejected(422, "the workbook inflates far beyond its size (a zip bomb); refused.")
            # inflate for real: declared sizes can lie
            with archive.open(info) as member:
                while chunk := member.read(1024 * 1024):
                    total += len(chunk)
                    if total > budget:
                        raise UploadRejected(
                            422, "the workbook inflates beyond the upload limit (a zip bomb); refused."
                        )


class Storage:
    """Content-addressed uploads and per-project artefacts under one folder."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.files_dir
        self.root.mkdir(parents=True, exist_ok=True)

    def absolute(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("path outside the storage folder")
        return path

    def keep_upload(self, received: ReceivedFile, fmt: str) -> str:
        """Move an accepted upload to its content address; return the relative path."""
        relative = f"uploads/{received.sha256[:2]}/{received.sha256}{EXTENSION[fmt]}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            received.path.unlink(missing_ok=True)
        else:
            os.replace(received.path, target)
        return relative

    def write_artifact(
        self, project_id: str, artifact_id: str, filename: str, content: bytes | Path
    ) -> tuple[str, int, str]:
        """Write an artefact atomically; return (relative path, size, sha256)."""
        relative = f"artifacts/{project_id}/{artifact_id}-{filename}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as handle:
                if isinstance(content, Path):
                    with content.open("rb") as source:
                        while chunk := source.read(1024 * 1024):
                            digest.update(chunk)
                            handle.write(chunk)
                else:
                    digest.update(content)
                    handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return relative, target.stat().st_size, digest.hexdigest()

    def remove_tree(self, relative: str) -> None:
        shutil.rmtree(self.root / relative, ignore_errors=True)


def _human(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def received_from_path(settings: Settings, source: Path, filename: str | None = None) -> ReceivedFile:
    """A local file as if it had been uploaded (the demo set-up and tests): copied, hashed, sized."""
    tmp_dir = settings.files_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False)
    digest, size, head, longest, line = hashlib.sha256(), 0, b"", 0, 0
    with handle, source.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            head = (head + chunk[: 8192 - len(head)]) if len(head) < 8192 else head
            parts = chunk.split(b"\n")
            if len(parts) == 1:
                line += len(chunk)
            else:
                longest = max(longest, line + len(parts[0]), *(len(p) for p in parts[1:-1]))
                line = len(parts[-1])
            handle.write(chunk)
    return ReceivedFile(
        Path(handle.name), filename or source.name, size, digest.hexdigest(), head, max(longest, line)
    )
