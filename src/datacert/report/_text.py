"""Compact terminal summary: verdict, scores, findings by severity, what was not tested."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from datacert.report._escape import terminal as _t
from datacert.report._sampling import sampling_note

SEVERITY_STYLE = {"critical": "bold white on red", "error": "bold red", "warning": "yellow", "info": "cyan"}
VERDICT_STYLE = {"release": "bold green", "prequalify": "bold yellow", "reject": "bold red"}


def render_text(certificate, color: bool = False, width: int = 110) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False)
    ds = certificate.dataset
    console.print(
        f"datacert certificate for [bold]{_t(ds.get('path') or 'table')}[/] "
        f"({ds['rows']:,} records x {ds['columns']:,} columns, {ds['fingerprint'][:19]}...)"
    )
    sampling = (certificate.profile or {}).get("sampling")
    if sampling:
        console.print(_t(sampling_note(sampling)))
    intervals = certificate.extra.get("score_intervals") or {}
    profile = certificate.extra.get("scoring_profile") or {}
    overall_iv = intervals.get("overall")
    console.print(
        f"Verdict: [{VERDICT_STYLE[certificate.verdict]}]{certificate.verdict.upper()}[/]"
        f"   overall score {_score(certificate.scores.get('overall'))}"
        + (f" [{overall_iv[0]:.0f}-{overall_iv[1]:.0f}]" if overall_iv else "")
        + (f"   profile {profile.get('name')} {profile.get('version')}" if profile else "")
    )
    for reason in certificate.reasons[:10]:
        console.print(f"  - {_t(reason)}")
    scores = "  ".join(f"{_t(d)} {_score(s)}" for d, s in certificate.scores.items() if d != "overall")
    console.print(f"Scores: {scores}")
    if certificate.findings:
        table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
        for col in ("severity", "check", "columns", "records", "message"):
            table.add_column(col, overflow="fold")
        for f in certificate.findings[:60]:
            cols = ", ".join(_t(c) for c in f.columns[:3]) + (
                f" +{len(f.columns) - 3}" if len(f.columns) > 3 else ""
            )
            table.add_row(
                f"[{SEVERITY_STYLE[str(f.severity)]}]{f.severity}[/]",
                _t(f.check),
                cols,
                f"{f.row_count:,}" if f.row_count else "",
                _t(f.message),
            )
        console.print(table)
        if len(certificate.findings) > 60:
            console.print(
                f"... and {len(certificate.findings) - 60} more findings (see the JSON certificate)."
            )
    else:
        console.print("No findings.")
    not_tested = certificate.not_tested
    if not_tested:
        console.print(f"Not tested ({len(not_tested)}):")
        for c in not_tested:
            console.print(f"  - {_t(c['check'])}: {_t(c.get('reason', ''))}")
    return buffer.getvalue()


def _score(value) -> str:
    return "N/A" if value is None else f"{value:.0f}"
