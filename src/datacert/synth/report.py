"""Text, Markdown and HTML views of a synthetic-data certificate. Formats only: computes nothing."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from datacert.report import _svg

FAMILY_ORDER = ("validity", "fidelity", "utility", "privacy")


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _metrics(cert) -> list[dict[str, Any]]:
    return list(cert.extra.get("metrics", []))


def render_synth_text(cert) -> str:
    d = cert.dataset
    lines = [
        f"datacert synth: {d.get('path') or 'synthetic table'} ({d['rows']:,} records × {d['columns']:,} "
        "columns)",
        f"VERDICT: {cert.verdict.upper()}",
        *[f"  - {r}" for r in cert.reasons],
        "",
        "Scores: " + ", ".join(f"{k} {_fmt(v) if v is None else f'{v:.0f}'}" for k, v in cert.scores.items()),
    ]
    for family in FAMILY_ORDER:
        lines.append(f"\n{family.upper()}")
        for m in _metrics(cert):
            if m["family"] != family:
                continue
            iv = f" [{m['interval'][0]:.3g}, {m['interval'][1]:.3g}]" if m.get("interval") else ""
            note = f"  (not computable: {m['not_computable']})" if m.get("not_computable") else ""
            lines.append(f"  {m['id']:<32} {_fmt(m['value'])}{iv}{note}")
    if cert.findings:
        lines.append(f"\nFINDINGS ({len(cert.findings)})")
        lines += [f"  {f.severity:<8} {f.check}: {f.message}" for f in cert.findings[:30]]
    if cert.remedies:
        lines.append("\nREMEDIES")
        lines += [f"  {s['step']}. {s['action']} ({s['check']}): {s['description']}" for s in cert.remedies]
    baselines = cert.extra.get("baselines")
    if baselines:
        lines.append("\nBASELINE GENERATORS (fitted on the real training table)")
        for b in baselines["generators"]:
            lines.append(
                "  "
                + b["name"]
                + ": "
                + b["verdict"]
                + "; "
                + ", ".join(f"{k} {_fmt(v)}" for k, v in b["key_metrics"].items())
            )
    lines.append("\n" + cert.extra.get("privacy_note", ""))
    return "\n".join(lines) + "\n"


def render_synth_markdown(cert) -> str:
    d = cert.dataset
    out = [
        f"# Synthetic data certificate: {d.get('path') or 'synthetic table'}",
        "",
        f"**Verdict: {cert.verdict.upper()}**",
        "",
        *[f"- {r}" for r in cert.reasons],
        "",
        "| score | value |",
        "|---|---|",
        *[f"| {k} | {'n/a' if v is None else f'{v:.0f}'} |" for k, v in cert.scores.items()],
        "",
        "| family | metric | value | interval | note |",
        "|---|---|---|---|---|",
    ]
    for m in _metrics(cert):
        iv = f"{m['interval'][0]:.3g} – {m['interval'][1]:.3g}" if m.get("interval") else ""
        note = (m.get("not_computable") or "").replace("|", "/")
        out.append(f"| {m['family']} | {m['id']} | {_fmt(m['value'])} | {iv} | {note} |")
    if cert.remedies:
        out += ["", "## Remedies", ""] + [
            f"{s['step']}. **{s['action']}** ({s['check']}): {s['description']}" for s in cert.remedies
        ]
    out += ["", f"_{cert.extra.get('privacy_note', '')}_", ""]
    return "\n".join(out)


def _house_style() -> str:
    """The check report's stylesheet, so that both reports look alike (one source of the house style)."""
    import re
    from importlib import resources

    text = (resources.files("datacert.report") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    found = re.search(r"<style>(.*?)</style>", text, re.S)
    return found.group(1) if found else ""


def _overlay(item: dict[str, Any]) -> Markup:
    """Real (grey) and synthetic (blue) shares per bin or level of one column."""
    left, width, plot_h = 40, 300, 100
    real, synth = item["real"], item["synthetic"]
    top = max([*real, *synth, 1e-12])
    bar_w = width / max(1, len(real))
    body = [f'<line x1="{left}" x2="{left + width}" y1="{plot_h + 10}" y2="{plot_h + 10}" stroke="#aab2bd"/>']
    for i, (r, q) in enumerate(zip(real, synth, strict=False)):
        x = left + i * bar_w
        hr, hs = plot_h * r / top, plot_h * q / top
        body.append(
            f'<rect x="{x:.1f}" y="{plot_h + 10 - hr:.1f}" width="{bar_w / 2:.1f}" height="{hr:.1f}" '
            f'fill="#aab2bd"><title>real {r:.1%}</title></rect>'
        )
        body.append(
            f'<rect x="{x + bar_w / 2:.1f}" y="{plot_h + 10 - hs:.1f}" width="{max(bar_w / 2 - 1, 0.5):.1f}" '
            f'height="{hs:.1f}" fill="#4a6fa5"><title>synthetic {q:.1%}</title></rect>'
        )
    if item["kind"] == "numeric":
        e = item["edges"]
        body.append(f'<text x="{left}" y="{plot_h + 24}">{_svg._t(f"{e[0]:.4g}")}</text>')
        body.append(
            f'<text x="{left + width}" y="{plot_h + 24}" text-anchor="end">{_svg._t(f"{e[-1]:.4g}")}</text>'
        )
    body.append(
        f'<text x="{left}" y="144" fill="#59626e">grey: real, blue: synthetic · score '
        f"{item['score']:.3f}</text>"
    )
    return _svg._svg(left + width + 10, 150, body, f"Distribution of {item['column']}")


def _dcr_plot(synthetic: list[float], holdout: list[float]) -> Markup:
    """Cumulative distributions of the distance to the closest training record."""
    left, width, plot_h = 40, 360, 160
    top = max([*synthetic, *holdout, 1e-12])
    body = [f'<rect x="{left}" y="10" width="{width}" height="{plot_h}" fill="#fafbfc" stroke="#e3e7ec"/>']
    for values, colour, label in (
        (holdout, "#aab2bd", "holdout → training"),
        (synthetic, "#4a6fa5", "synthetic → training"),
    ):
        if not values:
            continue
        n = len(values) - 1
        pts = " ".join(
            f"{left + width * v / top:.1f},{10 + plot_h - plot_h * i / n:.1f}" for i, v in enumerate(values)
        )
        body.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" '
            f'stroke-width="2"><title>{_svg._t(label)}</title></polyline>'
        )
    body.append(
        f'<text x="{left}" y="{plot_h + 26}" fill="#59626e">distance to the closest training record '
        f"(0 = copy); blue: synthetic, grey: holdout</text>"
    )
    return _svg._svg(left + width + 20, plot_h + 34, body, "Distance to closest record: synthetic vs holdout")


def _utility_bars(metric: dict[str, Any]) -> Markup:
    ev = metric["evidence"]
    rows = [("TRTR (real → real)", ev["trtr"]), ("TSTR (synthetic → real)", ev["tstr"])]
    left, width = 170, 300
    body = []
    for i, (label, v) in enumerate(rows):
        y = 8 + i * 24
        w = width * max(0.0, min(1.0, v))
        body.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{_svg._t(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{width}" height="14" fill="#f0f2f5"/>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="14" '
            f'fill="{"#aab2bd" if i == 0 else "#4a6fa5"}"/>'
            f'<text x="{left + width + 6}" y="{y + 13}">{v:.3f} {_svg._t(ev["score"])}</text>'
        )
    return _svg._svg(left + width + 110, 60, body, "Train on synthetic, test on real vs train on real")


def render_synth_html(cert) -> str:
    e = escape
    d = cert.dataset
    tables = cert.extra.get("tables", {})
    parts = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>datacert synth: ',
        e(d.get("path") or "synthetic table"),
        "</title><style>",
        Markup(_house_style()),
        "</style></head><body>",
        f"<h1>Synthetic data certificate: {e(d.get('path') or 'synthetic table')}</h1>",
        f'<div class="verdict {e(cert.verdict)}" id="verdict">{e(cert.verdict.upper())}</div>',
        '<ul id="reasons">',
        *[f"<li>{e(r)}</li>" for r in cert.reasons],
        "</ul>",
        f'<p class="muted small">Scoring profile {e(cert.extra["scoring_profile"]["name"])} '
        f"{e(cert.extra['scoring_profile']['version'])}. {e(cert.extra.get('privacy_note', ''))}</p>",
        '<table id="tables"><tr><th>table</th><th>file</th><th>records × '
        "columns</th><th>fingerprint</th></tr>",
    ]
    for name, t in tables.items():
        parts.append(
            f"<tr><td>{e(name)}</td><td>{e(t.get('path') or '(in memory)')}</td>"
            f"<td>{t['rows']:,} × {t['columns']:,}</td><td><code>{e(t['fingerprint'][:23])}</code></td></tr>"
        )
    parts.append("</table><h2>Scores</h2>")
    coverage = cert.extra.get("coverage", {})
    parts.append(
        str(
            _svg.score_bars(
                [(f, cert.scores.get(f), None, coverage.get(f)) for f in FAMILY_ORDER]
                + [("overall", cert.scores.get("overall"), None, None)]
            )
        )
    )
    metrics = _metrics(cert)
    figures = cert.figures or {}
    for family in FAMILY_ORDER:
        parts.append(f'<h2 id="{family}">{family.capitalize()}</h2>')
        if family == "utility":
            tstr = next((m for m in metrics if m["id"] == "tstr_ratio" and m["value"] is not None), None)
            if tstr:
                parts.append(str(_utility_bars(tstr)))
        if family == "privacy" and figures.get("dcr_synthetic"):
            parts.append(str(_dcr_plot(figures["dcr_synthetic"], figures.get("dcr_holdout", []))))
        if family == "fidelity" and figures.get("marginals"):
            parts.append('<div class="grid">')
            parts += [
                f"<figure><figcaption>{e(m['column'])}</figcaption>{_overlay(m)}</figure>"
                for m in figures["marginals"]
            ]
            parts.append("</div>")
        parts.append(
            "<table "
            f'id="metrics-{family}"><tr><th>metric</th><th>value</th><th>interval</th><th>note</th></tr>'
        )
        for m in metrics:
            if m["family"] != family:
                continue
            iv = f"{m['interval'][0]:.3g} – {m['interval'][1]:.3g}" if m.get("interval") else ""
            note = m.get("not_computable") or ""
            parts.append(
                f"<tr><td><code>{e(m['id'])}</code></td><td>{e(_fmt(m['value']))}</td><td>{e(iv)}</td>"
                f'<td class="muted">{e(note)}</td></tr>'
            )
        parts.append("</table>")
    parts.append(
        "<h2>Gates</h2><table "
        'id="gates"><tr><th>gate</th><th>kind</th><th>metric</th><th>status</th><th>value</th><th>bar</th></tr>'
    )
    for g in cert.extra.get("gates", []):
        cls = ' class="gate-fired"' if g["status"] == "fired" else ""
        parts.append(
            f"<tr{cls}><td>{e(g['id'])}</td><td>{e(g['kind'])}</td><td>{e(g['metric'])}</td><td>{e(g['status'])}</td>"
            f"<td>{e(_fmt(g.get('value')))}</td><td>{e(g.get('direction', ''))} "
            f"{e(_fmt(g.get('bar')))}</td></tr>"
        )
    parts.append("</table>")
    if cert.findings:
        parts.append(
            f"<h2>Findings ({len(cert.findings)})</h2><table "
            'id="findings"><tr><th>severity</th><th>check</th><th>columns</th><th>records</th><th>message</th></tr>'
        )
        for f in cert.findings[:500]:
            parts.append(
                f'<tr><td><span class="sev sev-{e(str(f.severity))}">{e(str(f.severity))}</span></td>'
                f"<td><code>{e(f.check)}</code></td><td>{e(', '.join(f.columns[:5]))}</td>"
                f"<td>{f.row_count:,}</td>"
                f"<td>{e(f.message)}</td></tr>"
            )
        parts.append("</table>")
    if cert.remedies:
        parts.append('<h2>Remedies</h2><ol id="remedies">')
        parts += [
            f"<li><strong>{e(s['action'])}</strong> (<code>{e(s['check'])}</code>, {s['rows']:,} records): "
            f"{e(s['description'])}</li>"
            for s in cert.remedies
        ]
        parts.append("</ol>")
    baselines = cert.extra.get("baselines")
    if baselines:
        keys = list(baselines["generators"][0]["key_metrics"]) if baselines["generators"] else []
        parts.append(
            '<h2>Baseline generators</h2><p class="muted small">Fitted on the real training table, as '
            "many records "
            "as the synthetic table; a generator worth training should beat them on utility without "
            "losing privacy.</p>"
            '<table id="baselines"><tr><th>generator</th><th>verdict</th>'
            + "".join(f"<th>{e(k)}</th>" for k in keys)
            + "</tr>"
        )
        mine = {m["id"]: m["value"] for m in metrics}
        parts.append(
            "<tr><td><strong>this synthetic table</strong></td>"
            f"<td>{e(cert.verdict)}</td>"
            + "".join(f"<td>{e(_fmt(mine.get(k)))}</td>" for k in keys)
            + "</tr>"
        )
        for b in baselines["generators"]:
            parts.append(
                f"<tr><td>{e(b['name'])}</td><td>{e(b['verdict'])}</td>"
                + "".join(f"<td>{e(_fmt(b['key_metrics'].get(k)))}</td>" for k in keys)
                + "</tr>"
            )
        parts.append("</table>")
    missing = cert.extra.get("not_computable", {})
    if missing:
        parts.append('<h2>Not computed</h2><ul id="not-computed">')
        parts += [f"<li><code>{e(k)}</code>: {e(v)}</li>" for k, v in missing.items()]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(str(p) for p in parts)
