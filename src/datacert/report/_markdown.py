"""Markdown summary for pull requests and notebooks."""

from __future__ import annotations


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(certificate) -> str:
    ds = certificate.dataset
    lines = [
        f"# datacert certificate: {ds.get('path') or 'table'}",
        "",
        f"**Verdict: {certificate.verdict}** (overall score "
        f"{'N/A' if certificate.scores.get('overall') is None else round(certificate.scores['overall'])})",
        "",
        f"{ds['rows']:,} records × {ds['columns']:,} columns, fingerprint `{ds['fingerprint']}`",
        "",
        "## Reasons",
        *[f"- {_cell(r)}" for r in certificate.reasons],
        "",
        "## Scores",
        "| dimension | score |",
        "|---|---|",
        *[f"| {d} | {'N/A' if s is None else round(s)} |" for d, s in certificate.scores.items()],
        "",
        "## Findings",
    ]
    if certificate.findings:
        lines += ["| severity | check | columns | records | message |", "|---|---|---|---|---|"]
        for f in certificate.findings:
            cols = ", ".join(f.columns[:5]) + (" …" if len(f.columns) > 5 else "")
            lines.append(f"| {f.severity} | {f.check} | {_cell(cols)} | {f.row_count} | {_cell(f.message)} |")
    else:
        lines.append("No findings.")
    if certificate.not_tested:
        lines += ["", "## Not tested", *[f"- `{c['check']}`: {_cell(c.get('reason', ''))}" for c in certificate.not_tested]]
    return "\n".join(lines) + "\n"
