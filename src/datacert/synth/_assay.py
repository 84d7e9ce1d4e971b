"""The synthetic-data assay: tables -> encoding -> validity, fidelity, utility, privacy -> verdict -> "
"certificate."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from datacert.certificate import Certificate
from datacert.dataset import Dataset
from datacert.findings import sort_findings
from datacert.roles import Roles
from datacert.synth import fidelity, privacy, utility, validity
from datacert.synth._encode import encode
from datacert.synth._metric import Metric
from datacert.synth._profile import SynthProfile, load_synth_profile
from datacert.synth._remedies import build_synth_remedies, gate_findings
from datacert.synth._tables import Tables, load_tables
from datacert.synth._verdict import decide

SEED = 0
DCR_POINTS = 200  # quantiles of the DCR distributions kept for the report


class SynthCertificate(Certificate):
    """A certificate of a synthetic table: the same shape as `check`'s, with its own renderers."""

    def to_html(self, redact: bool = False) -> str:
        from datacert.synth.report import render_synth_html

        return render_synth_html(self)

    def to_text(self, color: bool = False) -> str:
        from datacert.synth.report import render_synth_text

        return render_synth_text(self)

    def to_markdown(self) -> str:
        from datacert.synth.report import render_synth_markdown

        return render_synth_markdown(self)


def _table_facts(ds: Dataset) -> dict[str, Any]:
    return {
        "path": Path(ds.path).name if ds.path else None,
        "fingerprint": ds.fingerprint,
        "format": ds.format,
        "rows": ds.n_rows,
        "columns": ds.n_columns,
    }


_CHECKED: dict[tuple[str, str], Certificate] = {}
_CHECKED_KEEP = 4


def _check_certificate(ds: Dataset, only: tuple[str, ...] | None = None) -> Certificate:
    """`check`'s certificate of one table; the real table's is kept for the next comparisons.

    Comparing several generators (or the baselines) against one real table re-checks it
    otherwise; the key is the table's content fingerprint and its roles, so it cannot go stale.
    """
    from datacert.assay import certify

    key = (ds.fingerprint, repr(sorted(ds.roles.to_dict().items())) + repr(only))
    if key not in _CHECKED:
        if len(_CHECKED) >= _CHECKED_KEEP:
            del _CHECKED[next(iter(_CHECKED))]
        _CHECKED[key] = certify(ds, only=only)
    return _CHECKED[key]


def _quantiles(values: np.ndarray) -> list[float]:
    if values.size == 0:
        return []
    return np.quantile(values, np.linspace(0, 1, DCR_POINTS + 1)).tolist()


def certify_synthetic(
    tables: Tables,
    profile: SynthProfile | None = None,
    duration: str | None = None,
    event: str | None = None,
    baselines: bool = False,
    progress: Callable[[str], None] | None = None,
    full_check: bool = False,
) -> SynthCertificate:
    """Measure, score and decide on loaded tables.

    Validity runs the checks of the validity dimensions (completeness, conformance, plausibility,
    uniqueness) on both tables; `full_check=True` runs every registered check, whose other
    findings (label quality, sample size...) are then reported as introduced but not gated.

    OpenMP (gradient boosting) runs on one thread: on a shared, loaded machine its spinning
    barriers made a 900-record fit 30 times slower, and the results do not depend on it.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return _certify(tables, profile, duration, event, baselines, progress, full_check)


def _certify(
    tables: Tables,
    profile: SynthProfile | None = None,
    duration: str | None = None,
    event: str | None = None,
    baselines: bool = False,
    progress: Callable[[str], None] | None = None,
    full_check: bool = False,
) -> SynthCertificate:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    profile = profile or load_synth_profile()
    timings: dict[str, float] = {}

    def step(name: str) -> None:
        timings[name] = time.perf_counter()
        if progress:
            progress(name)

    step("encode")
    enc = encode(tables)
    step("validity")
    only = None if full_check else tuple(validity.validity_checks())
    v_metrics, v_findings, check_summary = validity.measure(
        enc, tables, lambda ds: _check_certificate(ds, only)
    )
    step("fidelity")
    f_metrics = fidelity.measure(enc, tables, SEED, duration, event)
    step("utility")
    u_metrics = utility.measure(enc, tables, SEED)
    step("privacy")
    p_metrics, distances = privacy.measure(enc, SEED)
    from datacert.synth import attacks

    p_metrics += attacks.measure(enc, tables, SEED)
    metrics: list[Metric] = [*v_metrics, *f_metrics, *u_metrics, *p_metrics]
    step("verdict")
    decision = decide(profile, metrics)
    copy_positions = distances.pop("copy_positions", [])
    findings = sort_findings([*v_findings, *gate_findings(metrics, decision, copy_positions)])
    not_computable = {m.id: m.not_computable for m in metrics if m.value is None}
    remedies = build_synth_remedies(findings, decision, not_computable if tables.holdout is None else {})
    baseline_section = None
    if baselines:
        step("baselines")
        from datacert.synth.baselines import score_baselines

        baseline_section = score_baselines(tables, profile, SEED, duration, event, full_check)
    fired_metrics = {g["metric"] for g in decision.gates if g["status"] == "fired"}
    checks = [
        {
            "check": m.id,
            "dimension": m.family,
            "status": "not_applicable"
            if m.value is None
            else ("fired" if m.id in fired_metrics else "quiet"),
            "findings": sum(1 for f in findings if f.check == m.id),
            **({"reason": m.not_computable} if m.not_computable else {}),
            **({"evidence": m.to_dict()["evidence"]} if m.evidence else {}),
        }
        for m in metrics
    ]
    roles = tables.real.roles
    dataset = {
        **_table_facts(tables.synthetic),
        "roles": roles.to_dict(),
        "semantic_types": {c: str(t) for c, t in tables.real.semantic_types.items() if c in tables.columns},
        "compared_columns": {"numeric": list(tables.numeric), "categorical": list(tables.categorical)},
    }
    extra: dict[str, Any] = {
        "kind": "synthetic",
        "tables": {n: _table_facts(ds) for n, ds in tables.named().items()},
        "metrics": [m.to_dict() for m in metrics],
        "not_computable": not_computable,
        "scoring_profile": profile.identity(),
        "coverage": decision.coverage,
        "gates": decision.gates,
        "indicators": decision.indicators,
        "source_checks": check_summary,
        "privacy_note": "These privacy measurements are evidence of risk, not proof of anonymity: only "
        "differentially private generation gives guarantees (Stadler et al. 2022).",
    }
    if baseline_section is not None:
        extra["baselines"] = baseline_section
    figures = {
        "dcr_synthetic": _quantiles(distances.get("dcr_synthetic", np.empty(0))),
        "dcr_holdout": _quantiles(distances.get("dcr_holdout", np.empty(0))),
        "marginals": fidelity.overlays(enc, tables, metrics),
    }
    marks = sorted(timings.items(), key=lambda kv: kv[1])
    end = time.perf_counter()
    seconds = {
        name: round((marks[i + 1][1] if i + 1 < len(marks) else end) - t, 3)
        for i, (name, t) in enumerate(marks)
    }
    return SynthCertificate(
        dataset=dataset,
        verdict=decision.verdict,
        reasons=decision.reasons,
        scores=decision.scores,
        findings=findings,
        remedies=remedies,
        checks=checks,
        profile={"compared_columns": len(tables.columns)},
        options={
            "profile": profile.name,
            "seed": SEED,
            "baselines": baselines,
            "survival": {"duration": duration, "event": event} if duration else None,
        },
        extra=extra,
        figures=figures,
        run={
            "started": started.isoformat(timespec="seconds"),
            "seconds": round(end - clock, 3),
            "step_seconds": seconds,
            "host": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "node": platform.node(),
            },
        },
    )


def synth(
    real: Any,
    synthetic: Any,
    *,
    holdout: Any = None,
    target: str | None = None,
    id: str | None = None,
    group: str | None = None,
    time: str | None = None,
    split: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    text: Iterable[str] | str | None = None,
    duration: str | None = None,
    event: str | None = None,
    policy: str | Path | Mapping[str, Any] | None = None,
    baselines: bool = False,
    full_check: bool = False,
) -> SynthCertificate:
    """Certify a synthetic table against the real training table it was generated from.

    `holdout` is real data the generator never saw: without it utility and most privacy metrics
    cannot be computed (the certificate says which). `duration`/`event` name survival columns.
    """
    roles = Roles.build(
        target=target, id=id, group=group, time=time, split=split, sensitive=sensitive, text=text
    )
    profile = load_synth_profile(policy)
    tables = load_tables(real, synthetic, holdout, roles)
    return certify_synthetic(
        tables, profile, duration=duration, event=event, baselines=baselines, full_check=full_check
    )
