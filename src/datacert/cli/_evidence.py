"""`datacert evidence DATA_OR_CERT --out pack/`: the evidence pack a reviewer or regulator reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from datacert.cli._app import app
from datacert.cli._output import exit_on_errors, fail, guard_outputs_differ, write_atomic
from datacert.cli._trace import traced


@app.command("evidence")
@traced("evidence", {"source": "data"}, sign=False)
def evidence_command(
    source: Path = typer.Argument(
        ..., help="A certificate (JSON) or the data file it certifies.", show_default=False
    ),
    out: Path = typer.Option(..., "--out", help="Folder to write the pack into, or a .zip file."),
    store: Path | None = typer.Option(
        None, "--store", help="Audit log folder (default: $DATACERT_HOME, else .datacert/ beside SOURCE)."
    ),
    sign_manifest: Path | None = typer.Option(
        None, "--sign", help="Sign the pack's MANIFEST.json with this Ed25519 private key."
    ),
    target: str | None = typer.Option(None, "--target", help="When SOURCE is data never checked: the label."),
    group: str | None = typer.Option(None, "--group", help="When SOURCE is data never checked: the patient."),
    sensitive: list[str] = typer.Option(
        [], "--sensitive", help="When SOURCE is data never checked (repeatable)."
    ),
) -> None:
    """Write certificates, reports, a datasheet, the AI Act art. 10 matrix, the audit-log excerpt,
    signatures, lineage (PROV-JSON, SVG) and Croissant metadata, with a printable index.html."""
    from datacert.audit import open_store
    from datacert.audit.evidence import PackInput, build_pack, pack_name, zip_bytes
    from datacert.audit.lineage import lineage_of
    from datacert.audit.signing import SigningKeyError, load_private_key
    from datacert.audit.store import STORE_FILE, store_directory

    if not source.is_file():
        raise fail(f"{source} does not exist.")
    guard_outputs_differ([source], [out])
    try:
        signer = load_private_key(sign_manifest) if sign_manifest is not None else None
    except SigningKeyError as exc:
        raise fail(str(exc)) from None
    folder = store if store is not None else store_directory(source)
    log = open_store(folder) if (folder / STORE_FILE).is_file() else None
    events = list(log.events()) if log else []
    with exit_on_errors():
        certificate, certificate_path = _certificate_for(source, events, target, group, sensitive)
        lineage = lineage_of(certificate_path or source, events)
        if certificate_path is None:  # a fresh check: its lineage is the data file's
            lineage = lineage_of(source, events)
        data_file = _data_file(source, certificate, lineage, certificate_path is None)
        documents = _documents(lineage, certificate_path)
        name = pack_name(certificate_path or source.with_suffix(""))
        files = build_pack(
            PackInput(
                certificate=certificate,
                name=name,
                lineage=lineage,
                store_events=events,
                store_head=log.head() if log else None,
                data_file=data_file,
                documents=documents,
            ),
            signer=signer,
        )
    if out.suffix.lower() == ".zip":
        write_atomic(out, zip_bytes(files, out.stem))
    else:
        for relative, content in files.items():
            write_atomic(out / relative, content)
    sys.stdout.write(
        f"Evidence pack for {name}: {len(files)} files in {out} (open index.html to read or print it).\n"
    )


def _certificate_for(
    source: Path, events: list[Any], target: str | None, group: str | None, sensitive: list[str]
) -> tuple[dict[str, Any], Path | None]:
    """The certificate itself, the newest recorded certificate of this data file, or a fresh check."""
    from datacert.audit.recorder import file_ref

    if source.suffix.lower() == ".json":
        try:
            document = json.loads(source.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            document = None
        if isinstance(document, dict) and "verdict" in document and "dataset" in document:
            return document, source
    digest = file_ref(source).sha256
    for event in reversed(events):
        if event.command != "check" or digest not in {r.sha256 for r in event.inputs()}:
            continue
        for ref in event.outputs():
            path = Path(ref.path)
            if ref.kind == "certificate" and path.is_file() and file_ref(path).sha256 == ref.sha256:
                return json.loads(path.read_text(encoding="utf-8")), path
    from datacert.assay import certify, load_dataset
    from datacert.roles import Roles

    roles = Roles.build(target=target, group=group, sensitive=sensitive)
    certificate = certify(load_dataset(source, roles, prefetch=True))
    return json.loads(certificate.to_json()), None


def _data_file(
    source: Path, certificate: dict[str, Any], lineage: Any, is_data: bool
) -> dict[str, Any] | None:
    from datacert.audit.recorder import file_ref

    if is_data or source.suffix.lower() != ".json":
        ref = file_ref(source)
        return {"name": source.name, "sha256": ref.sha256, "bytes": ref.bytes}
    checks = [e for e in lineage.events if e.command == "check"]
    for event in reversed(checks):
        for ref in event.inputs():
            if ref.kind == "data":
                return {"name": Path(ref.path).name, "sha256": ref.sha256, "bytes": ref.bytes}
    return None


def _documents(lineage: Any, focus: Path | None) -> dict[str, bytes]:
    """Other certificates and plans of the lineage still on disk unchanged, by file name."""
    from datacert.audit.recorder import file_ref

    out: dict[str, bytes] = {}
    for event in lineage.events:
        for ref in event.outputs():
            path = Path(ref.path)
            if ref.kind not in ("certificate", "plan") or not path.is_file():
                continue
            if focus is not None and path.resolve() == focus.resolve():
                continue
            if file_ref(path).sha256 == ref.sha256:
                out[f"{event.seq:03d}-{path.name}"] = path.read_bytes()
    return out
