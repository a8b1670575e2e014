"""Benchmark tables drawn at build time from the committed ``benchmarks/results.json``.

A ``pymdownx.superfences`` custom fence::

    ```benchmark-table
    data: benchmarks/results.json
    case: labels-mean
    ```

becomes an HTML table: one row per shape and dtype, one column per contender (median
time in ms, the fastest and the slowest call, the median as a multiple of reading the
logits once, and the peak extra memory). The machine the numbers were measured on
is stated under it.
Any problem raises ``SuperFencesException``, so the build fails loudly.
"""

from __future__ import annotations

import html
import json
from typing import Any

from pymdownx.superfences import SuperFencesException

from . import figures
from .project import project

__all__ = ["fence_format", "format_ms", "render_table"]

_KEYS = {"data", "case"}
_TIMES = "\N{MULTIPLICATION SIGN}"
_DASH = "\N{EN DASH}"


def _options(source: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for line in source.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in _KEYS:
            raise ValueError(f"benchmark-table: expected 'data:' and 'case:' lines, got {line!r}")
        options[key.strip()] = value.strip()
    if set(options) != _KEYS:
        raise ValueError("benchmark-table needs both 'data:' and 'case:'")
    return options


def format_ms(value: float) -> str:
    """A time in ms with three significant digits at most, never in exponent form."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render_table(results: dict[str, Any], case: str) -> str:
    rows = [r for r in results["rows"] if r["case"] == case]
    if not rows:
        raise ValueError(f"benchmark-table: no rows for case {case!r}")
    shapes = list(dict.fromkeys((r["shape"], r["dtype"]) for r in rows))
    names = list(dict.fromkeys(r["contender"] for r in rows))
    cell = {(r["shape"], r["dtype"], r["contender"]): r for r in rows}
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = []
    for shape, dtype in shapes:
        cells = []
        for name in names:
            r = cell.get((shape, dtype, name))
            if r is None:
                cells.append("<td>—</td>")
                continue
            spread = (
                f"{format_ms(r['min_ms'])}{_DASH}{format_ms(r['max_ms'])}, "
                if "min_ms" in r
                else ""
            )
            cells.append(
                f'<td><span class="ce-ms">{format_ms(r["median_ms"])} ms</span><br>'
                f"<small>{spread}{_TIMES}{r['x_read_once']:.1f} read, "
                f"{r['peak_extra_mib']:.0f} MiB</small></td>"
            )
        label = shape.replace("x", f" {_TIMES} ") + f" {dtype}"
        body.append(f'<tr><th scope="row">{html.escape(label)}</th>{"".join(cells)}</tr>')
    machine = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    caption = (
        f"Median time per call, with the fastest and the slowest call; {_TIMES}: the median "
        "as a multiple of the time to read the logits once; MiB: peak extra memory."
    )
    # A plain <table>: Material styles it and wraps it in its scrolling container, as
    # it does every Markdown table. The machine is named under it, in the text.
    return (
        f"<table><caption>{caption}</caption>"
        f"<thead><tr><th>shape</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<p class="ce-machine">Measured {html.escape(machine["date"])} on '
        f"{html.escape(machine['cpu'])}, {machine['cores']} cores, with "
        f"{html.escape(versions)}.</p>"
    )


def fence_format(
    source: str, language: str, class_name: str, options: dict[str, Any], md: Any, **kwargs: Any
) -> str:
    """``pymdownx.superfences`` custom-fence formatter (see module docstring)."""
    try:
        opts = _options(source)
        path = figures.data_path(opts["data"], project(md))
        return render_table(json.loads(path.read_text(encoding="utf-8")), opts["case"])
    except Exception as error:
        raise SuperFencesException(f"benchmark-table: {error}") from error
