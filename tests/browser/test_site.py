"""Browser tests of the built documentation site (Chromium via Playwright).

Per page (parametrised, so a failure names the page): no console errors, no failed
or >= 400 requests, no request to any host but the local server, every same-site
link and ``#anchor`` resolves, every formula has a box, large operators and sized
brackets in display math are really enlarged (needs the OpenType MATH font), and
STIX Two Math is loaded wherever there is math.

Site-wide: search, the copy button (runnable code on the clipboard, output as
shown on the page), both colour palettes (screenshots in
``test-artifacts/screenshots/``), and an API reference entry per public function.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import pytest

import crossentropy
from tests.browser.page_checks import copy, switch_palette
from tests.browser.site_pages import FIRST_EXAMPLES, PAGES, SOURCES, page_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Page

    from tests.browser.conftest import Site, Visits

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


_page_id = page_id


def test_every_built_page_is_checked(site: Site) -> None:
    """The parametrised page list is exactly the set of pages in the build."""
    built_paths = {
        "".join(f"{part}/" for part in index.parent.relative_to(site.root).parts)
        for index in site.root.rglob("index.html")
    }
    assert built_paths == set(SOURCES)
    assert (site.root / "404.html").is_file()
    print(f"\n{len(PAGES)} pages checked ({len(SOURCES)} index.html + 404.html)")


# --------------------------------------------------------------- per page ----


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_loads_cleanly(visits: Visits, site: Site, path: str) -> None:
    report = visits.report(site.url(path))
    assert report.status == 200
    assert report.console_errors == []
    assert report.failed_requests == []
    assert report.bad_responses == []
    external = [
        url
        for url in report.requests
        if not site.is_local(url) and not url.startswith(("data:", "blob:"))
    ]
    assert external == [], "requests to hosts other than the local server"


def test_each_visit_starts_as_a_first_visit(visits: Visits, site: Site) -> None:
    """The visits share one tab (conftest.py: Visits): each page arrives as on a
    first visit, with the palette and storage a reader left behind gone, and fetches
    what it fetches in a browser context of its own (but for the favicon, which the
    browser asks for when it chooses)."""
    url = site.url("explanation/gradient/")
    visits.report(url)
    switch_palette(visits.tab, "slate")  # a reader's choice, kept in local storage
    visits.tab.evaluate("() => sessionStorage.setItem('left', 'behind')")
    again = visits.report(url + "?again")
    assert visits.tab.get_attribute("body", "data-md-color-scheme") == "default"
    assert visits.tab.evaluate("() => sessionStorage.getItem('left')") is None
    context = visits.new_context()
    fresh: list[str] = []
    context.on("request", lambda request: fresh.append(request.url))
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.evaluate("() => document.fonts.ready")
    finally:
        context.close()

    def fetched(urls: list[str]) -> set[str]:
        return {u.split("?")[0] for u in urls if site.is_local(u) and "favicon" not in u}

    assert fetched(again.requests) == fetched(fresh)
    assert again.console_errors == again.failed_requests == again.bad_responses == []


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_links_and_anchors_resolve(visits: Visits, site: Site, path: str) -> None:
    report = visits.report(site.url(path))
    broken: list[str] = []
    checked = 0
    for href, absolute in report.links:
        if not site.is_local(absolute):
            continue
        checked += 1
        target, _, fragment = absolute.partition("#")
        status = visits.status(target)
        if status != 200:
            broken.append(f"{href!r}: HTTP {status}")
            continue
        if not fragment:
            continue
        if unquote(fragment) not in visits.file_ids(target):
            broken.append(f"{href!r}: no element with id {unquote(fragment)!r} on {target}")
    assert checked > 0
    assert broken == []
    # The ids the browser saw on this page are those of its file, and the ids that
    # Material's script gives code blocks and tooltips: the targets' ids, read from
    # their files, are those a reader's browser finds.
    file_ids = visits.file_ids(site.url(path))
    assert file_ids <= report.ids
    scripted = sorted(report.ids - file_ids)
    assert all(re.fullmatch(r"__(?:code|tooltip2?)_\d+", id_) for id_ in scripted), scripted


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_math_is_rendered(visits: Visits, site: Site, path: str) -> None:
    report = visits.report(site.url(path))
    no_box = [m["text"] for m in report.math if not (m["width"] > 0 and m["height"] > 0)]
    assert no_box == [], "formulas without a layout box"
    if not report.math:
        return
    font = report.math_font
    assert "STIX Two Math" in font["mathFamily"]
    assert "loaded" in font["faces"], f"STIX Two Math not loaded: {font}"
    assert font["check"], font
    small: list[str] = []
    for op in report.large_operators:
        if op["minsize"]:
            # \big( and friends: minsize="1.2em"; needs the font's size variants.
            wanted = 0.95 * float(op["minsize"].removesuffix("em")) * op["fontSize"]
            if op["height"] < wanted:
                small.append(f"{op['op']} ({op['minsize']}) {op['height']:.1f}px in {op}")
        elif not op["height"] > 1.3 * op["letterHeight"] > 0:
            small.append(f"{op['op']} {op['height']:.1f}px vs letter {op['letterHeight']:.1f}px")
    assert small == [], "large operators / sized brackets not enlarged"


# ----------------------------------------------------------------- search ----


def _search(page: Page, query: str) -> list[str]:
    """Type ``query`` into Material's search box; the result pages' paths, best first."""
    search = page.locator("input.md-search__input")
    search.click()
    search.fill(query)  # the whole query at once, as a paste would give it
    search.press("End")  # Material reads the query on a key's release
    page.wait_for_selector(".md-search-result__item")
    # Results are rendered as the worker answers: read them until two readings 100 ms
    # apart agree.
    page.wait_for_function(
        """(query) => {
             const meta = document.querySelector(".md-search-result__meta");
             return meta && !/Type to start/i.test(meta.textContent)
               && document.querySelector("input.md-search__input").value === query;
           }""",
        arg=query,
    )
    read = """() => Array.from(
                document.querySelectorAll(".md-search-result__item > a.md-search-result__link"),
                (a) => a.href)"""
    hrefs: list[str] = page.evaluate(read)
    while True:
        page.wait_for_timeout(100)
        again: list[str] = page.evaluate(read)
        if again == hrefs:
            break
        hrefs = again
    return [href.split("#", 1)[0].split("?", 1)[0] for href in hrefs]


#: What readers type, in their own words and in other libraries' names, and the
#: pages of which one must be among the first three results. A query listed with one
#: page only in a tuple of one must find that page first.
_QUERIES: dict[str, tuple[str, ...]] = {
    "log-sum-exp": ("explanation/logits/",),
    "label smoothing": ("how-to/label-smoothing/", "explanation/soft-targets/"),
    "entropy": ("explanation/entropy/",),
    "NLL": ("explanation/likelihood/", "reference/glossary/", "how-to/frameworks/"),
    "negative log-likelihood": ("explanation/likelihood/",),
    "log loss": ("how-to/frameworks/", "explanation/likelihood/", "reference/glossary/"),
    "BCE": ("explanation/binary/", "reference/glossary/"),
    "sparse categorical": ("how-to/troubleshooting/", "how-to/frameworks/"),
    "CrossEntropyLoss": ("how-to/troubleshooting/", "how-to/frameworks/"),
    "BCEWithLogitsLoss": ("how-to/troubleshooting/", "how-to/frameworks/"),
    "from_logits": ("how-to/frameworks/", "how-to/troubleshooting/", "how-to/logits/"),
    "ignore_index": ("how-to/weights/", "how-to/troubleshooting/", "how-to/frameworks/"),
    "double softmax": ("how-to/troubleshooting/",),
    "NaN loss": ("how-to/troubleshooting/",),
    "one-hot": ("explanation/one-hot/", "how-to/targets/"),
    "bits": ("how-to/bits/", "explanation/coding/"),
    "perplexity": ("tutorial/language-model/", "how-to/bits/", "reference/api/"),
    "KL divergence": ("explanation/divergences/", "explanation/soft-targets/"),
    "Jensen-Shannon": ("explanation/divergences/",),
    "gradient": ("explanation/gradient/",),
    "softplus": ("explanation/binary/", "explanation/bernoulli/"),
    "class weights": ("how-to/class-weights/",),
    "focal loss": ("explanation/focal-loss/",),
    "temperature": ("explanation/distillation/", "tutorial/calibration/"),
    "calibration": ("tutorial/calibration/",),
    "weight decay": ("explanation/regularisation/",),
    "squared error": ("explanation/gaussian/", "explanation/why-cross-entropy/"),
}


def test_search_finds_the_right_pages(visits: Visits, site: Site) -> None:
    found: dict[str, list[str]] = {}
    page = visits.first_visit()
    page.goto(site.url(""))
    page.keyboard.press("/")  # Material's shortcut focuses the search box
    for query in _QUERIES:
        results = []  # pages, best first, each once (a page's sections follow it)
        for href in _search(page, query):
            if href not in results:
                results.append(href)
        found[query] = results
    misses = []
    for query, pages in _QUERIES.items():
        wanted = [site.url(path) for path in pages]
        results = found[query]
        hit = results[:1] == wanted if len(wanted) == 1 else bool(set(results[:3]) & set(wanted))
        if not hit:
            misses.append(f"{query!r} -> {results[:3]}, wanted {pages}")
    assert not misses, "\n".join(misses)


# ------------------------------------------------------------ copy button ----


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _run(code: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# Reads {owner: [copied example, ...]} as JSON on stdin and runs each owner's copies in
# order in a fresh namespace; prints {owner: traceback} of those that fail, as JSON.
_EACH_IN_ITS_OWN_NAMESPACE = """
import contextlib, io, json, sys, traceback
failed = {}
for owner, copies in json.load(sys.stdin).items():
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile("\\n".join(copies), owner, "exec"), {"__name__": "__main__"})
    except BaseException:
        failed[owner] = traceback.format_exc()
sys.stdout.write(json.dumps(failed))
"""


@pytest.fixture
def clipboard_page(visits: Visits, site: Site) -> Iterator[Page]:
    context = visits.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.origin)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("path", list(FIRST_EXAMPLES), ids=page_id)
def test_copy_button_copies_the_first_example(
    visits: Visits, site: Site, tmp_path: Path, path: str
) -> None:
    """The page's one visit clicks its first example's copy button (page_checks.copy)."""
    example = FIRST_EXAMPLES[path]
    clicked = visits.report(site.url(path), readers=True).copy
    assert clicked["blocks"] == example.blocks, "rendered code blocks do not match the fences"
    assert _lines(clicked["copied"]) == _lines(example.source)
    expected = ""
    if example.followed_by_output:
        expected = clicked["next"]
        assert expected is not None, "the output block is not right after the example"
    result = _run(clicked["copied"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout) == _lines(expected)


def test_copy_button_leaves_out_doctest_prompts_and_output(
    clipboard_page: Page, site: Site, tmp_path: Path
) -> None:
    page = clipboard_page
    page.goto(site.url("reference/api/"))
    # (text shown, id of the documented object) of every code block
    blocks: list[tuple[str, str]] = page.eval_on_selector_all(
        "article div.highlight code",
        """(codes) => codes.map((code) => {
             const owner = code.closest(".doc-object");
             const heading = owner && owner.querySelector(".doc-heading[id]");
             return [code.innerText, heading ? heading.id : ""];
           })""",
    )
    doctests = [i for i, (text, _) in enumerate(blocks) if text.startswith(">>> ")]
    assert doctests, "no >>> examples on the API reference page"
    problems: list[str] = []
    # The examples of one docstring share a namespace, as under doctest: each
    # docstring's copies run one after another in one interpreter.
    namespaces: dict[str, list[str]] = {}
    for i in doctests:
        shown, owner = blocks[i]
        copied = copy(page, i)
        code = [line[4:] for line in shown.splitlines() if line.startswith((">>> ", "... "))]
        if _lines(copied) != _lines("\n".join(code)):
            problems.append(f"block {i}: copied {copied!r}, expected the code of {shown!r}")
            continue
        namespaces.setdefault(owner, []).append(copied)
    # One interpreter runs them all, each docstring's in a namespace of its own (as
    # doctest does): a copy that leans on another docstring's import or name fails.
    result = _run(_EACH_IN_ITS_OWN_NAMESPACE, tmp_path, stdin=json.dumps(namespaces))
    assert result.returncode == 0, result.stderr
    for owner, error in json.loads(result.stdout).items():
        problems.append(f"the examples of {owner} fail:\n{error}")
    print(f"\n{len(doctests)} >>> examples copied and run from the API reference")
    assert problems == []


# --------------------------------------------------------------- palettes ----

#: Pages to screenshot in both palettes, and what to scroll into view: a derivation
#: (display math with sums and fractions) and a page with figures.
PALETTE_PAGES = {
    "explanation/gradient/": 'article math[display="block"] >> nth=2',
    "explanation/entropy/": "article .ce-figure >> nth=0",
}


@pytest.mark.parametrize("path", list(PALETTE_PAGES), ids=_page_id)
def test_light_and_dark_palettes(visits: Visits, site: Site, path: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = path.strip("/").replace("/", "-")
    backgrounds: dict[str, str] = {}
    page = visits.first_visit()
    page.goto(site.url(path))
    for scheme in ("default", "slate"):
        if page.get_attribute("body", "data-md-color-scheme") != scheme:
            # The toggle shows the button of the *other* palette.
            page.locator("label.md-header__button[for^=__palette]:visible").click()
            page.wait_for_function(
                "(s) => document.body.getAttribute('data-md-color-scheme') === s", arg=scheme
            )
        page.evaluate("() => document.fonts.ready")
        target = page.locator(PALETTE_PAGES[path])
        target.evaluate("(el) => el.scrollIntoView({block: 'center'})")
        assert target.bounding_box() is not None
        # Finish CSS transitions first: scrolling starts the header's title swap.
        page.screenshot(path=SCREENSHOTS / f"{stem}-{scheme}.png", animations="disabled")
        backgrounds[scheme] = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert backgrounds["default"] != backgrounds["slate"], backgrounds


# ------------------------------------------------ versions, 404, sub-path ----


def test_versions_json_lists_both_deployed_versions(site: Site) -> None:
    listed = json.loads((site.pages / "versions.json").read_text(encoding="utf-8"))
    assert [(v["version"], v["aliases"]) for v in listed] == [("dev", []), ("0.1", ["latest"])]


def test_version_selector_lists_both_and_switches(visits: Visits, site: Site) -> None:
    page = visits.first_visit()
    page.goto(site.url("how-to/bits/", version="0.1"))
    page.wait_for_selector(".md-version__current")  # drawn once versions.json is in
    selector = page.locator(".md-version")
    assert selector.count() == 1, "exactly one version selector (Material's, not mike's)"
    assert page.locator("#version-selector").count() == 0
    assert page.locator(".md-version__current").inner_text().strip() == "0.1"
    selector.hover()
    links = page.locator(".md-version__link")
    names = [links.nth(i).inner_text().strip() for i in range(links.count())]
    assert names == ["dev", "0.1"], names
    page.locator(".md-version__link", has_text="dev").first.click()
    page.wait_for_url(site.url("how-to/bits/", version="dev"))
    assert page.locator(".md-version__current").inner_text().strip() == "dev"
    heading = page.locator("article h1").inner_text().strip().rstrip("¶")
    assert heading == "Report results in bits"


def test_root_redirects_to_latest(visits: Visits, site: Site) -> None:
    page = visits.first_visit()
    page.goto(site.top())
    page.wait_for_url(site.url(""))


@pytest.mark.parametrize("missing", ["no-such-page/", "dev/how-to/no-such-page/deeper/"])
def test_missing_page_gets_a_working_404_page(visits: Visits, site: Site, missing: str) -> None:
    """A missing path at any depth gets the 404 page, whose assets and links resolve."""
    context = visits.new_context()
    failed: list[str] = []
    context.on("requestfailed", lambda request: failed.append(request.url))
    statuses: dict[str, int] = {}
    context.on("response", lambda response: statuses.__setitem__(response.url, response.status))
    try:
        page = context.new_page()
        url = site.top(missing)
        response = page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        assert response is not None
        assert response.status == 404
        assert "404" in page.locator("article h1").inner_text()
        # The stylesheets and scripts came from the site: the page is styled.
        assert page.evaluate("() => getComputedStyle(document.body).fontFamily") != ""
        hrefs: list[str] = page.eval_on_selector_all("a[href]", "(a) => a.map((x) => x.href)")
    finally:
        context.close()
    assert failed == []
    assert {u: s for u, s in statuses.items() if s >= 400 and u != url} == {}
    local = [href.split("#", 1)[0] for href in hrefs if site.is_local(href)]
    assert local, "the 404 page links back into the site"
    broken = [href for href in local if visits.status(href) != 200]
    assert broken == []


# ---------------------------------------------------------- API reference ----


@pytest.mark.parametrize("name", crossentropy.__all__)
def test_api_reference_documents(visits: Visits, site: Site, name: str) -> None:
    report = visits.report(site.url("reference/api/"))
    assert f"crossentropy.{name}" in report.ids
    assert report.signatures.get(f"crossentropy.{name}", "").startswith(f"{name}(")
