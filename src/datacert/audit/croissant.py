"""A Croissant 1.0 metadata file (MLCommons JSON-LD) with its Responsible-AI (RAI 1.0) fields.

The dataset, its file (with SHA-256), one record set with a field per column (types from the
certificate's semantic types) and the RAI properties filled from what datacert measured; what only
the data owner knows is said to be theirs to complete. The @context is the one the Croissant 1.0
specification publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from datacert.audit.datasheet import TO_COMPLETE
from datacert.checks import checks_about

CROISSANT = "http://mlcommons.org/croissant/1.0"
CROISSANT_RAI = "http://mlcommons.org/croissant/RAI/1.0"

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_DATA_TYPES = {
    "continuous": "sc:Float",
    "count": "sc:Integer",
    "integer_category": "sc:Integer",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
}
_ENCODINGS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "parquet": "application/x-parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/jsonlines",
}


def _findings_text(cert: Mapping[str, Any], checks: Sequence[str], none: str) -> str:
    lines = [
        f"{f['check']} ({f['severity']}): {f['message']}"
        for f in cert.get("findings", [])
        if f["check"] in checks
    ]
    return " ".join(lines[:8]) + (f" (+{len(lines) - 8} more)" if len(lines) > 8 else "") if lines else none


def build_croissant(
    cert: Mapping[str, Any], data_file: Mapping[str, Any] | None, title: str, lineage_text: str = ""
) -> dict[str, Any]:
    """The Croissant document. `data_file` = {"name", "sha256", "bytes"} when the file is known."""
    dataset = cert.get("dataset") or {}
    roles = dataset.get("roles") or {}
    types = dataset.get("semantic_types") or {}
    file_id = (data_file or {}).get("name") or dataset.get("path") or "data"
    encoding = _ENCODINGS.get(
        str(dataset.get("format") or Path(file_id).suffix.lstrip(".")).lower(), "text/csv"
    )
    distribution: dict[str, Any] = {
        "@type": "cr:FileObject",
        "@id": file_id,
        "name": file_id,
        "description": f"The table datacert certified (content fingerprint {dataset.get('fingerprint')}).",
        "contentUrl": file_id,
        "encodingFormat": encoding,
    }
    if data_file and data_file.get("sha256"):
        distribution["sha256"] = data_file["sha256"]
        distribution["contentSize"] = f"{data_file.get('bytes')} B"
    else:
        distribution["sha256"] = str(dataset.get("fingerprint", "")).removeprefix("sha256:")
    fields = []
    used_ids: set[str] = set()
    for column, kind in types.items():
        field_id = f"records/{_slug(column)}"
        while field_id in used_ids:  # two names that differ only in spaces or punctuation
            field_id += "_"
        used_ids.add(field_id)
        fields.append(
            {
                "@type": "cr:Field",
                "@id": field_id,
                "name": column,
                "description": f"semantic type {kind}"
                + (f"; role {_role_of(column, roles)}" if _role_of(column, roles) else ""),
                "dataType": _DATA_TYPES.get(str(kind), "sc:Text"),
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": column}},
            }
        )
    pq = cert.get("prequalification") or {}
    steps = [str(s.get("action")) for s in list(pq.get("row_steps") or []) + list(pq.get("steps") or [])]
    sensitive = roles.get("sensitive") or []
    reasons = " ".join(cert.get("reasons") or [])
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT, CROISSANT_RAI],
        "name": _slug(title),
        "description": (
            f"{dataset.get('rows')} records × {dataset.get('columns')} columns certified by datacert "
            f"{(cert.get('tool') or {}).get('version')}: verdict {cert.get('verdict')}, overall score "
            f"{(cert.get('scores') or {}).get('overall')}. The dataset's own description is {TO_COMPLETE}."
        ),
        "url": f"urn:datacert:{dataset.get('fingerprint')}",
        "license": TO_COMPLETE,
        "citeAs": TO_COMPLETE,
        "version": "1.0.0",
        "datePublished": str((cert.get("run") or {}).get("started", ""))[:10] or TO_COMPLETE,
        "distribution": [distribution],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "records",
                "name": "records",
                "description": "One row of the table.",
                "field": fields,
            }
        ],
        "rai:dataCollection": TO_COMPLETE,
        "rai:dataCollectionType": TO_COMPLETE,
        "rai:dataPreprocessingProtocol": (
            f"datacert prequalify applied, in order: {', '.join(steps)}; input "
            f"{pq.get('input_fingerprint')}, "
            f"output {pq.get('output_fingerprint')}; the replayable plan records every parameter."
            if steps
            else "No preprocessing by datacert on this table; earlier steps are " + TO_COMPLETE + "."
        ),
        "rai:dataManipulationProtocol": lineage_text or "See the lineage file of the evidence pack.",
        "rai:dataLimitations": f"Verdict {cert.get('verdict')}. {reasons}".strip(),
        "rai:dataBiases": (
            _findings_text(
                cert,
                checks_about("bias"),
                f"No bias finding on {', '.join(sensitive)}.",
            )
            if sensitive
            else "Not examined: no sensitive attribute was declared to datacert (--sensitive). "
            + _findings_text(cert, _without_sensitive_attributes(checks_about("bias")), "")
        ).strip(),
        "rai:personalSensitiveInformation": _findings_text(
            cert,
            checks_about("personal_data"),
            "No direct identifier, risky quasi-identifier combination or identifier in free text was found.",
        )
        + (f" Sensitive attributes: {', '.join(sensitive)}." if sensitive else ""),
        "rai:dataUseCases": TO_COMPLETE,
        "rai:dataSocialImpact": TO_COMPLETE,
        "rai:dataReleaseMaintenancePlan": TO_COMPLETE,
        "rai:annotationProtocol": TO_COMPLETE,
    }


def _without_sensitive_attributes(checks: Sequence[str]) -> tuple[str, ...]:
    """The bias checks that examine the table without a declared sensitive attribute."""
    subgroup_checks = set(checks_about("subgroups"))
    return tuple(c for c in checks if c not in subgroup_checks)


def _role_of(column: str, roles: Mapping[str, Any]) -> str | None:
    for role, value in roles.items():
        if value == column or (isinstance(value, list) and column in value):
            return role
    return None


def _slug(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)
    return cleaned.strip("-") or "dataset"
