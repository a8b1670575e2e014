"""Browser tests of what a page costs a reader, and of moving between pages.

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
* **Instant navigation holds up**: after a page switch without a reload (Material's
  ``navigation.instant``), wide boxes take keyboard focus, the copy button copies, the
  notebook link downloads the notebook, the version selector switches versions, search
  finds, the math font draws the new page's formulas, axe-core finds nothing serious,
  and a switch from the 404 page at depth lands on a working page.

Material switches pages in place only for the addresses its sitemap lists, which are
those of ``site_url`` (with the version mike puts in it): the instant-navigation tests
load the site at its published address, ``https://crossentropy-docs.github.io/...``,
answered by the local server (Playwright routes every request for that host to it),
and use a version's own folder (``0.1/``), not the ``latest`` alias: the sitemap of
``latest/`` lists the ``0.1/`` addresses, so there, as on the published site, links are
followed by ordinary page loads.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import re
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from crossentropy_site.font import font_characters
from crossentropy_site.notebooks import download_name

from tests.browser.conftest import DEV, MATH_FONT, RELEASE, REPO_ROOT
from tests.browser.page_checks import COLOUR_RULES, PHONE, describe, violations
from tests.browser.site_pages import PAGES, SOURCES, page_id

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request, Route

    from tests.browser.conftest import Site, Visits

#: What a first visit may fetch, compressed as a static host sends it.
FIRST_VISIT_BUDGET = 200 * 1024
#: File types a static host compresses (GitHub Pages does these with gzip).
COMPRESSED = (".html", ".css", ".js", ".json", ".xml", ".txt", ".svg", ".ipynb", ".ttf", ".map")
FONT_FILE = "STIXTwoMath-subset.woff2"
SEARCH_INDEX = "search/search_index.json"


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
    sizes = {url: _served_size(site.file(url)) for url in fetched}
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


# ------------------------------------------------------ instant navigation ----


@functools.cache
def published() -> str:
    """The published address of the site (``site_url``), ending in "/"."""
    from mkdocs.config import load_config

    url = str(load_config(str(REPO_ROOT / "mkdocs.yml")).site_url)
    return url if url.endswith("/") else url + "/"


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def at_home(site: Site, path: str, version: str = RELEASE) -> str:
    """The published address of a page of a version (``.../crossentropy/0.1/how-to/``)."""
    return f"{_origin(published())}{site.prefix}{version}/{path}"


def served(site: Site, url: str) -> str:
    """The local server's address for a published one."""
    return site.origin + url.removeprefix(_origin(published()))


@contextlib.contextmanager
def hosted(visits: Visits, site: Site, **options: Any) -> Iterator[BrowserContext]:
    """A browser context in which the site's published host is the local server,
    closed at the end."""
    context = visits.new_context(**options)

    def answer(route: Route) -> None:
        response = route.fetch(url=served(site, route.request.url), max_redirects=0)
        route.fulfill(response=response)

    context.route(re.compile("^" + re.escape(_origin(published())) + "/"), answer)
    try:
        yield context
    finally:
        # A request still being answered (a favicon, a prefetch) when the test ends
        # is let go, as Playwright advises; otherwise closing the context makes its
        # answer fail, and the error is raised in whichever test calls Playwright next.
        context.unroute_all(behavior="ignoreErrors")
        context.close()


@pytest.fixture
def context(visits: Visits, site: Site) -> Iterator[BrowserContext]:
    with hosted(visits, site) as context:
        context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=_origin(published())
        )
        yield context


class Reader:
    """A tab that follows links as a reader does, and notes console errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught {error}"))

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def follow(self, url: str) -> None:
        """Click a link to ``url`` in the page's content (one added to it if there is
        none, as Material does itself to follow a link), and wait for the new page. The
        switch must not load a new document."""
        page = self.page
        page.evaluate(
            """() => { window.ceSwitches = 0; window.ceSameDocument = true;
                       document$.subscribe(() => { window.ceSwitches += 1; }); }"""
        )
        page.evaluate(
            """(url) => {
                 const article = document.querySelector("article");
                 const shown = Array.from(article.querySelectorAll("a[href]")).find(
                   (a) => a.href === url && a.offsetParent !== null);
                 const added = Object.assign(document.createElement("a"), {href: url});
                 added.textContent = url;
                 const link = shown || article.appendChild(added);
                 link.setAttribute("data-ce-follow", "");
               }""",
            url,
        )
        page.locator("[data-ce-follow]").first.click()
        page.wait_for_url(url)
        # document$ replays the page it was on when subscribed to: the switch is the second.
        page.wait_for_function("() => window.ceSameDocument !== true || window.ceSwitches >= 2")
        assert page.evaluate("() => window.ceSameDocument === true"), "a full reload"
        page.wait_for_load_state("networkidle")
        page.evaluate("() => document.fonts.ready")


def _title(site: Site, path: str) -> str:
    text = SOURCES[path].read_text(encoding="utf-8")
    heading = re.search(r"^# (.+)$", text, re.MULTILINE)
    assert heading is not None
    return heading[1].strip()


def _heading(page: Page) -> str:
    return str(page.locator("article h1").inner_text()).strip().rstrip("¶").strip()


def test_wide_boxes_take_focus_after_a_switch(visits: Visits, site: Site) -> None:
    """The keyboard-scroll script (docs/javascripts/scrollable.js) runs for the page
    switched to, as for one loaded: the same boxes are focusable, and only those that
    scroll."""
    focusable = """() => Array.from(document.querySelectorAll(
        ".md-typeset__scrollwrap, .md-typeset math[display='block']"), (box) => [
        box.tabIndex === 0, box.scrollWidth > box.clientWidth + 1])"""
    target = at_home(site, "explanation/gradient/")
    with hosted(visits, site, width=PHONE) as loaded:
        page = loaded.new_page()
        page.goto(target, wait_until="load")
        page.wait_for_load_state("networkidle")
        expected = page.evaluate(focusable)
    with hosted(visits, site, width=PHONE) as switched:
        reader = Reader(switched.new_page())
        reader.open(at_home(site, ""))
        reader.follow(target)
        reader.page.wait_for_timeout(200)  # the script looks after the next frame
        found = reader.page.evaluate(focusable)
    assert any(wide for _, wide in found), "no box scrolls at 390 px: nothing is tested"
    assert found == expected
    assert all(focus == wide for focus, wide in found)
    assert reader.errors == []


def test_copy_button_and_notebook_link_after_a_switch(context: BrowserContext, site: Site) -> None:
    reader = Reader(context.new_page())
    reader.open(at_home(site, ""))
    path = "how-to/bits/"
    reader.follow(at_home(site, path))
    page = reader.page
    assert _heading(page) == _title(site, path)
    page.evaluate("() => navigator.clipboard.writeText('<nothing copied>')")
    block = page.locator("article div.highlight").first
    block.hover()
    block.locator("button.md-clipboard, button.md-code__button[data-md-type=copy]").click()
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()) !== '<nothing copied>'"
    )
    copied = page.evaluate("() => navigator.clipboard.readText()")
    shown = block.locator("code").inner_text()
    assert copied.strip() == shown.strip()
    assert "import" in copied
    # The notebook link, resolved against the page switched to, starts a download of
    # the notebook (it is not taken for a page to switch to). Playwright cancels a
    # download that it answers itself, so the file is fetched as the link names it.
    link = page.locator(".ce-notebook a[download]")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == download_name("how-to/bits.md")
    notebook = page.evaluate(
        "async (a) => await (await fetch(a.href)).json()", link.element_handle()
    )
    assert notebook["nbformat"] == 4
    assert notebook["cells"]
    assert page.url == at_home(site, path)
    assert reader.errors == []


def test_version_selector_after_a_switch(context: BrowserContext, site: Site) -> None:
    reader = Reader(context.new_page())
    reader.open(at_home(site, ""))
    reader.follow(at_home(site, "how-to/bits/"))
    page = reader.page
    page.wait_for_selector(".md-version__current")
    assert page.locator(".md-version__current").inner_text().strip() == "0.1"
    page.locator(".md-version").hover()
    page.locator(".md-version__link", has_text="dev").first.click()
    page.wait_for_url(at_home(site, "how-to/bits/", DEV))
    assert page.locator(".md-version__current").inner_text().strip() == "dev"
    assert _heading(page) == _title(site, "how-to/bits/")
    assert reader.errors == []


def test_search_and_the_math_font_after_a_switch(context: BrowserContext, site: Site) -> None:
    """From a page without formulas (so without the font) to one with them: the font
    is fetched and draws them; search still finds pages."""
    reader = Reader(context.new_page())
    reader.open(at_home(site, "how-to/"))
    assert reader.page.evaluate("() => document.querySelector('article math')") is None
    reader.follow(at_home(site, "explanation/gradient/"))
    page = reader.page
    font = page.evaluate(
        """(family) => ({
             faces: Array.from(document.fonts, (f) => [f.family.replace(/["']/g, ""), f.status]),
             check: document.fonts.check(`16px "${family}"`),
             math: getComputedStyle(document.querySelector("article math")).fontFamily,
           })""",
        MATH_FONT,
    )
    assert [MATH_FONT, "loaded"] in font["faces"], font
    assert font["check"], font
    assert MATH_FONT in font["math"], font
    page.keyboard.press("/")
    page.locator("input.md-search__input").press_sequentially("log-sum-exp", delay=20)
    page.wait_for_selector(".md-search-result__item")
    assert page.locator(".md-search-result__item").count() > 0
    assert reader.errors == []


_SWITCHED_TO = "explanation/one-hot/"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_after_a_switch(
    visits: Visits, site: Site, scheme: str
) -> None:
    with hosted(visits, site, color_scheme=scheme) as context:
        reader = Reader(context.new_page())
        reader.open(at_home(site, ""))
        # A page with formulas, code and output, smaller than most: every page's own
        # load is checked by test_readers.py; this checks what a switch swaps in.
        reader.follow(at_home(site, _SWITCHED_TO))
        # As on every page's own check, the dark palette gets the rules about colour.
        found = violations(reader.page, visits.axe, COLOUR_RULES if scheme == "dark" else None)
    assert found == [], describe(found, at_home(site, _SWITCHED_TO))
    assert reader.errors == []


def test_switch_from_the_404_page_at_depth(visits: Visits, site: Site) -> None:
    with hosted(visits, site) as context:
        statuses: dict[str, int] = {}
        context.on("response", lambda response: statuses.__setitem__(response.url, response.status))
        reader = Reader(context.new_page())
        missing = at_home(site, "how-to/no-such-page/deeper/", DEV)
        reader.open(missing)
        page = reader.page
        assert "404" in page.locator("article h1").inner_text()
        # The 404 page's own link to a page of the site, as a reader would take it.
        target = page.evaluate(
            """() => Array.from(document.querySelectorAll("nav.md-nav--primary a[href]"),
                                (a) => a.href).find((href) => href.includes("/how-to/bits/"))"""
        )
        assert target, "the 404 page's navigation links to the pages"
        reader.follow(target)
        assert _heading(page) == _title(site, "how-to/bits/")
        hrefs = page.eval_on_selector_all("article a[href]", "(a) => a.map((x) => x.href)")
    local = {served(site, href.split("#", 1)[0]) for href in hrefs if href.startswith(published())}
    assert local
    assert [href for href in local if visits.status(href) != 200] == []
    assert {u: s for u, s in statuses.items() if s >= 400 and u != missing} == {}
    # The one error: the browser's report of the missing page's own status.
    assert [e for e in reader.errors if "status of 404" not in e] == []
