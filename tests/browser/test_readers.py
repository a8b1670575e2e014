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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.page_checks import ALTERNATIVES, LAYOUT, axe_source, violations
from tests.browser.site_pages import PAGES, SOURCES, page_id

if TYPE_CHECKING:
    from tests.browser.conftest import Site, Visits

#: Viewport widths: a desktop and a phone (390 px: an iPhone 12 to 15).
DESKTOP, PHONE = 1280, 390
#: The smallest figure text a reader may get, in CSS px, at each width.
MIN_FIGURE_TEXT = {DESKTOP: 11.0, PHONE: 9.0}


def _open(visits: Visits, site: Site, path: str, *, width: int, scheme: str) -> Any:
    context = visits.new_context(width=width, color_scheme=scheme)
    page = context.new_page()
    page.goto(site.url(path), wait_until="load")
    page.evaluate("() => document.fonts.ready")
    return context, page


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_fits_the_screen_and_figures_are_legible(
    readings: Readings, path: str, width: int
) -> None:
    layout = readings(path, width=width, scheme="light").layout
    wide = f"the page is {layout['width']} px wide: {layout['wide']}"
    assert layout["width"] <= width, wide
    small = [
        (round(size, 1), text) for size, text in layout["sizes"] if size < MIN_FIGURE_TEXT[width]
    ]
    assert small == [], f"figure text below {MIN_FIGURE_TEXT[width]} px at {width} px"


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@dataclass(frozen=True)
class Reading:
    """What one load of a page, at one width in one palette, shows the checks."""

    url: str
    scheme: str  # the palette the page shows (body[data-md-color-scheme])
    layout: dict[str, Any]  # LAYOUT
    alternatives: dict[str, Any]  # ALTERNATIVES
    violations: list[dict[str, Any]] | None  # axe's serious and critical; desktop only


class Readings:
    """Each page loaded once per width and palette, every check read off that load
    (in the order and state in which each check used to load the page on its own:
    after the fonts are ready, with nothing opened or changed)."""

    def __init__(self, visits: Visits, site: Site, axe: str) -> None:
        self.visits, self.site, self.axe = visits, site, axe
        self._cache: dict[tuple[str, int, str], Reading] = {}

    def __call__(self, path: str, *, width: int, scheme: str) -> Reading:
        key = (path, width, scheme)
        if key not in self._cache:
            self._cache[key] = self._read(path, width, scheme)
        return self._cache[key]

    def _read(self, path: str, width: int, scheme: str) -> Reading:
        if (width, scheme) == (DESKTOP, "light"):  # the page's one visit reads these too
            report = self.visits.report(self.site.url(path), readers=True)
            return Reading(
                report.url, report.scheme, report.layout, report.alternatives, report.violations
            )
        context, page = _open(self.visits, self.site, path, width=width, scheme=scheme)
        try:
            return Reading(
                url=self.site.url(path),
                scheme=page.evaluate("() => document.body.dataset.mdColorScheme"),
                layout=page.evaluate(LAYOUT),
                alternatives=page.evaluate(ALTERNATIVES),
                violations=violations(page, self.axe) if width == DESKTOP else None,
            )
        finally:
            context.close()


@pytest.fixture(scope="module")
def readings(visits: Visits, site: Site, axe: str) -> Readings:
    return Readings(visits, site, axe)


def _describe(violations: list[dict[str, Any]], url: str) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        more = f" (+{len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else ""
        lines.append(f"{v['id']} ({v['impact']}) on {url}: {targets}{more}\n    {v['help']}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", [*PAGES, "no-such-page/"], ids=page_id)
def test_no_serious_accessibility_violations(readings: Readings, path: str, scheme: str) -> None:
    reading = readings(path, width=DESKTOP, scheme=scheme)
    assert reading.scheme == ("slate" if scheme == "dark" else "default")
    assert reading.violations == [], _describe(reading.violations or [], reading.url)


def test_the_accessibility_check_catches_a_violation(visits: Visits, site: Site, axe: str) -> None:
    """The check above fails when contrast is too low: the same run on a page whose
    text is made light grey on white finds color-contrast violations."""
    context, page = _open(visits, site, "explanation/entropy/", width=DESKTOP, scheme="light")
    try:
        page.add_style_tag(content=".md-typeset p { color: #b8b8b8 !important; }")
        found = {v["id"] for v in violations(page, axe)}
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


@pytest.mark.parametrize("path", list(SOURCES), ids=page_id)
def test_figures_and_formulas_have_text_alternatives(readings: Readings, path: str) -> None:
    found = readings(path, width=DESKTOP, scheme="light").alternatives
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
