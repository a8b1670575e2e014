"""Browser tests of what a page costs a reader.

* **A first visit fits its budget**: every page, with an empty cache, fetches at most
  200 KiB as a static host serves it (gzip at level 6 where that makes a file smaller),
  never the search index, and the math font once where there are formulas, never
  elsewhere. ``benchmarks/site.py`` measures the same in bytes on the wire and in time
  on slow 4G.
* **The search index waits for the reader**: it is fetched when the search box is
  focused, and search works.
* **Every formula is drawn in the math font alone**: each distinct token of every
  formula of the site, drawn on a page of the site, uses STIX Two Math and no
  fallback font (Chromium's own account of the fonts it drew a text with), and the
  check catches a symbol that the font was not cut for.
"""

from __future__ import annotations

import gzip
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from crossentropy_site.font import font_characters

from tests.browser.conftest import MATH_FONT
from tests.browser.site_pages import PAGES, SOURCES, page_id

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request

    from tests.browser.conftest import Site, Visits

#: What a first visit may fetch, compressed as a static host sends it.
FIRST_VISIT_BUDGET = 200 * 1024
#: File types a static host compresses (GitHub Pages does these with gzip).
COMPRESSED = (".html", ".css", ".js", ".json", ".xml", ".txt", ".svg", ".ipynb", ".ttf", ".map")
FONT_FILE = "STIXTwoMath-subset.woff2"
SEARCH_INDEX = "search/search_index.json"


def _local_file(site: Site, url: str) -> Path:
    """The file the test server sends for a local URL (a folder's index.html, the
    top-level 404.html for a missing path)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    local = site.pages / path.removeprefix(site.prefix)
    if local.is_dir():
        local = local / "index.html"
    return local if local.is_file() else site.pages / "404.html"


def _served_size(path: Path) -> int:
    data = path.read_bytes()
    if path.suffix not in COMPRESSED:
        return len(data)
    return min(len(data), len(gzip.compress(data, compresslevel=6, mtime=0)))


# ------------------------------------------------------------ first visit ----


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_first_visit_fits_the_budget(visits: Visits, site: Site, path: str) -> None:
    report = visits.report(site.url(path))
    fetched = [url for url in report.requests if site.is_local(url)]
    # What is counted: the page, the theme's stylesheets and scripts, the font...
    suffixes = {Path(urllib.parse.urlsplit(url).path).suffix for url in fetched}
    assert {".css", ".js"} <= suffixes, fetched
    sizes = {url: _served_size(_local_file(site, url)) for url in fetched}
    total = sum(sizes[url] for url in fetched)
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
    assert total <= FIRST_VISIT_BUDGET, f"{total / 1024:.1f} KiB: {largest}"
    assert not [url for url in fetched if url.endswith(SEARCH_INDEX)], "search index on load"
    fonts = [url for url in fetched if url.endswith(FONT_FILE)]
    assert len(fonts) == (1 if report.math else 0), fonts
    assert not [url for url in fetched if url.endswith((".ttf", ".otf"))]


class _Head(HTMLParser):
    """The preload links and the external scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.preloads: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.math = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") == "preload":
            self.preloads.append(attributes)
        elif tag == "script" and "src" in attributes:
            self.scripts.append(attributes)
        elif tag == "math":
            self.math = True


def test_pages_with_formulas_preload_the_font_and_scripts_wait(site: Site) -> None:
    """Where there is a formula, the math font is fetched with the stylesheets (the URL
    the stylesheet's @font-face names, as a font, in CORS mode, so that the font face
    uses it); nowhere else. Every script is deferred."""
    css = (site.root / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    face = re.search(r'url\("(?P<url>[^"]+)"\)\s*format\("woff2"\)', css)
    assert face is not None, "the math font's @font-face"
    font = (site.root / "stylesheets" / face["url"]).resolve()
    assert font.name == FONT_FILE
    assert font.is_file()
    with_math = 0
    for index in sorted(site.root.rglob("index.html")):
        head = _Head()
        head.feed(index.read_text(encoding="utf-8"))
        where = index.relative_to(site.root).as_posix()
        assert head.scripts, where
        assert all("defer" in s for s in head.scripts), where
        if not head.math:
            assert head.preloads == [], where
            continue
        with_math += 1
        assert len(head.preloads) == 1, where
        (preload,) = head.preloads
        assert (preload["as"], preload["type"]) == ("font", "font/woff2"), where
        assert "crossorigin" in preload, where
        assert (index.parent / str(preload["href"])).resolve() == font, where
    assert with_math > len(SOURCES) // 2


def test_search_index_is_fetched_when_the_reader_goes_to_search(visits: Visits, site: Site) -> None:
    context = visits.new_context()
    index: list[str] = []

    def note(request: Request) -> None:
        if request.url.endswith(SEARCH_INDEX):
            index.append(request.url)

    context.on("request", note)
    try:
        page = context.new_page()
        page.goto(site.url("how-to/bits/"), wait_until="load")
        page.wait_for_load_state("networkidle")
        assert index == [], "fetched before the reader went to search"
        with page.expect_request(lambda r: r.url.endswith(SEARCH_INDEX)):
            page.keyboard.press("/")  # Material's shortcut focuses the search box
        page.locator("input.md-search__input").press_sequentially("perplexity", delay=20)
        page.wait_for_selector(".md-search-result__item")
    finally:
        context.close()
    assert len(index) == 1


# ---------------------------------------------------------- math glyphs ----


class _Tokens(HTMLParser):
    """The distinct token elements of the formulas of an HTML page, as HTML."""

    TOKENS = ("mi", "mo", "mn", "mtext", "ms")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[tuple[str, str, str]] = set()
        self._math = 0
        self._open: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "math":
            self._math += 1
        elif self._math and tag in self.TOKENS:
            self._open = (tag, dict(attrs).get("mathvariant") or "")
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "math":
            self._math -= 1
        elif self._open is not None and tag == self._open[0]:
            text = "".join(self._text)
            if text.strip():
                self.found.add((*self._open, text))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)


def _site_tokens(root: Path) -> set[tuple[str, str, str]]:
    tokens: set[tuple[str, str, str]] = set()
    for html in sorted(root.rglob("*.html")):
        parser = _Tokens()
        parser.feed(html.read_text(encoding="utf-8"))
        tokens |= parser.found
    return tokens


def _fonts_drawn(page: Page, context: BrowserContext, tokens: list[tuple[str, str, str]]) -> Any:
    """Draw each token in a formula of the open page; for each, the fonts Chromium drew
    its text with (DevTools' CSS.getPlatformFontsForNode)."""
    page.evaluate(
        """(tokens) => {
             const article = document.querySelector("article");
             article.replaceChildren();
             const ns = "http://www.w3.org/1998/Math/MathML";
             tokens.forEach(([tag, variant, text], i) => {
               const math = document.createElementNS(ns, "math");
               const token = document.createElementNS(ns, tag);
               if (variant) token.setAttribute("mathvariant", variant);
               token.textContent = text;
               token.setAttribute("data-ce-token", String(i));
               math.append(token);
               article.append(math);
             });
           }""",
        tokens,
    )
    page.evaluate("() => document.fonts.ready")
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-ce-token]"})
    drawn = {}
    for node in nodes["nodeIds"]:
        pairs = cdp.send("DOM.getAttributes", {"nodeId": node})["attributes"]
        index = int(dict(zip(pairs[::2], pairs[1::2], strict=True))["data-ce-token"])
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        drawn[index] = sorted({font["familyName"] for font in fonts})
    return drawn


def test_every_formula_is_drawn_in_the_math_font_alone(visits: Visits, site: Site) -> None:
    tokens = sorted(_site_tokens(site.root))
    assert len(tokens) > 100
    context = visits.new_context()
    try:
        page = context.new_page()
        page.goto(site.url("explanation/gradient/"), wait_until="load")
        drawn = _fonts_drawn(page, context, tokens)
    finally:
        context.close()
    assert len(drawn) == len(tokens)
    # An invisible operator (U+2061, function application) is drawn in no font at all.
    fallback = {tokens[i]: fonts for i, fonts in drawn.items() if set(fonts) - {MATH_FONT}}
    assert fallback == {}, "drawn in another font: add the characters with `make font`"


def test_the_glyph_check_catches_a_symbol_the_font_lacks(visits: Visits, site: Site) -> None:
    """A new symbol on a page: in the full STIX Two Math, not in the site's cut of it,
    and in a font the system falls back to (Liberation, which Debian's Chromium
    depends on, has Greek capitals). A character that no font has is drawn as the math
    font's empty box, which this check cannot tell: tests/tools/test_site_font.py
    compares the formulas' characters with the font's own list."""
    shipped = font_characters(site.root / "assets" / "fonts" / FONT_FILE)
    new = next(
        c
        for c in "\N{GREEK CAPITAL LETTER OMEGA}\N{CIRCLED TIMES}\N{SECTION SIGN}"
        if c not in shipped
    )
    tokens = [("mi", "normal", new), ("mi", "", "x")]
    context = visits.new_context()
    try:
        page = context.new_page()
        page.goto(site.url("explanation/gradient/"), wait_until="load")
        drawn = _fonts_drawn(page, context, tokens)
    finally:
        context.close()
    assert drawn[1] == [MATH_FONT]
    assert drawn[0] != [MATH_FONT], drawn
