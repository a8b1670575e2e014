"""Browser tests of what every reader gets: the page fits a phone, figure text is
legible, WCAG 2.2 A/AA holds in both palettes (axe-core), every control can be
reached by keyboard with a visible focus ring, and every figure and formula has a
text alternative.

axe-core is the copy that the PyPI package ``axe-playwright-python`` bundles (pinned
in requirements/constraints.txt); it runs its WCAG 2.0, 2.1 and 2.2 A and AA rules,
and a page fails on any violation of impact "serious" or "critical", with the rule,
the elements and the page in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.site_pages import PAGES, SOURCES, page_id

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import Site, Visits

#: Viewport widths: a desktop and a phone (390 px: an iPhone 12 to 15).
DESKTOP, PHONE = 1280, 390
#: The smallest figure text a reader may get, in CSS px, at each width.
MIN_FIGURE_TEXT = {DESKTOP: 11.0, PHONE: 9.0}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def _open(visits: Visits, site: Site, path: str, *, width: int, scheme: str) -> Any:
    context = visits.new_context(width=width, color_scheme=scheme)
    page = context.new_page()
    page.goto(site.url(path), wait_until="load")
    page.evaluate("() => document.fonts.ready")
    return context, page


# Runs in the page: the document's width and, for every text of every figure, the
# size it is drawn at (its font size times the SVG's scale).
_LAYOUT = """() => {
  const sizes = [];
  for (const svg of document.querySelectorAll("svg.ce-figure")) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll("text")) {
      sizes.push([parseFloat(getComputedStyle(text).fontSize) * scale, text.textContent]);
    }
  }
  const wide = Array.from(document.querySelectorAll("article *"))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1
                    && !el.closest(".md-typeset__scrollwrap, math[display='block'], pre"))
    .slice(0, 5).map((el) => el.tagName + "." + el.className);
  return {width: document.documentElement.scrollWidth, sizes, wide};
}"""


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_fits_the_screen_and_figures_are_legible(
    visits: Visits, site: Site, path: str, width: int
) -> None:
    context, page = _open(visits, site, path, width=width, scheme="light")
    try:
        layout = page.evaluate(_LAYOUT)
    finally:
        context.close()
    wide = f"the page is {layout['width']} px wide: {layout['wide']}"
    assert layout["width"] <= width, wide
    small = [
        (round(size, 1), text) for size, text in layout["sizes"] if size < MIN_FIGURE_TEXT[width]
    ]
    assert small == [], f"figure text below {MIN_FIGURE_TEXT[width]} px at {width} px"


def _violations(page: Page, axe: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe)
    result = page.evaluate(
        """async (tags) => await axe.run(document, {
             runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def axe() -> str:
    return _axe_source()


def _describe(violations: list[dict[str, Any]], url: str) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        more = f" (+{len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else ""
        lines.append(f"{v['id']} ({v['impact']}) on {url}: {targets}{more}\n    {v['help']}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", [*PAGES, "no-such-page/"], ids=page_id)
def test_no_serious_accessibility_violations(
    visits: Visits, site: Site, axe: str, path: str, scheme: str
) -> None:
    context, page = _open(visits, site, path, width=DESKTOP, scheme=scheme)
    try:
        assert page.evaluate("() => document.body.dataset.mdColorScheme") == (
            "slate" if scheme == "dark" else "default"
        )
        violations = _violations(page, axe)
    finally:
        context.close()
    assert violations == [], _describe(violations, site.url(path))


def test_the_accessibility_check_catches_a_violation(visits: Visits, site: Site, axe: str) -> None:
    """The check above fails when contrast is too low: the same run on a page whose
    text is made light grey on white finds color-contrast violations."""
    context, page = _open(visits, site, "explanation/entropy/", width=DESKTOP, scheme="light")
    try:
        page.add_style_tag(content=".md-typeset p { color: #b8b8b8 !important; }")
        found = {v["id"] for v in _violations(page, axe)}
    finally:
        context.close()
    assert "color-contrast" in found


# ---------------------------------------------------------------- keyboard ----

# The element that shows focus: the focused one, or for Material's palette toggle (a
# hidden radio button) the label after it. Its outline is the focus ring.
_FOCUS = """() => {
  const e = document.activeElement;
  const shown = e.matches("input.md-option") ? e.nextElementSibling : e;
  const style = getComputedStyle(shown);
  const box = shown.getBoundingClientRect();
  return {
    kind: e.matches("input.md-search__input") ? "search"
        : e.matches("input.md-option") ? "palette"
        : e.matches(".md-code__button, .md-clipboard") ? "copy"
        : e.matches(".ce-notebook a") ? "notebook" : "",
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
    visible: box.width > 0 && box.height > 0 && style.visibility !== "hidden"
             && parseFloat(style.opacity) > 0,
  };
}"""


def test_keyboard_reaches_every_control_with_a_visible_focus_ring(
    visits: Visits, site: Site
) -> None:
    context, page = _open(visits, site, "explanation/gradient/", width=DESKTOP, scheme="light")
    seen: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(400):
            page.keyboard.press("Tab")
            focus = page.evaluate(_FOCUS)
            if focus["kind"] and focus["kind"] not in seen:
                seen[focus["kind"]] = focus
            if len(seen) == 4:
                break
    finally:
        context.close()
    assert set(seen) == {"search", "palette", "copy", "notebook"}, seen
    for kind, focus in seen.items():
        assert focus["visible"], f"{kind}: focused but not visible"
        assert focus["outline"] not in ("none", "hidden"), f"{kind}: no focus ring"
        assert focus["width"] >= 2, f"{kind}: focus ring {focus['width']} px"


# ----------------------------------------------------- text alternatives ----

_ALTERNATIVES = """() => ({
  figures: Array.from(document.querySelectorAll("svg.ce-figure"), (svg) => ({
    role: svg.getAttribute("role"),
    name: (svg.getAttribute("aria-labelledby") || "").split(" ")
      .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim(),
    table: !!svg.closest("figure").querySelector("details table td"),
  })),
  formulas: Array.from(document.querySelectorAll("article math"),
                       (m) => (m.getAttribute("alttext") || "").trim()),
})"""


@pytest.mark.parametrize("path", list(SOURCES), ids=page_id)
def test_figures_and_formulas_have_text_alternatives(visits: Visits, site: Site, path: str) -> None:
    context, page = _open(visits, site, path, width=DESKTOP, scheme="light")
    try:
        found = page.evaluate(_ALTERNATIVES)
    finally:
        context.close()
    for figure in found["figures"]:
        assert figure["role"] == "img"
        assert len(figure["name"]) > 20, "a figure's title and description say what it shows"
        assert figure["table"], "the numbers behind each figure are in a table under it"
    assert all(found["formulas"]), "every formula has its TeX as alttext"


def test_reduced_motion_is_respected(visits: Visits, site: Site) -> None:
    context = visits.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(site.url(""))
        duration = page.evaluate(
            "() => getComputedStyle(document.querySelector('.md-header')).transitionDuration"
        )
    finally:
        context.close()
    assert all(float(d.rstrip("ms")) <= 0.01 for d in duration.split(","))
