"""Self-contained HTML report (no network, no CDN): verdict and reasons first, then evidence.

The renderer formats what the certificate and its precomputed figures hold; it computes no
statistics. `redact=True` shows no record values: evidence keeps only named statistics, quoted
values in messages are masked, category labels become "level 1, 2, ...", axis values are hidden.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from datacert.findings import DIMENSIONS
from datacert.report import _svg
from datacert.report._sampling import sampling_note

_ENV = Environment(
    loader=PackageLoader("datacert", "report/templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

MAX_FINDINGS_SHOWN = 1000
MAX_EVIDENCE_CHARS = 1500
SEVERITIES = ("critical", "error", "warning", "info")
# evidence entries kept in redacted mode: named statistics, never values of records
_STATISTIC = re.compile(
    r"^(numerator|denominator|threshold|rate|share|groups|k|k_min|n|n_.*|.*_count|count|.*_rate|.*_share|"
    r".*_fraction|fraction|.*_ratio|ratio|auc.*|.*_auc|p_value.*|.*_p|q_value.*|.*_fdr|fdr|cramers_v|ks.*|.*_ks|"
    r"smd.*|.*_smd|psi.*|.*_psi|score|.*_score|columns_with_missing|sampled_rows|level|z|.*_z|effect.*|"
    r"correlation|.*_correlation|variance.*|explained.*|rank|.*_rank|dimension.*|.*_dimension|.*_n)$"
)
_QUOTED = re.compile(r"'([^']{1,200})'|\"([^\"]{1,200})\"")


def _redact_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in evidence.items()
        if _STATISTIC.match(k) and isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _redact_text(text: str, allowed: set[str]) -> str:
    def mask(match: re.Match) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        return match.group(0) if inner in allowed else "[redacted]"

    return _QUOTED.sub(mask, text)


def _evidence_text(evidence: Mapping[str, Any]) -> str:
    text = json.dumps(evidence, indent=1, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > MAX_EVIDENCE_CHARS:
        text = text[:MAX_EVIDENCE_CHARS] + "\n… (truncated; the JSON certificate holds the full evidence)"
    return text


def _labels(levels: list[str], redact: bool) -> list[str]:
    return [f"level {i + 1}" for i in range(len(levels))] if redact else [str(v) for v in levels]


def _figures(cert, redact: bool) -> dict[str, Any]:
    """SVG markup for every figure the certificate carries (also when it was read back from JSON)."""
    figures = cert.figures
    if not figures:
        return {}
    out: dict[str, Any] = {}
    miss = figures.get("missingness") or {}
    if miss:
        out["missing_summary"] = miss
        if miss.get("columns"):
            out["missing_map"] = _svg.heatmap(miss["map"], miss["columns"], miss["row_edges"])
        out["missing_rates"] = _svg.bars(
            miss["rate_histogram"],
            [f"{10 * i}%" for i in range(10)],
            "Columns by missing rate (0-10 %, 10-20 %, ...)",
            "#7a1f5c",
        )
    out["distributions"] = [
        {
            **d,
            "svg": _svg.histogram(
                d["edges"],
                d["counts"],
                d["flagged_counts"],
                f"{d['column']}: values flagged by {d['check']}",
                not redact,
                d["log10"],
            ),
        }
        for d in figures.get("distributions") or []
    ]
    emb = figures.get("embedding")
    if emb:
        maps = []
        for colour_by in ("target", "batch"):
            spec = emb.get(colour_by)
            if colour_by == "batch" and not spec:
                continue
            codes = spec["codes"] if spec else None
            levels = _labels(spec["levels"], redact and spec["kind"] == "category") if spec else None
            name = spec["name"] if spec else "no target"
            maps.append(
                {
                    "title": f"PCA coloured by {colour_by} ({name})",
                    "svg": _svg.scatter(emb["pca"], codes, levels, f"PCA map coloured by {name}"),
                }
            )
            if "tsne" in emb:
                picked = [codes[i] for i in emb["tsne_points"]] if codes is not None else None
                maps.append(
                    {
                        "title": f"t-SNE coloured by {colour_by} ({name})",
                        "svg": _svg.scatter(emb["tsne"], picked, levels, f"t-SNE map coloured by {name}"),
                    }
                )
        out["embedding"] = {
            "maps": maps,
            "explained": emb["explained"],
            "n_points": emb["n_points"],
            "sampled": emb["sampled"],
            "n_features": emb["n_features"],
        }
    balance = figures.get("class_balance")
    if balance:
        labels = _labels([lv["level"] for lv in balance["levels"]], redact)
        out["class_balance"] = _svg.level_bars(
            balance["levels"], f"Class balance of {balance['column']}", labels
        )
    out["subgroups"] = [
        {
            "column": s["column"],
            "svg": _svg.level_bars(
                s["levels"],
                f"Subgroup sizes of {s['column']}",
                _labels([lv["level"] for lv in s["levels"]], redact),
            ),
        }
        for s in figures.get("subgroups") or []
    ]
    card = dict(figures.get("card") or {})
    if card and redact:
        card["measured"] = {k: v for k, v in card["measured"].items() if k != "period"}
    out["card"] = card
    return out


def _prequalification_view(section, redact: bool, allowed: set[str]):
    """Before/after of a pre-qualification run, as the certificate recorded it (nothing computed)."""
    if not section:
        return None
    before, after = section.get("before", {}), section.get("after", {})
    dims = [
        d for d in ("overall", *DIMENSIONS) if d in before.get("scores", {}) or d in after.get("scores", {})
    ]
    explanation = section.get("explanation", [])
    if redact:
        explanation = [_redact_text(e, allowed) for e in explanation]
    return {
        "before_verdict": before.get("verdict"),
        "after_verdict": after.get("verdict"),
        "rows": [
            (d.replace("_", " "), before.get("scores", {}).get(d), after.get("scores", {}).get(d))
            for d in dims
        ],
        "explanation": explanation,
        "steps": [s.get("action", "?") for s in section.get("steps", [])],
        "removed_rows": len(section.get("removed_rows", []) or []),
        "input_fingerprint": section.get("input_fingerprint"),
        "output_fingerprint": section.get("output_fingerprint"),
    }


def render_html(certificate, redact: bool = False) -> str:
    """The report as one HTML string."""
    cert = certificate
    data = cert.to_dict(include_run=False)
    allowed = set(cert.dataset.get("semantic_types", {}) or {}) | {f.check for f in cert.findings}
    allowed |= {c for f in cert.findings for c in f.columns}
    findings = []
    for f in cert.findings[:MAX_FINDINGS_SHOWN]:
        d = f.to_dict()
        evidence = _redact_evidence(d["evidence"]) if redact else d["evidence"]
        message = _redact_text(d["message"], allowed) if redact else d["message"]
        remedy = _redact_text(d["remedy"], allowed) if redact else d["remedy"]
        findings.append(
            {**d, "message": message, "remedy": remedy, "evidence_text": _evidence_text(evidence)}
        )
    by_dimension = [
        (
            dim,
            sorted(
                [f for f in findings if f["dimension"] == dim], key=lambda f: SEVERITIES.index(f["severity"])
            ),
        )
        for dim in DIMENSIONS
    ]
    by_dimension = [(dim, fs) for dim, fs in by_dimension if fs]
    others = [f for f in findings if f["dimension"] not in DIMENSIONS]
    if others:
        by_dimension.append(("other", others))
    counts = {s: sum(1 for f in cert.findings if str(f.severity) == s) for s in SEVERITIES}

    scores, intervals, coverage = data["scores"], data.get("score_intervals", {}), data.get("coverage", {})
    rows = [
        (d.replace("_", " "), scores.get(d), intervals.get(d), coverage.get(d))
        for d in DIMENSIONS
        if d in scores
    ]
    profile = data.get("scoring_profile", {})
    floor = (profile.get("floors") or {}).get("dimension")
    chart = _svg.score_bars(rows, floor)
    gates = data.get("gates", [])
    indicators = data.get("indicators", [])
    not_tested = list(cert.not_tested)
    unavailable = [i for i in indicators if i.get("status") == "unavailable"]
    not_evaluated = [g for g in gates if g.get("status") == "not_evaluated"]
    reasons = [(_redact_text(r, allowed) if redact else r) for r in cert.reasons]
    remedies = data.get("remedies", [])
    if redact:  # free text may quote values: mask every quoted value that is not a column or check name
        remedies = [{**r, "description": _redact_text(r.get("description", ""), allowed)} for r in remedies]
        gates = [{**g, "reason": _redact_text(g.get("reason", ""), allowed)} for g in gates]
        not_tested = [{**c, "reason": _redact_text(c.get("reason", ""), allowed)} for c in not_tested]
    prequal = _prequalification_view(data.get("prequalification"), redact, allowed)
    from datacert.audit.lineage import statement_nodes, to_svg

    lineage = data.get("lineage") or {}
    template = _ENV.get_template("report.html.j2")
    return template.render(
        energy=data.get("energy") or {},
        energy_measured=(cert.run or {}).get("energy") or {},
        lineage=lineage,
        lineage_svg=to_svg(statement_nodes(lineage)) if lineage.get("steps") else "",
        prequal=prequal,
        cert=cert,
        data=data,
        findings_by_dimension=by_dimension,
        n_findings=len(cert.findings),
        n_shown=len(findings),
        counts=counts,
        severities=SEVERITIES,
        redact=redact,
        sampling_note=sampling_note(cert.profile["sampling"]) if (cert.profile or {}).get("sampling") else "",
        reasons=reasons,
        score_chart=chart,
        overall=scores.get("overall"),
        overall_interval=intervals.get("overall"),
        profile=profile,
        gates=gates,
        indicators=indicators,
        not_tested=not_tested,
        unavailable=unavailable,
        not_evaluated=not_evaluated,
        remedies=remedies,
        figures=_figures(cert, redact),
        dimensions=[d for d, _ in by_dimension],
        band=data.get("readiness_band"),
        version=data["tool"]["version"],
    )
