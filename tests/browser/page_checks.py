"""What the browser tests read off a loaded page: its layout, its text alternatives
and axe-core's accessibility violations. ``Visits`` (conftest.py) reads them all on
the one load of each page (:func:`read_for_readers`): at the desktop width in the
light palette, then at a phone's width, then in the dark palette."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: Viewport widths: a desktop and a phone (390 px: an iPhone 12 to 15); one height.
DESKTOP, PHONE, HEIGHT = 1280, 390, 900

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


# Runs in the page: the document's width and, for every text of every figure, the
# size it is drawn at (its font size times the SVG's scale).
LAYOUT = """() => {
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


ALTERNATIVES = """() => ({
  figures: Array.from(document.querySelectorAll("svg.ce-figure"), (svg) => ({
    role: svg.getAttribute("role"),
    name: (svg.getAttribute("aria-labelledby") || "").split(" ")
      .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim(),
    table: !!svg.closest("figure").querySelector("details table td"),
  })),
  formulas: Array.from(document.querySelectorAll("article math"),
                       (m) => (m.getAttribute("alttext") || "").trim()),
})"""


#: The axe-core rules (of :data:`AXE_TAGS`) whose outcome depends on the colours: the
#: only ones run on a page's dark-palette load. The others see the same document in
#: both palettes and run on its light one (test_readers.py checks the list against
#: axe's own "cat.color" category).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def violations(page: Page, axe: str, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on ``page``: of every rule of
    :data:`AXE_TAGS`, or only of ``rules``. axe runs without working out a CSS selector
    for every element it checks (a seventh of its time); only when it finds something
    does it run the rules that found it again with them, to name the elements."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe)

    def run(only: dict[str, Any], selectors: bool) -> list[dict[str, Any]]:
        result = page.evaluate(
            """async ([only, selectors]) => await axe.run(document, {
                 runOnly: only, resultTypes: ["violations"], selectors})""",
            [only, selectors],
        )
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    found = run(
        {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}, False
    )
    if not found:
        return []
    return run({"type": "rule", "values": sorted({v["id"] for v in found})}, True)


def describe(violations: list[dict[str, Any]], url: str) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        more = f" (+{len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else ""
        lines.append(f"{v['id']} ({v['impact']}) on {url}: {targets}{more}\n    {v['help']}")
    return "\n".join(lines)


def switch_palette(page: Page, scheme: str) -> None:
    """Switch to Material's palette ``scheme`` ("default" or "slate") with the header's
    toggle and wait until the colour transitions have finished."""
    if page.get_attribute("body", "data-md-color-scheme") != scheme:
        # The toggle shows the button of the *other* palette. It is activated without
        # moving the pointer onto it, which would leave its tooltip open over the page.
        page.locator("label.md-header__button[for^=__palette]:visible").dispatch_event("click")
        page.wait_for_function(
            "(s) => document.body.getAttribute('data-md-color-scheme') === s", arg=scheme
        )
    _settle(page)


def _settle(page: Page) -> None:
    """Wait for two frames and for every running animation or transition to finish."""
    page.wait_for_function(
        """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(
             () => done(document.getAnimations().every((a) => a.playState !== "running")))))"""
    )


def _reading(page: Page) -> dict[str, Any]:
    return {
        "scheme": page.evaluate("() => document.body.dataset.mdColorScheme"),
        "layout": page.evaluate(LAYOUT),
        "alternatives": page.evaluate(ALTERNATIVES),
    }


def read_for_readers(page: Page, axe: str) -> dict[tuple[int, str], dict[str, Any]]:
    """What the readers' checks read off one load of a page, by (width, palette): the
    page as loaded at :data:`DESKTOP` in the light palette, with its fonts ready and
    nothing opened (layout, text alternatives, every axe rule); the same page resized to
    :data:`PHONE` (layout, text alternatives); back at :data:`DESKTOP`, switched to the
    dark palette with the toggle (the :data:`COLOUR_RULES`). It ends where it started:
    desktop width, light palette."""
    readings = {(DESKTOP, "light"): {**_reading(page), "violations": violations(page, axe)}}
    page.set_viewport_size({"width": PHONE, "height": HEIGHT})
    _settle(page)
    readings[(PHONE, "light")] = {**_reading(page), "violations": None}
    page.set_viewport_size({"width": DESKTOP, "height": HEIGHT})
    switch_palette(page, "slate")
    readings[(DESKTOP, "dark")] = {
        **_reading(page),
        "violations": violations(page, axe, COLOUR_RULES),
    }
    switch_palette(page, "default")
    return readings


#: Material's copy button: ``button.md-clipboard`` up to 9.6, then a button in the
#: code block's ``nav.md-code__nav``.
COPY_BUTTON = "button.md-clipboard, button.md-code__button[data-md-type=copy]"


def copy(page: Page, block_index: int) -> str:
    """Click the copy button of the ``block_index``-th code block; the clipboard text.
    (The page's context has the clipboard permissions.)"""
    page.evaluate("() => navigator.clipboard.writeText('<nothing copied>')")
    block = page.locator("article div.highlight").nth(block_index)
    block.hover()
    block.locator(COPY_BUTTON).click()
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()) !== '<nothing copied>'"
    )
    text: str = page.evaluate("() => navigator.clipboard.readText()")
    return text


def copy_example(page: Page, block_index: int) -> dict[str, Any]:
    """The page's number of code blocks, what the copy button of the ``block_index``-th
    copies, and the text of the block right after it if that is a code block (else
    None)."""
    blocks = page.locator("article div.highlight").count()
    copied = copy(page, block_index)
    after = page.evaluate(
        """(i) => {
             const next = document.querySelectorAll("article div.highlight")[i]
               .nextElementSibling;
             return next && next.matches("div.highlight")
               ? next.querySelector("code").innerText : null;
           }""",
        block_index,
    )
    return {"blocks": blocks, "copied": copied, "next": after}
