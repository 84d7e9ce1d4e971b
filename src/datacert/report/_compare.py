"""Renderers of a comparison (datacert.compare): text, Markdown and a self-contained HTML page.

They format the comparison's dictionary; every statistic was computed in datacert.compare.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

from datacert.report import _svg
from datacert.report._escape import markdown, plain

MAX_SHIFT_ROWS = 50


def _escaped(value: Any, escape: Any) -> Any:
    """A copy of the comparison with every string escaped for the target format (numbers kept)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v, escape) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v, escape) for v in value]
    return value


def _s(value: Any) -> str:
    return "N/A" if value is None else f"{value:.0f}"


def _iv(interval: Any) -> str:
    return "" if not interval else f" [{interval[0]:.0f}-{interval[1]:.0f}]"


def _diff(row: dict[str, Any]) -> str:
    if row["difference"] is None:
        return ""
    mark = " *" if row["separated"] else ""
    return f"{row['difference']:+.0f}{mark}"


def render_compare_text(cmp: dict[str, Any]) -> str:
    cmp = _escaped(cmp, plain)
    a, b = cmp["a"], cmp["b"]
    lines = [
        f"A: {a['name']} ({a['rows']:,} x {a['columns']:,}) verdict {a['verdict'].upper()}",
        f"B: {b['name']} ({b['rows']:,} x {b['columns']:,}) verdict {b['verdict'].upper()}",
        f"lineage A: {a.get('lineage', '-')}",
        f"lineage B: {b.get('lineage', '-')}",
        "",
        f"{'dimension':<20}{'A':>16}{'B':>16}{'B-A':>8}",
    ]
    for row in cmp["scores"]:
        lines.append(
            f"{row['dimension']:<20}{_s(row['a']) + _iv(row['interval_a']):>16}"
            f"{_s(row['b']) + _iv(row['interval_b']):>16}{_diff(row):>8}"
        )
    lines.append("(* the 90 % intervals separate)")
    f = cmp["findings"]
    lines += ["", f"Findings only in A ({len(f['only_in_a'])}):"]
    lines += [
        f"  - {x['severity']} {x['check']} {', '.join(x['columns'][:3])}: {x['message']}"
        for x in f["only_in_a"][:30]
    ]
    lines += [f"Findings only in B ({len(f['only_in_b'])}):"]
    lines += [
        f"  - {x['severity']} {x['check']} {', '.join(x['columns'][:3])}: {x['message']}"
        for x in f["only_in_b"][:30]
    ]
    lines.append(f"Findings in both: {f['in_both']} ({len(f['changed'])} changed severity or extent)")
    shift = cmp.get("shift")
    if shift:
        lines += [
            "",
            f"Distribution shift: {shift['shifted']} of {shift['tested']} shared columns shifted "
            f"(BH q < {shift['alpha']:g} and |SMD| >= {shift['smd_threshold']:g})",
        ]
        for r in shift["columns"][:20]:
            if r["shifted"]:
                lines.append(
                    f"  - {r['column']}: {r['test']} {r['statistic']:.3g}, q {r['q_value']:.2g}, "
                    f"SMD {r['smd']:+.2f}"
                )
    lines += [f"Note: {n}" for n in cmp["notes"]]
    return "\n".join(lines) + "\n"


def render_compare_markdown(cmp: dict[str, Any]) -> str:
    cmp = _escaped(cmp, markdown)
    a, b = cmp["a"], cmp["b"]
    lines = [
        f"# datacert comparison: {a['name']} vs {b['name']}",
        "",
        f"| | A: {a['name']} | B: {b['name']} |",
        "|---|---|---|",
        f"| verdict | **{a['verdict']}** | **{b['verdict']}** |",
        f"| records × columns | {a['rows']:,} × {a['columns']:,} | {b['rows']:,} × {b['columns']:,} |",
        f"| lineage | {a.get('lineage', '-')} | {b.get('lineage', '-')} |",
        "",
        "## Scores (90 % intervals)",
        "| dimension | A | B | B − A |",
        "|---|---|---|---|",
    ]
    for row in cmp["scores"]:
        lines.append(
            f"| {row['dimension']} | {_s(row['a'])}{_iv(row['interval_a'])} | "
            f"{_s(row['b'])}{_iv(row['interval_b'])} | {_diff(row)} |"
        )
    lines += ["", "\\* the intervals separate.", "", "## Findings"]
    f = cmp["findings"]
    for side in ("a", "b"):
        lines.append(
            f"- only in {side.upper()}: "
            + (", ".join(f"{x['check']} ({x['severity']})" for x in f[f"only_in_{side}"][:30]) or "none")
        )
    lines.append(f"- in both: {f['in_both']}")
    shift = cmp.get("shift")
    if shift:
        lines += [
            "",
            "## Distribution shift",
            f"{shift['shifted']} of {shift['tested']} shared columns shifted (BH q < {shift['alpha']:g}, "
            f"|SMD| ≥ {shift['smd_threshold']:g}).",
            "",
            "| column | test | statistic | q | SMD |",
            "|---|---|---|---|---|",
        ]
        for r in [r for r in shift["columns"] if r["shifted"]][:30]:
            lines.append(
                f"| {r['column']} | {r['test']} | {r['statistic']:.3g} | {r['q_value']:.2g} | "
                f"{r['smd']:+.2f} |"
            )
    lines += [f"> {n}" for n in cmp["notes"]]
    return "\n".join(lines) + "\n"


def _paired_bars(scores: list[dict[str, Any]]) -> Markup:
    rows = []
    for row in scores:
        rows.append((f"{row['dimension'].replace('_', ' ')} A", row["a"], row["interval_a"], None))
        rows.append((f"{row['dimension'].replace('_', ' ')} B", row["b"], row["interval_b"], None))
    return _svg.score_bars(rows)


def render_compare_html(cmp: dict[str, Any]) -> str:
    a, b = cmp["a"], cmp["b"]
    e = lambda v: escape(str(v))  # noqa: E731
    parts = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>datacert '
        "comparison</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 "
        "1rem;color:#1d2733}"
        "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid "
        "#e3e7ec;padding:.3rem;text-align:left;"
        "font-size:.88rem}.release{color:#1b6b34}.prequalify{color:#7a5a00}.reject{color:#8f1d1d}"
        ".sep{font-weight:700}</style></head><body>",
        f"<h1>Comparison: {e(a['name'])} vs {e(b['name'])}</h1>",
        '<table id="verdicts"><tr><th></th><th>A</th><th>B</th></tr>',
        f"<tr><td>dataset</td><td>{e(a['name'])}</td><td>{e(b['name'])}</td></tr>",
        f'<tr><td>verdict</td><td class="{e(a["verdict"])}"><strong>{e(a["verdict"].upper())}</strong></td>'
        f'<td class="{e(b["verdict"])}"><strong>{e(b["verdict"].upper())}</strong></td></tr>',
        f"<tr><td>records × columns</td><td>{a['rows']:,} × {a['columns']:,}</td><td>{b['rows']:,} × "
        f"{b['columns']:,}"
        f"</td></tr>",
        f"<tr><td>lineage</td><td>{e(a.get('lineage', '-'))}</td><td>{e(b.get('lineage', '-'))}</td></tr>"
        f"<tr><td>reasons</td><td>{'<br>'.join(e(r) for r in a['reasons'])}</td>"
        f"<td>{'<br>'.join(e(r) for r in b['reasons'])}</td></tr></table>",
        "<h2>Scores</h2>",
        str(_paired_bars(cmp["scores"])),
        '<table id="scores"><tr><th>dimension</th><th>A</th><th>B</th><th>B − A</th></tr>',
    ]
    for row in cmp["scores"]:
        parts.append(
            f"<tr><td>{e(row['dimension'])}</td><td>{_s(row['a'])}{_iv(row['interval_a'])}</td>"
            f'<td>{_s(row["b"])}{_iv(row["interval_b"])}</td><td class="{"sep" if row["separated"] else ""}'
            f'">{e(_diff(row))}</td></tr>'
        )
    parts.append("</table><p><small>* bold: the 90 % intervals separate, the difference is real.</small></p>")
    f = cmp["findings"]
    for side in ("a", "b"):
        items = f[f"only_in_{side}"]
        parts.append(f'<h2>Findings only in {side.upper()} ({len(items)})</h2><ul id="only-{side}">')
        parts += [
            f"<li>{e(x['severity'])} <code>{e(x['check'])}</code> {e(', '.join(x['columns'][:5]))}: "
            f"{e(x['message'])}</li>"
            for x in items[:200]
        ]
        parts.append("</ul>")
    shift = cmp.get("shift")
    if shift:
        parts.append(
            f"<h2>Distribution shift</h2><p>{shift['shifted']} of {shift['tested']} shared columns shifted "
            f"(Benjamini-Hochberg q &lt; {shift['alpha']:g} and |SMD| ≥ {shift['smd_threshold']:g}).</p>"
            '<table id="shift"><tr><th>column</th><th>kind</th><th>test</th><th>statistic</th><th>q</th>'
            "<th>SMD</th><th>shifted</th></tr>"
        )
        for r in shift["columns"][:MAX_SHIFT_ROWS]:
            parts.append(
                f"<tr><td>{e(r['column'])}</td><td>{r['kind']}</td><td>{r['test']}</td>"
                f"<td>{r['statistic']:.3g}</td><td>{r['q_value']:.2g}</td><td>{r['smd']:+.2f}</td>"
                f"<td>{'yes' if r['shifted'] else ''}</td></tr>"
            )
        parts.append("</table>")
    parts += [f"<p><em>{e(n)}</em></p>" for n in cmp["notes"]]
    parts.append("</body></html>\n")
    return "".join(parts)
