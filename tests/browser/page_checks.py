"""What the browser tests read off a loaded page: its layout, its text alternatives
and axe-core's accessibility violations. ``Visits`` (conftest.py) reads them all on
the one load of each page at the desktop width in the light palette; the tests of
the phone width and the dark palette load the page again for theirs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

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


def violations(page: Page, axe: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe)
    result = page.evaluate(
        """async (tags) => await axe.run(document, {
             runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
