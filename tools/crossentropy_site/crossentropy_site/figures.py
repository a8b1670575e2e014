"""Figures drawn at build time as inline SVG, from the package's own functions or from
the page's own code.

A ``pymdownx.superfences`` custom fence turns::

    ```figure
    name: binary-entropy
    caption: Entropy of a coin with P(heads) = p.
    ```

into ``<figure>`` holding the SVG (:mod:`crossentropy_site.svg`), its caption, and the
numbers behind it in a folded table (for readers who cannot see the chart). The body
is ``key: value`` lines:

``name`` (required)
    A key of :data:`FIGURES`: ``neg-log``, ``loss-vs-true-class``, ``binary-entropy``;
    ``json-chart`` for data committed as JSON; ``session`` for data the page computes.
``caption`` (optional)
    Text of the ``<figcaption>``; also the SVG's accessible description.
``data`` (``json-chart``)
    Path of a JSON file, relative to the directory holding ``mkdocs.yml`` (whatever
    the working directory; see :mod:`crossentropy_site.project`).
``x``, ``series``, ``title``, ``x_label``, ``y_label`` (``session``)
    The page's Python examples above the fence run at build time, in one fresh
    namespace, as the tests run them (:mod:`crossentropy_site.session`); then ``x``
    and each ``series: label = expression`` line (one per curve) are evaluated there.
    The figure shows exactly what the page's code computes.

JSON format for ``json-chart`` (``kind`` is ``"line"`` or ``"bar"``; ``"scale":
"log"`` for a logarithmic value axis of a bar chart)::

    {
        "title": "Time per call",
        "kind": "bar",
        "x_label": "shape",
        "y_label": "ms",
        "x": ["1k", "10k"],
        "series": [{"label": "crossentropy", "y": [0.1, 0.9]}],
    }

Register the fence in ``mkdocs.yml``, and the extension (which keeps the page's text
for ``session`` figures)::

    markdown_extensions:
      - crossentropy_site.figures
      - pymdownx.superfences:
          custom_fences:
            - name: figure
              class: figure
              format: !!python/name:crossentropy_site.figures.fence_format

Any error raises ``SuperFencesException`` so the build fails loudly.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from numpy.typing import ArrayLike
from pymdownx.superfences import SuperFencesException

from .pages import Example, Page
from .project import Project, project
from .session import run_page
from .svg import MINUS, Chart, FloatArray, Series, data_table, nice_ticks, render_chart

__all__ = [
    "FIGURES",
    "Chart",
    "FigureContext",
    "FiguresExtension",
    "Series",
    "data_path",
    "fence_format",
    "makeExtension",
    "nice_ticks",
    "parse_options",
    "render_chart",
    "render_figure",
]


class FigureContext:
    """What a figure may read: the site (for data paths) and the page's text (for
    ``session`` figures)."""

    def __init__(self, site: Project | None = None, page: Page | None = None) -> None:
        self.site = site
        self.page = page


Options = dict[str, Any]  # values are str, but "series" is a list of str


def _ce() -> Any:
    """Import the documented package lazily (only pages with figures need it)."""
    import crossentropy

    return crossentropy


def _array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


#: ŷ₁ and p₂, as the charts write them.
Y1 = "\N{LATIN SMALL LETTER Y WITH CIRCUMFLEX}\N{SUBSCRIPT ONE}"
P2 = "p\N{SUBSCRIPT TWO}"


def figure_neg_log(options: Options, context: FigureContext) -> Chart:
    """(a) The surprisal -log p_c of an outcome of probability p_c, in nats and bits."""
    ce = _ce()
    p = np.linspace(0.005, 1.0, 300)
    ones = np.ones_like(p)
    nats = _array(ce.binary_cross_entropy(p, ones, reduction="none"))
    bits = _array(ce.binary_cross_entropy(p, ones, reduction="none", base=2))
    return Chart(
        title="Surprisal of an outcome",
        x_label="the probability of the outcome that happened",
        y_label="surprisal",
        series=[
            Series(f"{MINUS}ln(probability), nats", nats, p),
            Series(f"{MINUS}log\N{SUBSCRIPT TWO}(probability), bits", bits, p),
        ],
        x_range=(0.0, 1.0),
        y_range=(0.0, 6.0),
    )


def figure_loss_vs_true_class(options: Options, context: FigureContext) -> Chart:
    """(b) Cross-entropy of the prediction (y1, (1-y1)/2, (1-y1)/2) against its first entry."""
    ce = _ce()
    t = np.linspace(0.005, 0.995, 300)
    predicted = np.stack([t, (1 - t) / 2, (1 - t) / 2], axis=-1)
    targets = {
        "one-hot target e\N{SUBSCRIPT ONE} (t = 1)": [1.0, 0.0, 0.0],
        "one-hot target e\N{SUBSCRIPT TWO} (t = 2)": [0.0, 1.0, 0.0],
        "soft target (0.7, 0.2, 0.1)": [0.7, 0.2, 0.1],
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
        title=f"Loss of the prediction ({Y1}, (1 {MINUS} {Y1})/2, (1 {MINUS} {Y1})/2)",
        x_label=f"{Y1}, the probability predicted for class 1",
        y_label="cross-entropy (nats)",
        series=series,
        x_range=(0.0, 1.0),
        y_range=(0.0, 5.0),
    )


def figure_binary_entropy(options: Options, context: FigureContext) -> Chart:
    """(c) The binary entropy H_bin(p2) = H((1 - p2, p2)), in bits."""
    ce = _ce()
    p = np.linspace(0.0, 1.0, 201)
    h = _array(ce.entropy(np.stack([1 - p, p], axis=-1), base=2))
    return Chart(
        title=f"Entropy of a two-class distribution (1 {MINUS} {P2}, {P2})",
        x_label=f"{P2}, the probability of the second class",
        y_label="entropy (bits)",
        series=[Series(f"entropy of (1 {MINUS} {P2}, {P2})", h, p)],
        x_range=(0.0, 1.0),
        y_range=(0.0, 1.0),
    )


def data_path(path: str, site: Project | None) -> Path:
    """A ``data:`` path, relative to the directory of the site's config file."""
    if site is None:
        raise ValueError(
            f"data: {path} can only be resolved during a site build (MkDocs, ProperDocs "
            "or Zensical), relative to the directory of the site's config file"
        )
    return site.resolve(path)


def figure_json_chart(options: Options, context: FigureContext) -> Chart:
    """Bar or line chart of a committed JSON results file (``data:`` option)."""
    if "data" not in options:
        raise ValueError("json-chart needs a 'data: path/to/results.json' line")
    path = data_path(options["data"], context.site)
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
        log=spec.get("scale") == "log",
    )


def _session_namespace(page: Page, before: int) -> dict[str, Any]:
    """The namespace the page's examples above offset ``before`` leave, run as the
    tests run them (their printed output is not shown here)."""
    namespace: dict[str, Any] = {}
    above = Page(page.text[:before], page.path)
    with contextlib.redirect_stdout(io.StringIO()):
        for outcome in run_page(above, namespace):
            if isinstance(outcome.item, Example) and outcome.item.is_doctest and outcome.problem:
                raise ValueError(f"a doctest block above the figure fails:\n{outcome.problem}")
    return namespace


#: A folder the builds of one test run share (tests/conftest.py sets it for the five
#: builds it makes): a ``session`` figure's numbers are computed by the first build
#: that draws it and read back by the others. Unset, as for every other build, each
#: build computes them.
CACHE_ENV = "CROSSENTROPY_SITE_FIGURE_CACHE"


def _session_key(page: Page, options: Options, site: Project | None) -> str | None:
    """What a session figure's numbers depend on, hashed: the page's text above the
    fence, the fence's expressions, the data files the page reads, NumPy's version and
    the source of the documented package and of this one (None if a data file cannot
    be read: then nothing is cached)."""
    digest = hashlib.sha256()
    for text in (page.text[: options["fence"]], options["x"], *options["series"]):
        digest.update(text.encode() + b"\0")
    for name in page.notebook_data:
        if site is None or not (site.config_dir / name).is_file():
            return None
        digest.update(name.encode() + b"\0" + (site.config_dir / name).read_bytes())
    digest.update(np.__version__.encode())
    for package in (Path(_ce().__file__).parent, Path(__file__).parent):
        for source in sorted(package.rglob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _session_series(options: Options, context: FigureContext) -> tuple[FloatArray, list[Series]]:
    """``x`` and the ``series`` the page's code computes, from the run's shared folder
    (:data:`CACHE_ENV`) when an earlier build of the run has computed them."""
    assert context.page is not None
    folder = os.environ.get(CACHE_ENV)
    key = _session_key(context.page, options, context.site) if folder else None
    cached = Path(folder, f"{key}.json") if folder and key else None
    if cached is not None and cached.is_file():
        stored = json.loads(cached.read_text(encoding="utf-8"))
        x = _array(stored["x"])
        return x, [Series(label, _array(y), x) for label, y in stored["series"]]
    namespace = _session_namespace(context.page, options["fence"])
    x = _array(eval(options["x"], namespace))  # the page's own code, as its examples
    series = []
    for line in options["series"]:
        label, sep, expression = line.partition("=")
        if not sep:
            raise ValueError(f"series: expected 'label = expression', got {line!r}")
        series.append(Series(label.strip(), _array(eval(expression, namespace)), x))
    if cached is not None:
        # Written whole under another name, then renamed: a build running beside this
        # one reads the old state or the new, never half a file.
        partial = cached.with_name(f"{cached.name}.{os.getpid()}")
        stored = {"x": x.tolist(), "series": [[s.label, s.y.tolist()] for s in series]}
        partial.write_text(json.dumps(stored), encoding="utf-8")
        os.replace(partial, cached)
    return x, series


def figure_session(options: Options, context: FigureContext) -> Chart:
    """Lines of values the page's own code computes (``x:`` and ``series:`` lines)."""
    page = context.page
    if page is None or "fence" not in options:
        raise ValueError("a session figure needs its page (crossentropy_site.figures extension)")
    if "x" not in options or not options.get("series"):
        raise ValueError("a session figure needs 'x: expression' and 'series: label = expression'")
    x, series = _session_series(options, context)
    return Chart(
        title=options.get("title", ""),
        x_label=options.get("x_label", ""),
        y_label=options.get("y_label", ""),
        series=series,
        x_range=(float(x.min()), float(x.max())),
    )


#: Figure name -> function building the chart from the fence's options.
FIGURES: dict[str, Callable[[Options, FigureContext], Chart]] = {
    "neg-log": figure_neg_log,
    "loss-vs-true-class": figure_loss_vs_true_class,
    "binary-entropy": figure_binary_entropy,
    "json-chart": figure_json_chart,
    "session": figure_session,
}
_KEYS = {"name", "caption", "data", "x", "series", "title", "x_label", "y_label"}


def parse_options(source: str) -> Options:
    """Parse the fence body: ``key: value`` per line (``series`` may repeat)."""
    options: Options = {"series": []}
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
        if key == "series":
            options["series"].append(value.strip())
        else:
            options[key] = value.strip()
    if options.get("name") not in FIGURES:
        raise ValueError(f"figure name {options.get('name')!r} is not one of {sorted(FIGURES)}")
    return options


def render_figure(source: str, context: FigureContext | None = None, *, fence: int = -1) -> str:
    """HTML ``<figure>`` for a fence body (at offset ``fence`` of the page, for
    ``session`` figures); raises on any problem."""
    context = context or FigureContext()
    options = parse_options(source)
    if fence >= 0:
        options["fence"] = fence
    chart = FIGURES[options["name"]](options, context)
    caption = Page(options.get("caption", "")).without_markup()
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
    svg = render_chart(chart, ident=f"fig-{digest[:8]}", description=caption)
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    table = (
        '<details class="ce-figure-data"><summary>Show the numbers behind this figure</summary>'
        f"{data_table(chart)}</details>"
    )
    return f'<figure class="ce-figure-wrap">{svg}{figcaption}{table}</figure>'


class _KeepSource(Preprocessor):
    """Keep the page's text on the Markdown instance, for ``session`` figures."""

    def run(self, lines: list[str]) -> list[str]:
        self.md.crossentropy_page_source = "\n".join(lines)
        return lines


class FiguresExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # First of all (before the notebook link and the bindings): the page as written.
        md.preprocessors.register(_KeepSource(md), "crossentropy_figures", 40)


def makeExtension(**kwargs: Any) -> FiguresExtension:
    return FiguresExtension(**kwargs)


def _context(md: Any) -> FigureContext:
    site = project(md)
    text = getattr(md, "crossentropy_page_source", None)
    path = site.page if site is not None else None
    page = Page(text, path or "page.md") if text is not None else None
    return FigureContext(site, page)


def _fence_offset(page: Page | None, source: str) -> int:
    """Where the figure fence with this body starts in the page (-1 if not found).
    The body arrives with its bound and declared numbers reduced to the numbers (the
    bindings extension runs first), so it is compared with the fence's body so reduced."""
    if page is None:
        return -1
    for fence in page.fences:
        body = Page(fence.source(page.text)).without_markup()
        if fence.language == "figure" and body.strip() == source.strip():
            return fence.start
    return -1


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
        context = _context(md)
        return render_figure(source, context, fence=_fence_offset(context.page, source))
    except Exception as error:
        # SuperFencesException is the only exception superfences re-raises;
        # anything else would silently fall back to a plain code block.
        raise SuperFencesException(
            f"figure fence failed: {error}\n--- fence body ---\n{source}"
        ) from error
