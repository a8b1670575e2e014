"""crossentropy_site.figures: figures drawn at build time as inline SVG."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from crossentropy_site import figures
from crossentropy_site.figures import FigureContext
from crossentropy_site.pages import Page
from crossentropy_site.project import Project
from hypothesis import given
from hypothesis import strategies as st
from pymdownx.superfences import SuperFencesException

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE = FigureContext(
    Project(config_dir=REPO_ROOT, docs_dir=REPO_ROOT / "docs", site_url=None, page=None)
)


@given(st.floats(-1e6, 1e6), st.floats(1e-3, 1e6))
def test_nice_ticks_cover_the_range_with_round_steps(low: float, width: float) -> None:
    ticks = figures.nice_ticks(low, low + width)
    assert len(ticks) >= 2
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))
    assert ticks[0] <= low + 1e-9 * width + step
    assert ticks[-1] >= low + width - step - 1e-9 * width


@pytest.mark.parametrize("name", ["neg-log", "loss-vs-true-class", "binary-entropy"])
def test_each_figure_is_an_accessible_svg(name: str) -> None:
    html = figures.render_figure(f"name: {name}\ncaption: What it shows.", SITE)
    assert html.startswith('<figure class="ce-figure-wrap"><svg')
    assert 'role="img"' in html
    title, desc = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', html).groups()  # type: ignore[union-attr]
    assert f'<title id="{title}">' in html
    assert f'<desc id="{desc}">What it shows.</desc>' in html
    assert "<figcaption>What it shows.</figcaption>" in html
    assert html.count('class="ce-series') >= 2


def test_json_chart_reads_its_data_relative_to_the_config_file(tmp_path: Path) -> None:
    data = {"title": "T", "kind": "bar", "x": ["a", "b"], "series": [{"label": "s", "y": [1, 2]}]}
    (tmp_path / "chart.json").write_text(json.dumps(data))
    site = Project(config_dir=tmp_path, docs_dir=tmp_path, site_url=None, page=None)
    html = figures.render_figure("name: json-chart\ndata: chart.json", FigureContext(site))
    assert html.count('<rect class="ce-series') == 2 + 1  # two bars and the legend swatch
    assert "<td>a</td><td>1</td>" in html  # the numbers behind it
    with pytest.raises(ValueError, match="during a site build"):
        figures.render_figure("name: json-chart\ndata: chart.json", FigureContext())


SESSION_PAGE = """\
```python
import numpy as np

epochs = np.arange(5)
cost = 1.0 / (1 + epochs)
```

```figure
name: session
x: epochs
series: cost = cost
series: twice = 2 * cost
title: Cost per epoch
caption: The page's own numbers.
```
"""


def test_a_session_figure_plots_what_the_page_computes() -> None:
    page = Page(SESSION_PAGE, "docs/x.md")
    (fence,) = [f for f in page.fences if f.language == "figure"]
    html = figures.render_figure(
        fence.source(page.text), FigureContext(page=page), fence=fence.start
    )
    assert html.count('<path class="ce-series') == 2
    assert "<td>4</td><td>0.2</td><td>0.4</td>" in html


def test_the_committed_benchmark_chart_renders() -> None:
    html = figures.render_figure("name: json-chart\ndata: benchmarks/chart.json", SITE)
    assert "<svg" in html


def test_bad_fences_fail_the_build_loudly() -> None:
    with pytest.raises(ValueError, match="is not one of"):
        figures.render_figure("name: no-such-figure", SITE)
    with pytest.raises(ValueError, match="expected one of"):
        figures.parse_options("name: neg-log\ncolour: red")
    with pytest.raises(SuperFencesException, match="figure fence failed"):
        figures.fence_format("name: nope", "figure", "figure", {}, md=None)


def test_a_session_figure_with_a_declared_number_in_its_caption_builds() -> None:
    """The bindings extension reduces ``2.5{const: ...}`` to ``2.5`` before the fence is
    formatted; the figure still finds its fence in the page as written."""
    import markdown

    text = SESSION_PAGE.replace(
        "The page's own numbers.", "Peaks at 2.5{const: a position set in the code}."
    )
    html = markdown.markdown(
        text,
        extensions=[
            "crossentropy_site.bindings",
            "crossentropy_site.figures",
            "pymdownx.superfences",
        ],
        extension_configs={
            "pymdownx.superfences": {
                "custom_fences": [
                    {"name": "figure", "class": "figure", "format": figures.fence_format}
                ]
            }
        },
    )
    assert html.count('<path class="ce-series') == 2
    assert "<figcaption>Peaks at 2.5.</figcaption>" in html


def _session_figure(text: str) -> str:
    page = Page(text, "docs/x.md")
    (fence,) = [f for f in page.fences if f.language == "figure"]
    return figures.render_figure(
        fence.source(page.text), FigureContext(page=page), fence=fence.start
    )


def test_the_builds_of_a_test_run_share_a_session_figures_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With CACHE_ENV set (the tests' builds), the first build to draw a session figure
    stores its numbers and the others draw the same figure from them, without running
    the page; a change to the code above the figure is a new figure."""
    monkeypatch.setenv(figures.CACHE_ENV, str(tmp_path))
    drawn = _session_figure(SESSION_PAGE)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def not_again(page: Page, before: int) -> None:
        raise AssertionError("the page ran again")

    with monkeypatch.context() as patched:
        patched.setattr(figures, "_session_namespace", not_again)
        assert _session_figure(SESSION_PAGE) == drawn
        with pytest.raises(AssertionError, match="ran again"):
            _session_figure(SESSION_PAGE.replace("1.0 / (1 + epochs)", "1.0 / (2 + epochs)"))
    changed = _session_figure(SESSION_PAGE.replace("1.0 / (1 + epochs)", "1.0 / (2 + epochs)"))
    assert changed != drawn
    assert "<td>4</td><td>0.1667</td><td>0.3333</td>" in changed
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert not list(tmp_path.glob("*.json.*")), "a partial file was left"


def test_a_session_figures_key_holds_the_data_files_the_page_reads(tmp_path: Path) -> None:
    site = Project(config_dir=tmp_path, docs_dir=tmp_path, site_url=None, page=None)
    page = Page("<!-- notebook-data: numbers.json -->\n" + SESSION_PAGE, "docs/x.md")
    (fence,) = [f for f in page.fences if f.language == "figure"]
    options = {**figures.parse_options(fence.source(page.text)), "fence": fence.start}
    assert figures._session_key(page, options, site) is None  # no file: nothing cached
    (tmp_path / "numbers.json").write_text("[1, 2]")
    first = figures._session_key(page, options, site)
    (tmp_path / "numbers.json").write_text("[1, 3]")
    assert figures._session_key(page, options, site) not in (None, first)


def test_without_the_shared_folder_a_build_computes_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(figures.CACHE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    calls = []
    run = figures._session_namespace

    def counted(page: Page, before: int) -> dict[str, object]:
        calls.append(before)
        return run(page, before)

    monkeypatch.setattr(figures, "_session_namespace", counted)
    assert _session_figure(SESSION_PAGE) == _session_figure(SESSION_PAGE)
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []
