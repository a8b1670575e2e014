"""Browser tests of what every reader gets: the page fits a phone, figure text is
legible, WCAG 2.2 A/AA holds in both palettes (axe-core), every control can be
reached by keyboard with a visible focus ring, and every figure and formula has a
text alternative.

axe-core is the copy that the PyPI package ``axe-playwright-python`` bundles (pinned
in requirements/constraints.txt); it runs its WCAG 2.0, 2.1 and 2.2 A and AA rules,
and a page fails on any violation of impact "serious" or "critical", with the rule,
the elements and the page in the message. Every rule runs on a page's light palette;
its dark palette gets the rules that look at colour (page_checks.COLOUR_RULES), since
the rest see the same document in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pytest

from tests.browser.page_checks import (
    AXE_TAGS,
    COLOUR_RULES,
    DESKTOP,
    PHONE,
    describe,
    violations,
)
from tests.browser.site_pages import PAGES, SOURCES, page_id

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import Site, Visits

#: The smallest figure text a reader may get, in CSS px, at each width.
MIN_FIGURE_TEXT = {DESKTOP: 11.0, PHONE: 9.0}


def _open(
    visits: Visits, site: Site, path: str, *, width: int, scheme: Literal["light", "dark"]
) -> Page:
    """The page at ``path`` loaded as on a first visit, with the system palette
    ``scheme``."""
    page = visits.first_visit(width=width, color_scheme=scheme)
    page.goto(site.url(path), wait_until="load")
    page.evaluate("() => document.fonts.ready")
    return page


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


@dataclass(frozen=True)
class Reading:
    """What a page shows the checks at one width in one palette."""

    url: str
    scheme: str  # the palette the page shows (body[data-md-color-scheme])
    layout: dict[str, Any]  # LAYOUT
    alternatives: dict[str, Any]  # ALTERNATIVES
    violations: list[dict[str, Any]] | None  # axe's serious and critical; desktop only


class Readings:
    """Each page loaded once, every width and palette read off that load
    (page_checks.read_for_readers)."""

    def __init__(self, visits: Visits, site: Site) -> None:
        self.visits, self.site = visits, site

    def __call__(self, path: str, *, width: int, scheme: str) -> Reading:
        report = self.visits.report(self.site.url(path), readers=True)
        return Reading(report.url, **report.readings[(width, scheme)])


@pytest.fixture(scope="module")
def readings(visits: Visits, site: Site) -> Readings:
    return Readings(visits, site)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", [*PAGES, "no-such-page/"], ids=page_id)
def test_no_serious_accessibility_violations(readings: Readings, path: str, scheme: str) -> None:
    reading = readings(path, width=DESKTOP, scheme=scheme)
    assert reading.scheme == ("slate" if scheme == "dark" else "default")
    assert reading.violations == [], describe(reading.violations or [], reading.url)


@pytest.mark.parametrize("path", ["", "no-such-page/"], ids=page_id)
def test_a_dark_system_palette_gets_the_dark_palette(visits: Visits, site: Site, path: str) -> None:
    """The per-page checks switch palettes with the toggle; a reader whose system is
    set to dark gets the dark palette on loading a page."""
    page = _open(visits, site, path, width=DESKTOP, scheme="dark")
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"


def test_the_accessibility_check_catches_a_violation(visits: Visits, site: Site) -> None:
    """The check above fails when contrast is too low: the same run on a page whose
    text is made light grey on white finds color-contrast violations."""
    page = _open(visits, site, "how-to/bits/", width=DESKTOP, scheme="light")
    page.add_style_tag(content=".md-typeset p { color: #b8b8b8 !important; }")
    found = violations(page, visits.axe)
    assert "color-contrast" in {v["id"] for v in found}
    # ... and names the elements (axe's second run, with selectors).
    assert all(node["target"] for v in found for node in v["nodes"])


def test_the_dark_palette_gets_every_colour_rule(visits: Visits, site: Site) -> None:
    """The dark-palette loads run only COLOUR_RULES: those are all the rules of the
    checked WCAG tags that axe-core files under colour, and they catch low contrast in
    the dark palette."""
    page = _open(visits, site, "how-to/bits/", width=DESKTOP, scheme="dark")
    page.add_script_tag(content=visits.axe)
    colour = page.evaluate(
        """(tags) => axe.getRules(tags)
             .filter((rule) => rule.tags.includes("cat.color"))
             .map((rule) => rule.ruleId)""",
        AXE_TAGS,
    )
    page.add_style_tag(content=".md-typeset p { color: #3a3a3a !important; }")
    found = {v["id"] for v in violations(page, visits.axe, COLOUR_RULES)}
    assert sorted(colour) == sorted(COLOUR_RULES)
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
    page = _open(visits, site, "explanation/gradient/", width=DESKTOP, scheme="light")
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(400):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS)
        if focus["kind"] and focus["kind"] not in seen:
            seen[focus["kind"]] = focus
        if len(seen) == 4:
            break
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
    page = visits.first_visit(reduced_motion="reduce")
    page.goto(site.url(""))
    duration = page.evaluate(
        "() => getComputedStyle(document.querySelector('.md-header')).transitionDuration"
    )
    assert all(float(d.rstrip("ms")) <= 0.01 for d in duration.split(","))
