"""Inline SVG drawing of precomputed plot data: layout and formatting only, no statistics."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
MISSING_COLOUR = "#c9ced6"
FONT = 'font-family="system-ui,sans-serif" font-size="11"'


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(width: int, height: int, body: list[str], label: str, css: str = "plot") -> Markup:
    return Markup(
        f'<svg class="{css}" role="img" aria-label="{_t(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f"<title>{_t(label)}</title>{''.join(body)}</svg>"
    )


def score_colour(score: float | None) -> str:
    if score is None:
        return MISSING_COLOUR
    return "#2e8b57" if score >= 75 else "#d49a00" if score >= 60 else "#c0392b"


def score_bars(
    rows: Sequence[tuple[str, float | None, Sequence[float] | None, float | None]], floor: float | None = None
) -> Markup:
    """Horizontal bars (0-100) with the interval as a whisker and the coverage as text."""
    left, width, row_h = 150, 330, 22
    height = row_h * len(rows) + 30
    body = []
    for i, (label, score, interval, coverage) in enumerate(rows):
        y = 8 + i * row_h
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{_t(label)}</text>')
        body.append(f'<rect x="{left}" y="{y + 3}" width="{width}" height="{row_h - 8}" fill="#f0f2f5"/>')
        if score is None:
            body.append(f'<text x="{left + 6}" y="{y + 13}" fill="#59626e">N/A: no evidence</text>')
        else:
            w = width * max(0.0, min(100.0, score)) / 100
            body.append(
                f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{score_colour(score)}"><title>{_t(label)}: {score:.0f}</title></rect>'
            )
            if interval:
                x0, x1 = (left + width * v / 100 for v in interval)
                body.append(
                    f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y + 10}" y2="{y + 10}" stroke="#1d2733" '
                    f'stroke-width="1.5"/><line x1="{x0:.1f}" x2="{x0:.1f}" y1="{y + 6}" y2="{y + 14}" '
                    f'stroke="#1d2733"/><line x1="{x1:.1f}" x2="{x1:.1f}" y1="{y + 6}" y2="{y + 14}" '
                    f'stroke="#1d2733"/>'
                )
            text = f"{score:.0f}" + (f" [{interval[0]:.0f}–{interval[1]:.0f}]" if interval else "")
            body.append(f'<text x="{left + width + 6}" y="{y + 13}">{_t(text)}</text>')
        if coverage is not None:
            body.append(
                f'<text x="{left + width + 96}" y="{y + 13}" fill="#59626e">coverage {coverage:.0%}</text>'
            )
    if floor is not None:
        x = left + width * floor / 100
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{height - 22}" stroke="#8f1d1d" '
            f'stroke-dasharray="3 3"/><text x="{x:.1f}" y="{height - 8}" text-anchor="middle" '
            f'fill="#8f1d1d">floor {floor:.0f}</text>'
        )
    return _svg(left + width + 190, height, body, "Scores per dimension with 90% intervals", "plot scores")


def heatmap(matrix: Sequence[Sequence[float]], columns: Sequence[str], row_edges: Sequence[int]) -> Markup:
    """Rows (binned records) by columns; darker = more missing."""
    n_rows, n_cols = len(matrix), len(columns)
    cell_w = max(8, min(24, 640 // max(1, n_cols)))
    cell_h = max(4, min(10, 300 // max(1, n_rows)))
    top, left = 110, 60
    width, height = left + cell_w * n_cols + 70, top + cell_h * n_rows + 20
    peak = max((max(row) for row in matrix if row), default=0.0) or 1.0
    body = []
    for j, name in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        short = name if len(name) <= 16 else name[:15] + "…"
        body.append(
            f'<text transform="translate({x:.1f},{top - 4}) rotate(-60)">{_t(short)}'
            f"<title>{_t(name)}</title></text>"
        )
    for i, row in enumerate(matrix):
        y = top + i * cell_h
        for j, value in enumerate(row):
            if value > 0:
                body.append(
                    f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w}" height="{cell_h}" '
                    f'fill="#7a1f5c" fill-opacity="{0.15 + 0.85 * value / peak:.2f}"/>'
                )
    body.append(
        f'<rect x="{left}" y="{top}" width="{cell_w * n_cols}" height="{cell_h * n_rows}" fill="none" '
        f'stroke="#aab2bd"/>'
    )
    body.append(
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{row_edges[0] + 1 if row_edges else 1}</text>'
    )
    body.append(
        f'<text x="{left - 4}" y="{top + cell_h * n_rows}" text-anchor="end">'
        f"{row_edges[-1] if row_edges else n_rows}</text>"
    )
    body.append(
        f'<text x="{left}" y="{height - 4}" fill="#59626e">darkest: {peak:.0%} of the records of a bin '
        f"missing</text>"
    )
    return _svg(width, height + 6, body, "Missingness map: records (binned, in file order) by column")


def bars(counts: Sequence[int], labels: Sequence[str], title: str, colour: str = "#4a6fa5") -> Markup:
    """Vertical bars with a label under each."""
    left, width, height = 40, 36 * len(counts), 160
    top = max(counts) if counts else 1
    body = []
    for i, (c, label) in enumerate(zip(counts, labels, strict=False)):
        h = 110 * c / top if top else 0
        x = left + i * 36
        body.append(
            f'<rect x="{x + 4}" y="{130 - h:.1f}" width="28" height="{h:.1f}" fill="{colour}">'
            f'<title>{_t(label)}: {c:,}</title></rect><text x="{x + 18}" y="145" text-anchor="middle">'
            f'{_t(label)}</text><text x="{x + 18}" y="{126 - h:.1f}" text-anchor="middle">{c:,}</text>'
        )
    return _svg(left + width + 10, height, body, title)


def histogram(
    edges: Sequence[float],
    counts: Sequence[int],
    flagged: Sequence[int],
    title: str,
    show_values: bool,
    log10: bool = False,
) -> Markup:
    """All values in grey, flagged records' values in red on top; axis values hidden when redacted."""
    left, width, height, plot_h = 40, 300, 150, 100
    top = max(max(counts, default=0), 1)
    bar_w = width / max(1, len(counts))
    body = [f'<line x1="{left}" x2="{left + width}" y1="{plot_h + 10}" y2="{plot_h + 10}" stroke="#aab2bd"/>']
    for i, (c, f) in enumerate(zip(counts, flagged, strict=False)):
        x = left + i * bar_w
        h = plot_h * c / top
        if c:
            body.append(
                f'<rect x="{x:.1f}" y="{plot_h + 10 - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="#aab2bd"/>'
            )
        if f:
            hf = max(2.0, plot_h * f / top)
            body.append(
                f'<rect class="flagged" x="{x:.1f}" y="{plot_h + 10 - hf:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{hf:.1f}" fill="#c0392b"><title>{f:,} flagged</title></rect>'
            )
    if show_values and edges:
        fmt = (lambda v: f"10^{v:.2g}") if log10 else (lambda v: f"{v:.4g}")
        body.append(f'<text x="{left}" y="{plot_h + 24}">{_t(fmt(edges[0]))}</text>')
        body.append(
            f'<text x="{left + width}" y="{plot_h + 24}" text-anchor="end">{_t(fmt(edges[-1]))}</text>'
        )
    body.append(
        f'<text x="{left}" y="{height - 6}" fill="#59626e">{"log10 scale · " if log10 else ""}grey: all '
        f"values, red: flagged records</text>"
    )
    return _svg(left + width + 10, height, body, title)


def scatter(
    points: Sequence[Sequence[float]], codes: Sequence[int] | None, levels: Sequence[str] | None, title: str
) -> Markup:
    """2-D map of records; colour = level code (-1 = missing)."""
    size, pad = 300, 12
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    sx = (size - 2 * pad) / ((x1 - x0) or 1)
    sy = (size - 2 * pad) / ((y1 - y0) or 1)
    body = [f'<rect x="0" y="0" width="{size}" height="{size}" fill="#fafbfc" stroke="#e3e7ec"/>']
    for i, (x, y) in enumerate(zip(xs, ys, strict=False)):
        code = codes[i] if codes is not None else 0
        colour = MISSING_COLOUR if code < 0 else PALETTE[code % len(PALETTE)]
        body.append(
            f'<circle cx="{pad + (x - x0) * sx:.1f}" cy="{size - pad - (y - y0) * sy:.1f}" r="2.2" '
            f'fill="{colour}" fill-opacity="0.75"/>'
        )
    legend_h = 16 * (len(levels or []) + 1)
    for k, level in enumerate(levels or []):
        body.append(
            f'<circle cx="{size + 14}" cy="{14 + 16 * k}" r="5" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{size + 24}" y="{18 + 16 * k}">{_t(level)}</text>'
        )
    return _svg(size + 130, max(size, legend_h), body, title, "plot map")


def level_bars(levels: Sequence[dict], title: str, labels: Sequence[str]) -> Markup:
    """Share of records per level with its 95 % interval (precomputed)."""
    left, width, row_h = 130, 260, 20
    height = row_h * len(levels) + 26
    body = []
    for i, (lv, label) in enumerate(zip(levels, labels, strict=False)):
        y = 6 + i * row_h
        w = width * lv["share"]
        x0, x1 = left + width * lv["low"], left + width * lv["high"]
        short = label if len(label) <= 18 else label[:17] + "…"
        body.append(
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{_t(short)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="#4a6fa5">'
            f"<title>{lv['count']:,} records</title></rect>"
            f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y + 9}" y2="{y + 9}" stroke="#1d2733"/>'
            f'<text x="{left + width + 6}" y="{y + 12}">{lv["count"]:,} ({lv["share"]:.1%})</text>'
        )
    body.append(
        f'<text x="{left}" y="{height - 6}" fill="#59626e">bars: share of records; whiskers: 95% '
        f"Wilson interval</text>"
    )
    return _svg(left + width + 110, height, body, title)
