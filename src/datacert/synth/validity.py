"""Validity: the findings a generator *introduced*, by running the full `check` on both tables.

A finding of the synthetic table counts as introduced when the real table has no finding of
the same check on the same columns, or has one that touches clearly fewer records (the
synthetic share is more than twice the real one plus one percentage point). Levels that the
real table never had and columns it does not have are validity findings of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from datacert.certificate import Certificate
from datacert.findings import Finding, Severity
from datacert.synth._encode import NEW_LEVEL, Encoded
from datacert.synth._metric import Metric
from datacert.synth._tables import Tables

FAMILY = "validity"
RATE_FACTOR = 2.0
RATE_MARGIN = 0.01
# the dimensions whose introduced findings are errors of the generator (impossible values, broken
# order, unknown units or formats, duplicates); introduced findings of other dimensions (label
# quality, sample size...) are reported but judged by the fidelity and utility metrics instead
VALIDITY_DIMENSIONS = {"completeness", "conformance", "plausibility", "uniqueness"}


def validity_checks() -> list[str]:
    """The registered checks of the validity dimensions: what `synth` runs unless asked for every check."""
    from datacert.checks import load_all_checks

    return sorted(k for k, v in load_all_checks().items() if v.dimension in VALIDITY_DIMENSIONS)


def _share(f: Finding, n_rows: int) -> float:
    return f.row_count / n_rows if n_rows else 0.0


def introduced(real: Certificate, synth: Certificate, n_real: int, n_synth: int) -> list[Finding]:
    """Synthetic findings (warning and above) with no matching, comparably large real finding."""
    by_key: dict[tuple[str, tuple[str, ...]], list[Finding]] = {}
    for f in real.findings:
        by_key.setdefault((f.check, tuple(sorted(f.columns))), []).append(f)
    out = []
    for f in synth.findings:
        if f.severity.rank < Severity.WARNING.rank:
            continue
        matches = by_key.get((f.check, tuple(sorted(f.columns))), [])
        real_share = max((_share(m, n_real) for m in matches), default=None)
        if matches and f.row_count == 0:
            continue  # a column-level finding the real table has too
        if real_share is not None and _share(f, n_synth) <= RATE_FACTOR * real_share + RATE_MARGIN:
            continue
        evidence = {
            **dict(f.evidence),
            "introduced_by_generator": True,
            "real_share": real_share if real_share is not None else 0.0,
            "synthetic_share": _share(f, n_synth),
        }
        out.append(
            Finding(
                check=f.check,
                dimension=f.dimension,
                severity=f.severity,
                message=f"Introduced by the generator: {f.message}",
                columns=f.columns,
                rows=f.rows,
                row_count=f.row_count,
                evidence=evidence,
                remedy=f.remedy,
            )
        )
    return out


def new_levels(enc: Encoded, tables: Tables) -> tuple[Metric, list[Finding]]:
    """Categories of the synthetic table that the real table never had."""
    findings = []
    per: dict[str, int] = {}
    rows_hit = np.zeros(enc.rows("synthetic"), dtype=bool)
    for j, c in enumerate(tables.categorical):
        hit = enc.codes["synthetic"][:, j] == NEW_LEVEL
        if hit.any():
            per[c] = int(hit.sum())
            rows_hit |= hit
            values = sorted(set(tables.synthetic.frame.get_column(c).cast(str).to_numpy()[hit].tolist()))
            findings.append(
                Finding.make(
                    "synth_new_categories",
                    FAMILY,
                    Severity.ERROR,
                    f"Column '{c}' has {len(values)} level(s) the real table never had, in "
                    f"{int(hit.sum())} records.",
                    columns=[c],
                    rows=np.flatnonzero(hit),
                    evidence={"new_levels": len(values), "records": int(hit.sum())},
                    remedy="Regenerate with the real table's categories as constraints, or drop these "
                    "records.",
                )
            )
    for c in tables.extra_columns:
        findings.append(
            Finding.make(
                "synth_extra_column",
                FAMILY,
                Severity.WARNING,
                f"Column '{c}' is in the synthetic table but not in the real one; it was not assessed.",
                columns=[c],
                remedy="Drop the column or give the real table that has it.",
            )
        )
    share = float(rows_hit.mean()) if rows_hit.size else 0.0
    return Metric("new_category_share", FAMILY, share, evidence={"per_column": per}), findings


def measure(
    enc: Encoded, tables: Tables, certify_one: Any
) -> tuple[list[Metric], list[Finding], Mapping[str, Any]]:
    """Check both tables, keep what the generator introduced; also new levels and extra columns."""
    real_cert = certify_one(tables.real)
    synth_cert = certify_one(tables.synthetic)
    found = introduced(real_cert, synth_cert, tables.real.n_rows, tables.synthetic.n_rows)
    level_metric, level_findings = new_levels(enc, tables)
    errors = [
        f for f in found if f.severity.rank >= Severity.ERROR.rank and f.dimension in VALIDITY_DIMENSIONS
    ]
    rows = sorted({r for f in errors for r in f.rows})
    count = Metric(
        "introduced_errors",
        FAMILY,
        float(len(errors) + len([f for f in level_findings if f.severity == Severity.ERROR])),
        evidence={
            "checks": sorted({f.check for f in errors}),
            "records_listed": len(rows),
            "other_introduced_findings": len(found) - len(errors),
        },
    )
    share = Metric(
        "introduced_error_record_share",
        FAMILY,
        min(1.0, sum(f.row_count for f in errors) / max(tables.synthetic.n_rows, 1)),
        evidence={"meaning": "records named by introduced error findings, summed over findings"},
    )
    checks = {"real": _summary(real_cert), "synthetic": _summary(synth_cert)}
    return [count, share, level_metric], [*found, *level_findings], checks


def _summary(cert: Certificate) -> dict[str, Any]:
    return {"verdict": cert.verdict, "scores": dict(cert.scores), "findings": len(cert.findings)}
