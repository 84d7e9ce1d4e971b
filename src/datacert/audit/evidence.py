"""The evidence pack a reviewer reads: certificates, reports, datasheet, art. 10 matrix, audit-log
excerpt, signatures, lineage and Croissant metadata, with a printable HTML index and a manifest.

`build_pack` only assembles bytes ({relative path: content}); the CLI writes them as a folder or a
zip. Everything comes from certificates and the audit log: no record value enters the pack.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from datacert.audit.art10 import NOT_COVERED, build_matrix, matrix_markdown
from datacert.audit.croissant import build_croissant
from datacert.audit.datasheet import build_datasheet, datasheet_markdown
from datacert.audit.events import AuditEvent, sha256_hex
from datacert.audit.lineage import Lineage, chain_nodes, to_prov_json, to_svg
from datacert.audit.signing import SIGNATURE_KEY, sign_document, verify_document
from datacert.audit.verify import verify_chain

_ENV = Environment(
    loader=PackageLoader("datacert", "audit/templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class PackInput:
    """What a pack is made from."""

    certificate: Mapping[str, Any]  # the focus certificate (parsed JSON)
    name: str  # a short name for titles and file names
    lineage: Lineage
    store_events: Sequence[AuditEvent] = ()  # the whole log, to prove the chain
    store_head: tuple[int, str] | None = None
    data_file: Mapping[str, Any] | None = None  # {"name", "sha256", "bytes"} of the certified table
    documents: dict[str, bytes] = field(default_factory=dict)  # other certificates/plans to include


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _lineage_text(lineage: Lineage) -> str:
    return " → ".join(f"{title} ({subtitle})" for _, title, subtitle in chain_nodes(lineage))


def build_pack(source: PackInput, signer: Any = None) -> dict[str, bytes]:
    cert = source.certificate
    files: dict[str, bytes] = {}
    cert_name = f"certificates/{source.name}.json"
    files[cert_name] = _json(cert)
    for name, content in source.documents.items():
        files[f"certificates/{name}"] = content

    from datacert.certificate import Certificate

    report = Certificate.from_dict({k: v for k, v in cert.items() if k != SIGNATURE_KEY})
    files[f"reports/{source.name}.html"] = report.to_html(redact=True).encode("utf-8")

    lineage_events = source.lineage.events
    matrix = build_matrix(cert, lineage_events)
    files["art10-matrix.json"] = _json([r.to_dict() for r in matrix])
    files["art10-matrix.md"] = matrix_markdown(matrix).encode("utf-8")

    answers = build_datasheet(cert, lineage_events)
    files["datasheet.md"] = datasheet_markdown(answers, source.name).encode("utf-8")

    excerpt = "".join(
        json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False) + "\n" for e in lineage_events
    )
    files["audit-log-excerpt.jsonl"] = excerpt.encode("utf-8")
    chain = verify_chain(source.store_events, source.store_head) if source.store_events else None
    files["audit-log-verification.txt"] = (
        (chain.summary() if chain else "no audit log was found for this data: nothing to verify.") + "\n"
    ).encode("utf-8")

    signatures = _signatures({cert_name: cert, **_parsed(source.documents, "certificates/")})
    files["signatures.json"] = _json(signatures)

    files["lineage.prov.json"] = to_prov_json(source.lineage).encode("utf-8")
    svg = to_svg(chain_nodes(source.lineage))
    files["lineage.svg"] = (svg + "\n").encode("utf-8")

    croissant = build_croissant(cert, source.data_file, source.name, _lineage_text(source.lineage))
    files["croissant.json"] = _json(croissant)

    energy = {"block": cert.get("energy") or {}, "measured": ((cert.get("run") or {}).get("energy") or {})}
    html = _ENV.get_template("evidence.html.j2").render(
        name=source.name,
        cert=cert,
        matrix=matrix,
        not_covered=NOT_COVERED,
        answers=answers,
        lineage_svg=svg,
        events=lineage_events,
        chain=chain,
        signatures=signatures,
        energy=energy,
        files=sorted([*files, "index.html", "MANIFEST.json"]),
    )
    files["index.html"] = html.encode("utf-8")
    manifest: dict[str, Any] = {
        "kind": "datacert-evidence-pack",
        "certificate": cert_name,
        "dataset_fingerprint": (cert.get("dataset") or {}).get("fingerprint"),
        "files": {
            name: {"sha256": sha256_hex(content), "bytes": len(content)}
            for name, content in sorted(files.items())
        },
    }
    if signer is not None:
        manifest = sign_document(manifest, signer)
    files["MANIFEST.json"] = _json(manifest)
    return files


def _parsed(documents: Mapping[str, bytes], prefix: str) -> dict[str, Mapping[str, Any]]:
    out = {}
    for name, content in documents.items():
        try:
            out[prefix + name] = json.loads(content)
        except ValueError:
            continue
    return out


def _signatures(documents: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, document in documents.items():
        block = document.get(SIGNATURE_KEY)
        if not isinstance(block, Mapping):
            out.append({"document": name, "signed": False, "message": "not signed"})
            continue
        check = verify_document(document)
        out.append(
            {
                "document": name,
                "signed": True,
                "valid": check.valid,
                "key_id": check.key_id,
                "public_key": block.get("public_key"),
                "algorithm": block.get("algorithm"),
                "message": check.message,
            }
        )
    return out


def zip_bytes(files: Mapping[str, bytes], folder: str) -> bytes:
    """A zip of the pack with fixed timestamps, so the same pack gives the same archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def pack_name(path: Path) -> str:
    return path.name.removesuffix(".json").removesuffix(".certificate") or "dataset"
