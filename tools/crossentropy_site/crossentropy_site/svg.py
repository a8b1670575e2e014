"""Charts as inline SVG that stay legible from a phone to a desktop.

The drawing is 480 units wide and shown at most 600 px wide (``extra.css``), so text
drawn 13 units high renders at 16 px on a desktop and, on a 390 px phone (about 358 px
of content), at 9.7 px. Nothing is drawn over the data: the legend sits under the
plot, one entry per row. Line charts have linear axes; bar charts are horizontal (the
category names, often long, read on the left) on a linear or logarithmic value axis,
with each bar's value written at its end.

Colours come from the CSS classes ``ce-series-N`` (``extra.css``, Okabe-Ito, one set
per palette), axes and text use ``currentColor``; series also differ by dash pattern
(lines), so colour is never the only cue. Every chart carries its title and a
description for screen readers, and :func:`data_table` gives the numbers behind it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["Chart", "Series", "data_table", "nice_ticks", "render_chart"]

FloatArray = NDArray[np.float64]
MINUS = "\N{MINUS SIGN}"

WIDTH = 480
FONT = 13  # ticks, legend, axis titles, bar values
TITLE_FONT = 14
CHAR = 0.58  # average advance of a character, in ems (for layout only)
ROW = 19  # height of a legend row
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2")


@dataclass
class Series:
    label: str
    y: FloatArray
    x: FloatArray | None = None  # None for bar charts (the values are per category)


@dataclass
class Chart:
    title: str
    x_label: str
    y_label: str
    series: list[Series]
    kind: Literal["line", "bar"] = "line"
    categories: list[str] = field(default_factory=list)  # bar charts
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    log: bool = False  # bar charts: a logarithmic value axis
    unit: str = ""  # bar charts: the unit written after the largest tick


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick positions covering ``[lo, hi]`` (steps 1, 2, 2.5, 5 x 10^k)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = start
    while value <= hi + 1e-9 * step:
        ticks.append(0.0 if abs(value) < 1e-12 else round(value, 12))
        value += step
    return ticks


def _fmt(value: float) -> str:
    return f"{value:g}".replace("-", MINUS)


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{html.escape(text)}</text>'


def _width(text: str, size: float = FONT) -> float:
    return len(text) * CHAR * size


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Words of ``text`` in lines that fit ``width`` units."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(lines[-1] + " " + word, size) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _finite_range(values: Sequence[FloatArray]) -> tuple[float, float]:
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    if finite.size == 0:
        raise ValueError("no finite values to plot")
    return float(finite.min()), float(finite.max())


def _dash(k: int) -> str:
    dash = DASHES[k % len(DASHES)]
    return f' stroke-dasharray="{dash}"' if dash else ""


def _css(k: int) -> str:
    return f"ce-series ce-series-{k % 8 + 1}"


def _legend(chart: Chart, top: float) -> list[str]:
    """One row per series under the plot: a swatch, then the label."""
    out = ['<g class="ce-legend">']
    for k, s in enumerate(chart.series):
        y = top + ROW * k + ROW / 2
        if chart.kind == "bar":
            out.append(f'<rect class="{_css(k)}" x="12" y="{y - 6:.1f}" width="24" height="11"/>')
        else:
            out.append(
                f'<line class="{_css(k)}" x1="12" x2="36" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="currentColor" stroke-width="2.5"{_dash(k)}/>'
            )
        out.append(_text(44, y + 4.5, s.label))
    out.append("</g>")
    return out


def _open(chart: Chart, ident: str, description: str, height: float) -> list[str]:
    title_id, desc_id = f"{ident}-t", f"{ident}-d"
    lines = _wrap(chart.title, TITLE_FONT, WIDTH - 24)
    out = [
        f'<svg class="ce-figure" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{FONT}" fill="currentColor">',
        f'<title id="{title_id}">{html.escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{html.escape(description or chart.title)}</desc>',
    ]
    for i, line in enumerate(lines):
        out.append(_text(12, 20 + i * 18, line, font_weight="bold", font_size=str(TITLE_FONT)))
    return out


def _title_height(chart: Chart) -> float:
    return 14 + 18 * len(_wrap(chart.title, TITLE_FONT, WIDTH - 24))


def _line_chart(chart: Chart, ident: str, description: str) -> str:
    left, right, plot_h = 54.0, 14.0, 210.0
    top = _title_height(chart) + 8
    pw = WIDTH - left - right
    xs = [s.x for s in chart.series if s.x is not None]
    x0, x1 = chart.x_range or _finite_range(xs)
    y0, y1 = chart.y_range or _finite_range([s.y for s in chart.series])
    if chart.y_range is None:
        y0 = min(y0, 0.0)
    y_ticks = nice_ticks(y0, y1)
    y0, y1 = min(y0, y_ticks[0]), max(y1, y_ticks[-1])
    legend_top = top + plot_h + 48
    height = legend_top + ROW * len(chart.series) + 8

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * plot_h

    clip = f"{ident}-c"
    out = _open(chart, ident, description, height)
    box = f'x="{left}" y="{top}" width="{pw}" height="{plot_h}"'
    out.append(f'<clipPath id="{clip}"><rect {box}/></clipPath>')
    out.append('<g class="ce-axes" stroke="currentColor" stroke-width="1">')
    for t in y_ticks:
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
            'stroke-opacity="0.2"/>'
        )
    out.append(f'<path d="M{left},{top} V{top + plot_h} H{left + pw}" fill="none"/>')
    out.append("</g>")
    for t in y_ticks:
        out.append(_text(left - 6, sy(t) + 4.5, _fmt(t), text_anchor="end"))
    for t in nice_ticks(x0, x1):
        if x0 - 1e-9 <= t <= x1 + 1e-9:
            out.append(_text(sx(t), top + plot_h + 17, _fmt(t), text_anchor="middle"))
    out.append(_text(left + pw / 2, top + plot_h + 36, chart.x_label, text_anchor="middle"))
    middle = top + plot_h / 2
    out.append(
        _text(
            14,
            middle,
            chart.y_label,
            text_anchor="middle",
            transform=f"rotate(-90 14 {middle:.1f})",
        )
    )
    out.append(f'<g clip-path="url(#{clip})">')
    for k, s in enumerate(chart.series):
        assert s.x is not None
        segments: list[list[str]] = [[]]
        for x, y in zip(s.x, s.y, strict=True):
            if np.isfinite(y):
                segments[-1].append(f"{sx(float(x)):.1f},{sy(float(y)):.1f}")
            elif segments[-1]:
                segments.append([])
        d = " ".join("M" + " L".join(seg) for seg in segments if seg)
        out.append(
            f'<path class="{_css(k)}" d="{d}" fill="none" stroke="currentColor" '
            f'stroke-width="2.5" stroke-linejoin="round"{_dash(k)}/>'
        )
    out.append("</g>")
    out += _legend(chart, legend_top)
    out.append("</svg>")
    return "".join(out)


def _category_lines(name: str) -> list[str]:
    """``4096x32000 float32`` as two lines: the shape with multiplication signs, over
    ``float32``."""
    shape, _, rest = name.partition(" ")
    shape = shape.replace("x", " \N{MULTIPLICATION SIGN} ")
    return [shape, rest] if rest else [shape]


def _bar_chart(chart: Chart, ident: str, description: str) -> str:
    n = len(chart.series)
    bar, gap = 14.0, 14.0
    group = n * bar + gap
    labels = [_category_lines(c) for c in chart.categories]
    left = 12 + max(_width(line) for lines in labels for line in lines)
    right = 12 + _width("1000")
    top = _title_height(chart) + 10
    plot_h = group * len(chart.categories)
    pw = WIDTH - left - right
    values = np.concatenate([s.y for s in chart.series])
    finite = values[np.isfinite(values) & (values > 0 if chart.log else np.isfinite(values))]
    if finite.size == 0:
        raise ValueError("no values to plot")
    if chart.log:
        lo = 10.0 ** math.floor(math.log10(finite.min()))
        hi = 10.0 ** math.ceil(math.log10(finite.max()))
        ticks = [lo * 10.0**i for i in range(round(math.log10(hi / lo)) + 1)]

        def sx(v: float) -> float:
            return left + math.log10(v / lo) / math.log10(hi / lo) * pw
    else:
        ticks = nice_ticks(0.0, float(finite.max()))
        lo, hi = 0.0, ticks[-1]

        def sx(v: float) -> float:
            return left + (v - lo) / (hi - lo) * pw

    axis_y = top + plot_h
    legend_top = axis_y + 48
    height = legend_top + ROW * n + 8
    out = _open(chart, ident, description, height)
    out.append('<g class="ce-axes" stroke="currentColor" stroke-width="1">')
    for t in ticks:
        x = f"{sx(t):.1f}"
        out.append(f'<line x1="{x}" x2="{x}" y1="{top}" y2="{axis_y}" stroke-opacity="0.2"/>')
    out.append(f'<path d="M{left},{top} V{axis_y} H{left + pw}" fill="none"/>')
    out.append("</g>")
    for t in ticks:
        out.append(_text(sx(t), axis_y + 17, _fmt(t), text_anchor="middle"))
    axis_title = chart.x_label + (" (logarithmic scale)" if chart.log else "")
    out.append(_text(left + pw / 2, axis_y + 36, axis_title, text_anchor="middle"))
    for i, lines in enumerate(labels):
        middle = top + i * group + gap / 2 + n * bar / 2
        for j, line in enumerate(lines):
            offset = (j - (len(lines) - 1) / 2) * 15 + 4.5
            out.append(_text(left - 8, middle + offset, line, text_anchor="end"))
    for k, s in enumerate(chart.series):
        for i, value in enumerate(s.y):
            if not np.isfinite(value) or (chart.log and value <= 0):
                continue
            y = top + i * group + gap / 2 + k * bar
            width = max(1.0, sx(float(value)) - left)
            out.append(
                f'<rect class="{_css(k)}" x="{left}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{bar - 2:.1f}"><title>{html.escape(s.label)}: {value:.3g}</title></rect>'
            )
            out.append(_text(left + width + 4, y + bar - 3, f"{value:.3g}"))
    out += _legend(chart, legend_top)
    out.append("</svg>")
    return "".join(out)


def render_chart(chart: Chart, *, ident: str, description: str = "") -> str:
    """An accessible inline ``<svg>`` of ``chart``."""
    if chart.kind == "bar":
        return _bar_chart(chart, ident, description)
    return _line_chart(chart, ident, description)


def data_table(chart: Chart, *, rows: int = 9) -> str:
    """The numbers behind ``chart`` as an HTML table: every bar, or for lines the values
    at up to ``rows`` evenly spaced points of the x axis."""
    head = [chart.x_label if chart.kind == "line" else "", *[s.label for s in chart.series]]
    body: list[list[str]] = []
    if chart.kind == "bar":
        for i, category in enumerate(chart.categories):
            body.append(
                [category, *[f"{s.y[i]:.4g}" if np.isfinite(s.y[i]) else "—" for s in chart.series]]
            )
    else:
        x = chart.series[0].x
        assert x is not None
        picks = np.unique(np.linspace(0, len(x) - 1, min(rows, len(x))).round().astype(int))
        for i in picks:
            cells = [f"{float(x[i]):.4g}"]
            for s in chart.series:
                value = float(s.y[i])
                cells.append(f"{value:.4g}" if math.isfinite(value) else "—")
            body.append(cells)
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    rows_html = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{rows_html}</tbody></table>"
