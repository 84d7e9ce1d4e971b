"""Markdown summary for pull requests and notebooks."""

from __future__ import annotations

from datacert.report._escape import markdown, markdown_code
from datacert.report._sampling import sampling_note


def _cell(text: str) -> str:
    """Data in a table cell or a list item: escaped, so a hostile name shows as its characters."""
    return markdown(text)


def _interval(interval) -> str:
    return "" if not interval else f"{interval[0]:.0f}–{interval[1]:.0f}"


def render_markdown(certificate) -> str:
    ds = certificate.dataset
    extra = certificate.extra
    profile = extra.get("scoring_profile") or {}
    intervals = extra.get("score_intervals") or {}
    coverage = extra.get("coverage") or {}
    profile_name = f"{profile.get('name', '?')} {profile.get('version', '')}"
    lines = [
        f"# datacert certificate: {_cell(ds.get('path') or 'table')}",
        "",
        f"**Verdict: {_cell(certificate.verdict)}** (overall score "
        f"{'N/A' if certificate.scores.get('overall') is None else round(certificate.scores['overall'])})",
        "",
        f"{ds['rows']:,} records × {ds['columns']:,} columns, fingerprint {markdown_code(ds['fingerprint'])}",
        "",
        *(
            [_cell(sampling_note(certificate.profile["sampling"])), ""]
            if certificate.profile.get("sampling")
            else []
        ),
        "## Reasons",
        *[f"- {_cell(r)}" for r in certificate.reasons],
        "",
        "## Scores",
        f"Scoring profile {markdown_code(profile_name)}; "
        "90 % bootstrap intervals; "
        "coverage = share of the dimension's indicators the data allowed to compute (N/A is never 0 or 100).",
        "",
        "| dimension | score | 90 % interval | coverage |",
        "|---|---|---|---|",
        *[
            f"| {_cell(d)} | {'N/A' if s is None else round(s)} | {_interval(intervals.get(d))} | "
            f"{'' if coverage.get(d) is None else f'{coverage[d]:.0%}'} |"
            for d, s in certificate.scores.items()
        ],
        "",
        "## Findings",
    ]
    if certificate.findings:
        lines += ["| severity | check | columns | records | message |", "|---|---|---|---|---|"]
        for f in certificate.findings:
            cols = ", ".join(_cell(c) for c in f.columns[:5]) + (" …" if len(f.columns) > 5 else "")
            lines.append(
                f"| {_cell(f.severity)} | {_cell(f.check)} | {cols} | {f.row_count} | {_cell(f.message)} |"
            )
    else:
        lines.append("No findings.")
    if certificate.remedies:
        lines += ["", "## What to do, in order"]
        lines += [
            f"{r['step']}. {markdown_code(r['action'])} ({_cell(r['check'])}): "
            f"{_cell(r.get('description', ''))}"
            for r in certificate.remedies
        ]
    if certificate.not_tested:
        lines += [
            "",
            "## Not tested",
            *[f"- {markdown_code(c['check'])}: {_cell(c.get('reason', ''))}" for c in certificate.not_tested],
        ]
    return "\n".join(lines) + "\n"
