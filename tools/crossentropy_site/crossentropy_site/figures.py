"""Figures drawn at build time as inline SVG, from the package's own functions.

A ``pymdownx.superfences`` custom fence turns::

    ```figure
    name: binary-entropy
    caption: Entropy of a coin with P(heads) = p.
    ```

into ``<figure><svg>...</svg><figcaption>...</figcaption></figure>``. The body is
``key: value`` lines:

``name`` (required)
    A key of :data:`FIGURES`, e.g. ``neg-log``, ``loss-vs-true-class``,
    ``binary-entropy``, or ``json-chart`` for data committed as JSON.
``caption`` (optional)
    Text of the ``<figcaption>``; also used as the SVG's accessible description.
``data`` (``json-chart`` only)
    Path of a JSON file, relative to the directory holding ``mkdocs.yml``
    (whatever the working directory; see :mod:`crossentropy_site.project`).

JSON format for ``json-chart`` (``kind`` is ``"line"`` or ``"bar"``)::

    {"title": "Time per call", "kind": "bar", "x_label": "batch size",
     "y_label": "ms", "x": ["1k", "10k"],
     "series": [{"label": "crossentropy", "y": [0.1, 0.9]}]}

Register it in ``mkdocs.yml``::

    - pymdownx.superfences:
        custom_fences:
          - name: figure
            class: figure
            format: !!python/name:crossentropy_site.figures.fence_format

Colours come from CSS classes ``ce-series-N`` (see ``extra.css``) with
``currentColor`` for axes and text, so the figure follows the light/dark palette.
Series also differ by dash pattern, so colour is never the only cue.
Any error raises ``SuperFencesException`` so the build fails loudly.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pymdownx.superfences import SuperFencesException

from .project import Project, project

__all__ = [
    "FIGURES",
    "Chart",
    "Series",
    "data_path",
    "fence_format",
    "render_chart",
]

FloatArray = NDArray[np.float64]
MINUS = "\N{MINUS SIGN}"  # typographic minus for labels


# --------------------------------------------------------------------------- model
@dataclass
class Series:
    label: str
    y: FloatArray
    x: FloatArray | None = None  # None for bar charts (x are categories)


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


# ------------------------------------------------------------------------ drawing
WIDTH, HEIGHT = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 56
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2")


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
    return f"{value:g}"


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{html.escape(text)}</text>'


def _finite_range(values: Sequence[FloatArray]) -> tuple[float, float]:
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    if finite.size == 0:
        raise ValueError("no finite values to plot")
    return float(finite.min()), float(finite.max())


def render_chart(chart: Chart, *, ident: str, description: str = "") -> str:
    """Return an accessible inline ``<svg>`` for ``chart``."""
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if chart.kind == "bar":
        x0, x1 = 0.0, float(len(chart.categories))
    else:
        xs = [s.x for s in chart.series if s.x is not None]
        x0, x1 = chart.x_range or _finite_range(xs)
    y0, y1 = chart.y_range or _finite_range([s.y for s in chart.series])
    if chart.kind == "bar" or chart.y_range is None:
        y0 = min(y0, 0.0)
    y_ticks = nice_ticks(y0, y1)
    y0, y1 = min(y0, y_ticks[0]), max(y1, y_ticks[-1])

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return TOP + (1 - (y - y0) / (y1 - y0)) * ph

    title_id, desc_id, clip_id = f"{ident}-t", f"{ident}-d", f"{ident}-c"
    out = [
        f'<svg class="ce-figure" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="13" fill="currentColor">',
        f'<title id="{title_id}">{html.escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{html.escape(description or chart.title)}</desc>',
        f'<clipPath id="{clip_id}"><rect x="{LEFT}" y="{TOP}" '
        f'width="{pw}" height="{ph}"/></clipPath>',
    ]
    # grid, ticks and labels
    out.append('<g class="ce-axes" stroke="currentColor" stroke-width="1">')
    for t in y_ticks:
        y = sy(t)
        out.append(
            f'<line class="ce-grid" x1="{LEFT}" x2="{LEFT + pw}" '
            f'y1="{y:.1f}" y2="{y:.1f}" stroke-opacity="0.15"/>'
        )
    out.append(f'<path d="M{LEFT},{TOP} V{TOP + ph} H{LEFT + pw}" fill="none"/>')
    out.append("</g>")
    for t in y_ticks:
        out.append(_text(LEFT - 8, sy(t) + 4, _fmt(t), text_anchor="end"))
    if chart.kind == "bar":
        for i, cat in enumerate(chart.categories):
            out.append(_text(sx(i + 0.5), TOP + ph + 18, cat, text_anchor="middle"))
    else:
        for t in nice_ticks(x0, x1):
            if x0 - 1e-9 <= t <= x1 + 1e-9:
                out.append(_text(sx(t), TOP + ph + 18, _fmt(t), text_anchor="middle"))
    out.append(_text(LEFT + pw / 2, HEIGHT - 12, chart.x_label, text_anchor="middle"))
    out.append(
        _text(
            16,
            TOP + ph / 2,
            chart.y_label,
            text_anchor="middle",
            transform=f"rotate(-90 16 {TOP + ph / 2:.1f})",
        )
    )
    out.append(_text(LEFT, 20, chart.title, font_weight="bold"))
    # data
    out.append(f'<g clip-path="url(#{clip_id})">')
    n = len(chart.series)
    for k, s in enumerate(chart.series):
        css = f"ce-series ce-series-{k % 8 + 1}"
        if chart.kind == "bar":
            width = 0.8 / n
            for i, value in enumerate(s.y):
                if not np.isfinite(value):
                    continue
                left = sx(i + 0.1 + k * width)
                top, base = sy(max(value, 0.0)), sy(min(value, 0.0))
                out.append(
                    f'<rect class="{css}" x="{left:.1f}" y="{top:.1f}" '
                    f'width="{width * pw / (x1 - x0):.1f}" height="{base - top:.1f}">'
                    f"<title>{html.escape(s.label)}: {value:.4g}</title></rect>"
                )
            continue
        assert s.x is not None
        segments: list[list[str]] = [[]]
        for x, y in zip(s.x, s.y, strict=True):
            if np.isfinite(y):
                segments[-1].append(f"{sx(float(x)):.1f},{sy(float(y)):.1f}")
            elif segments[-1]:
                segments.append([])
        d = " ".join("M" + " L".join(seg) for seg in segments if seg)
        dash = DASHES[k % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path class="{css}" d="{d}" fill="none" stroke="currentColor" '
            f'stroke-width="2.25" stroke-linejoin="round"{dash_attr}/>'
        )
    out.append("</g>")
    # legend (top right, inside the plot area)
    lx, ly = LEFT + pw - 10, TOP + 14
    longest = max(len(s.label) for s in chart.series)
    box_w = 40 + 7.2 * longest
    out.append(
        f'<g class="ce-legend"><rect x="{lx - box_w:.1f}" y="{ly - 12}" '
        f'width="{box_w:.1f}" height="{20 * n + 4}" rx="3" '
        f'class="ce-legend-box" fill-opacity="0.85" stroke="currentColor" '
        f'stroke-opacity="0.2"/>'
    )
    for k, s in enumerate(chart.series):
        css = f"ce-series ce-series-{k % 8 + 1}"
        y = ly + 20 * k
        if chart.kind == "bar":
            out.append(
                f'<rect class="{css}" x="{lx - box_w + 8:.1f}" y="{y - 6}" width="22" height="10"/>'
            )
        else:
            dash = DASHES[k % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line class="{css}" x1="{lx - box_w + 8:.1f}" '
                f'x2="{lx - box_w + 30:.1f}" y1="{y - 1}" y2="{y - 1}" '
                f'stroke="currentColor" stroke-width="2.25"{dash_attr}/>'
            )
        out.append(_text(lx - box_w + 36, y + 3, s.label))
    out.append("</g></svg>")
    return "".join(out)


# ------------------------------------------------------------------------ figures
def _ce() -> Any:
    """Import the documented package lazily (only pages with figures need it)."""
    import crossentropy

    return crossentropy


def _array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def figure_neg_log(options: dict[str, str], site: Project | None) -> Chart:
    """(a) The surprisal -log p of an event of probability p, in nats and bits."""
    ce = _ce()
    p = np.linspace(0.005, 1.0, 300)
    ones = np.ones_like(p)
    nats = _array(ce.binary_cross_entropy(p, ones, reduction="none"))
    bits = _array(ce.binary_cross_entropy(p, ones, reduction="none", base=2))
    return Chart(
        title="Surprisal of an event of probability p",
        x_label="probability p assigned to what happened",
        y_label=f"{MINUS}log p",
        series=[
            Series(f"{MINUS}ln p (nats)", nats, p),
            Series(f"{MINUS}log\N{SUBSCRIPT TWO} p (bits)", bits, p),
        ],
        x_range=(0.0, 1.0),
        y_range=(0.0, 6.0),
    )


def figure_loss_vs_true_class(options: dict[str, str], site: Project | None) -> Chart:
    """(b) Cross-entropy of the prediction [a, (1-a)/2, (1-a)/2] against a."""
    ce = _ce()
    t = np.linspace(0.005, 0.995, 300)
    predicted = np.stack([t, (1 - t) / 2, (1 - t) / 2], axis=-1)
    targets = {
        "target = class 0": [1.0, 0.0, 0.0],
        "target = class 1": [0.0, 1.0, 0.0],
        "soft target [0.7, 0.2, 0.1]": [0.7, 0.2, 0.1],
    }
    series = [
        Series(
            label,
            _array(
                ce.cross_entropy(
                    predicted,
                    np.broadcast_to(np.asarray(target), predicted.shape),
                    reduction="none",
                )
            ),
            t,
        )
        for label, target in targets.items()
    ]
    return Chart(
        title=f"Loss of the prediction [a, (1{MINUS}a)/2, (1{MINUS}a)/2]",
        x_label="a, the probability predicted for class 0",
        y_label="cross-entropy (nats)",
        series=series,
        x_range=(0.0, 1.0),
        y_range=(0.0, 5.0),
    )


def figure_binary_entropy(options: dict[str, str], site: Project | None) -> Chart:
    """(c) Entropy H(p) of the two-class distribution [p, 1 - p], in bits."""
    ce = _ce()
    p = np.linspace(0.0, 1.0, 201)
    h = _array(ce.entropy(np.stack([p, 1 - p], axis=-1), base=2))
    return Chart(
        title="Entropy of a two-class distribution",
        x_label="p, the probability of the first class",
        y_label="H(p) (bits)",
        series=[Series(f"H([p, 1 {MINUS} p])", h, p)],
        x_range=(0.0, 1.0),
        y_range=(0.0, 1.0),
    )


def figure_json_chart(options: dict[str, str], site: Project | None) -> Chart:
    """Bar or line chart of a committed JSON results file (``data:`` option)."""
    if "data" not in options:
        raise ValueError("json-chart needs a 'data: path/to/results.json' line")
    path = data_path(options["data"], site)
    spec = json.loads(path.read_text(encoding="utf-8"))
    kind = spec.get("kind", "line")
    if kind not in ("line", "bar"):
        raise ValueError(f"{path}: kind must be 'line' or 'bar', not {kind!r}")
    series = []
    for entry in spec["series"]:
        y = _array([math.nan if v is None else v for v in entry["y"]])
        x = None if kind == "bar" else _array(spec["x"])
        if len(y) != len(spec["x"]):
            raise ValueError(f"{path}: series {entry['label']!r} length != len(x)")
        series.append(Series(str(entry["label"]), y, x))
    return Chart(
        title=str(spec.get("title", "")),
        x_label=str(spec.get("x_label", "")),
        y_label=str(spec.get("y_label", "")),
        series=series,
        kind=kind,
        categories=[str(c) for c in spec["x"]] if kind == "bar" else [],
    )


#: Figure name -> function building the chart from the fence's options.
FIGURES: dict[str, Callable[[dict[str, str], Project | None], Chart]] = {
    "neg-log": figure_neg_log,
    "loss-vs-true-class": figure_loss_vs_true_class,
    "binary-entropy": figure_binary_entropy,
    "json-chart": figure_json_chart,
}
_KEYS = {"name", "caption", "data"}


def parse_options(source: str) -> dict[str, str]:
    """Parse the fence body: ``key: value`` per line, blank lines ignored."""
    options: dict[str, str] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in _KEYS:
            raise ValueError(
                f"line {number} of figure fence: expected one of "
                f"{sorted(_KEYS)} as 'key: value', got {line!r}"
            )
        options[key] = value.strip()
    if options.get("name") not in FIGURES:
        raise ValueError(f"figure name {options.get('name')!r} is not one of {sorted(FIGURES)}")
    return options


def data_path(path: str, site: Project | None) -> Path:
    """A ``data:`` path, relative to the directory of the site's config file."""
    if site is None:
        raise ValueError(
            f"data: {path} can only be resolved during a site build (MkDocs, ProperDocs "
            "or Zensical), relative to the directory of the site's config file"
        )
    return site.resolve(path)


def render_figure(source: str, site: Project | None = None) -> str:
    """HTML ``<figure>`` for a fence body; raises on any problem."""
    options = parse_options(source)
    chart = FIGURES[options["name"]](options, site)
    caption = options.get("caption", "")
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
    ident = f"fig-{digest[:8]}"
    svg = render_chart(chart, ident=ident, description=caption)
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="ce-figure-wrap">{svg}{figcaption}</figure>'


def fence_format(
    source: str,
    language: str,
    class_name: str,
    options: dict[str, Any],
    md: Any,
    **kwargs: Any,
) -> str:
    """``pymdownx.superfences`` custom-fence formatter (see module docstring)."""
    try:
        return render_figure(source, project(md))
    except Exception as error:
        # SuperFencesException is the only exception superfences re-raises;
        # anything else would silently fall back to a plain code block.
        raise SuperFencesException(
            f"figure fence failed: {error}\n--- fence body ---\n{source}"
        ) from error
