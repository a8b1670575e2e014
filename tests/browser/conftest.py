"""Fixtures for the browser tests: build the site, serve it locally, drive Chromium.

* ``site``: the site deployed with mike (``tools/gh_pages.py``, as the workflows
  deploy it) in two versions, ``0.1`` (alias ``latest``) and ``dev``, into a
  throw-away git repository, and the resulting Pages tree served below the path of
  ``site_url`` (``/crossentropy/``) as GitHub Pages serves it (a missing page gets
  the top-level ``404.html``), by :class:`http.server.ThreadingHTTPServer` on
  ``127.0.0.1`` (port 0) in a daemon thread for the whole session.
* ``browser``: Debian's Chromium (``/usr/bin/chromium``) launched by Python
  Playwright. Playwright never downloads a browser here.
* ``visits``: loads a page once, in the worker's one tab emptied first of what a
  first visit would not find (:class:`Visits`), and records what the browser saw
  (console errors, requests, links, ids, math boxes, fonts); the per-page tests
  and the link checks share these records.

Where Chromium or Playwright is missing the tests are skipped with the reason;
under CI (``CI=true``) that is a failure instead.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from _shared import made_once, shared_figures

from tests.browser import page_checks
from tests.browser.site_pages import FIRST_EXAMPLES

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        CDPSession,
        ConsoleMessage,
        Error,
        Page,
        Request,
        Response,
    )

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
MATH_FONT = "STIX Two Math"


def _browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"the playwright Python package is not importable ({error})"
    return None


@pytest.fixture(scope="session", autouse=True)
def _require_browser() -> None:
    """Skip every browser test without Chromium/Playwright; under CI, fail instead."""
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


# ------------------------------------------------------------------- site ----

#: Versions the tests deploy with mike, as the release and docs workflows do: a
#: release with the ``latest`` alias, and the development version.
RELEASE, DEV = "0.1", "dev"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "crossentropy tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "crossentropy tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
}


def site_path() -> str:
    """The path of the configured ``site_url`` (``/crossentropy/``): where Pages serves."""
    from mkdocs.config import load_config

    url = load_config(str(REPO_ROOT / "mkdocs.yml")).site_url or "/"
    path = urllib.parse.urlsplit(url).path
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class Site:
    """The deployed site, as GitHub Pages would serve it, and the version under test."""

    pages: Path  # the Pages tree: versions.json, 404.html, one folder per version
    origin: str  # "http://127.0.0.1:<port>", no trailing slash
    prefix: str  # path of the Pages site, "/crossentropy/"
    version: str = "latest"  # the version the per-page tests read

    @property
    def root(self) -> Path:
        """The built files of the version under test."""
        return (self.pages / self.version).resolve()

    def url(self, path: str, *, version: str | None = None) -> str:
        """Address of ``path`` (a site path such as ``how-to/bits/``) in a version."""
        return f"{self.origin}{self.prefix}{version or self.version}/{path.lstrip('/')}"

    def top(self, path: str = "") -> str:
        """Address of ``path`` at the top of the Pages site (outside every version)."""
        return f"{self.origin}{self.prefix}{path.lstrip('/')}"

    def is_local(self, url: str) -> bool:
        return url == self.origin or url.startswith(self.origin + "/")

    def file(self, url: str) -> Path:
        """The file the test server sends for a local URL (a folder's index.html, the
        top-level 404.html for a missing path)."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        local = self.pages / path.removeprefix(self.prefix)
        if local.is_dir():
            local = local / "index.html"
        return local if local.is_file() else self.pages / "404.html"


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in listed.decode().split("\0") if name]


def deploy_two_versions(work: Path, out: Path, env: dict[str, str] | None = None) -> None:
    """Copy the working tree into a throw-away repository ``work`` and deploy it twice
    with ``tools/gh_pages.py`` (mike): ``0.1`` as ``latest``, then ``dev``. Nothing is
    pushed; the Pages tree is written to ``out``. ``env`` is added to the environment
    of the deploys."""
    for name in _tracked_files():
        source = REPO_ROOT / name
        if source.is_file():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    env = {**os.environ, **GIT_IDENTITY, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "docs under test"]):
        subprocess.run(["git", *command], cwd=work, env=env, check=True)
    script = str(REPO_ROOT / "tools" / "gh_pages.py")
    for version, *aliases in ([RELEASE, "latest"], [DEV]):
        deployed = subprocess.run(
            [sys.executable, script, "deploy", version, *aliases, "--out", str(out)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if deployed.returncode != 0:
            pytest.fail(
                f"deploying {version} failed:\n{deployed.stdout}\n{deployed.stderr}",
                pytrace=False,
            )


class _PagesHandler(SimpleHTTPRequestHandler):
    """Serves a Pages tree below a prefix as GitHub Pages does: a missing path (or a
    folder without ``index.html``) gets status 404 and the top-level ``404.html``."""

    prefix = "/"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith(self.prefix):
            self.send_error(404)
            return None
        self.path = "/" + path[len(self.prefix) :]
        local = Path(self.translate_path(self.path))
        if local.is_dir() and not self.path.endswith("/"):
            return super().send_head()  # the redirect to "folder/"
        if local.is_dir():
            local = local / "index.html"
        if not local.is_file():
            body = (Path(self.directory) / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        # The browser may drop a connection it no longer needs (a page it left);
        # that is not an error of the site, and its traceback only clutters the log.
        # Requests the browser reports as failed are checked by the tests themselves.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().copyfile(source, outputfile)


def _deploy(root: Path) -> None:
    (root / "repository").mkdir()
    (root / "pages").mkdir()
    deploy_two_versions(root / "repository", root / "pages", shared_figures(root))


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site deployed in two versions with mike, served as GitHub Pages serves it."""
    pages = made_once(tmp_path_factory, "deployed-site", _deploy) / "pages"
    prefix = site_path()
    handler = type("Handler", (_PagesHandler,), {"prefix": prefix})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(pages)))
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        yield Site(pages=pages, origin=origin, prefix=prefix)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- browser ----


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageReport:
    """What the browser saw while loading one page."""

    url: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href attribute, absolute)
    ids: set[str] = field(default_factory=set)
    math: list[dict[str, Any]] = field(default_factory=list)
    large_operators: list[dict[str, Any]] = field(default_factory=list)
    math_font: dict[str, Any] = field(default_factory=dict)
    #: mkdocstrings objects: heading id -> text of the object's signature block.
    signatures: dict[str, str] = field(default_factory=dict)
    # Read before anything on the page is opened, if asked for: by (width, palette),
    # the palette shown, layout, text alternatives, axe's violations (page_checks.py).
    read_for_readers: bool = False
    readings: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    # Then, on a page with a Python example, its first example's copy button is clicked
    # (page_checks.copy_example).
    copy: dict[str, Any] = field(default_factory=dict)


# Runs in the page after `load`: open <details> so that folded math gets a box, then
# measure. Everything is returned as plain JSON.
_INSPECT = """
async (fontFamily) => {
  await document.fonts.ready;
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const math = Array.from(document.querySelectorAll("article math"), (m) => {
    const [width, height] = box(m);
    return { width, height, display: m.getAttribute("display"),
             text: m.textContent.trim().slice(0, 60) };
  });
  const large = [];
  for (const m of document.querySelectorAll('article math[display="block"]')) {
    // The glyphs a large operator is compared with: letters, or numbers where the
    // formula's only letters are in scripts, as in a sum of 2^-l_c that is at most 1.
    const letters = Array.from(m.querySelectorAll("mi, mn"))
      .filter((mi) => /^(?:\\p{L}|\\p{N}+)$/u.test(mi.textContent.trim()));
    for (const mo of m.querySelectorAll("mo")) {
      const text = mo.textContent.trim();
      const style = getComputedStyle(mo);
      const isLargeOp = "∑∏∫".includes(text) && text !== "" && style.mathStyle === "normal";
      const minsize = mo.getAttribute("minsize");
      if (!isLargeOp && !minsize) continue;
      const size = parseFloat(style.fontSize);
      const sameSize = letters.filter((mi) => getComputedStyle(mi).fontSize === style.fontSize);
      large.push({
        op: text,
        minsize: minsize,
        fontSize: size,
        height: box(mo)[1],
        letterHeight: Math.max(0, ...sameSize.map((mi) => box(mi)[1])),
        formula: m.textContent.trim().slice(0, 60),
      });
    }
  }
  const faces = Array.from(document.fonts)
    .filter((f) => f.family.replace(/["']/g, "") === fontFamily)
    .map((f) => f.status);
  const mathFamily = document.querySelector("article math")
    ? getComputedStyle(document.querySelector("article math")).fontFamily : null;
  return {
    math, large,
    font: { faces, check: document.fonts.check(`16px "${fontFamily}"`), mathFamily },
    links: Array.from(document.querySelectorAll("a[href]"),
                      (a) => [a.getAttribute("href"), a.href]),
    ids: Array.from(document.querySelectorAll("[id]"), (el) => el.id),
    signatures: Object.fromEntries(
      Array.from(document.querySelectorAll(".doc-object > .doc-heading[id]"), (h) => {
        const signature = h.parentElement.querySelector(":scope > .doc-signature");
        return [h.id, signature ? signature.innerText.trim() : ""];
      })),
  };
}
"""


class _Ids(HTMLParser):
    """The id attributes of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


class Visits:
    """Load pages once each and keep the reports. Every page is loaded in the same tab,
    emptied first of all that a first-time visitor's browser would not hold
    (:meth:`first_visit`): a new browser context per page gave the same requests and
    readings, for about a second more of CPU a page (a new renderer process and its
    set-up); test_site.py checks that a visit fetches what a fresh context does."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.browser = browser
        self.axe = page_checks.axe_source()
        self.site = site
        self._reports: dict[str, PageReport] = {}
        self._status: dict[str, int] = {}
        self._file_ids: dict[str, set[str]] = {}
        self._tab: Page | None = None
        self._devtools: CDPSession | None = None

    def new_context(self, *, width: int = 1280, **kwargs: Any) -> BrowserContext:
        context = self.browser.new_context(
            viewport={"width": width, "height": page_checks.HEIGHT}, **kwargs
        )
        context.set_default_timeout(10_000)
        return context

    def report(self, url: str, *, readers: bool = False) -> PageReport:
        """What a visit of ``url`` saw; with ``readers``, also what the readers' checks
        read (page_checks.read_for_readers) and the first example's copy, which only
        the page's own browser tests need."""
        url = url.split("#", 1)[0]
        known = self._reports.get(url)
        if known is None or (readers and not known.read_for_readers):
            self._reports[url] = self._visit(url, readers=readers)
        return self._reports[url]

    def file_ids(self, url: str) -> set[str]:
        """The ids in the HTML file the server sends for a page of the site: headings'
        and equations' ids are written there by the build, not by a script, so a link's
        target need not be loaded for its anchors (the link test compares them with
        what the browser saw on each page)."""
        url = url.split("#", 1)[0]
        if url not in self._file_ids:
            parser = _Ids()
            parser.feed(self.site.file(url).read_text(encoding="utf-8"))
            self._file_ids[url] = parser.ids
        return self._file_ids[url]

    def status(self, url: str) -> int:
        """HTTP status of a local URL (without the browser), cached."""
        url = url.split("#", 1)[0]
        if url not in self._status:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    self._status[url] = response.status
            except urllib.error.HTTPError as error:
                self._status[url] = error.code
        return self._status[url]

    @property
    def tab(self) -> Page:
        """The tab every visit loads its page in (as the last visit left it)."""
        if self._tab is None:
            context = self.new_context()
            # For the readers' copy-button check (page_checks.copy_example).
            context.grant_permissions(
                ["clipboard-read", "clipboard-write"], origin=self.site.origin
            )
            self._tab = context.new_page()
            self._devtools = context.new_cdp_session(self._tab)
        return self._tab

    def first_visit(
        self,
        *,
        width: int = page_checks.DESKTOP,
        color_scheme: Literal["light", "dark"] = "light",
        reduced_motion: Literal["reduce", "no-preference"] = "no-preference",
    ) -> Page:
        """The tab, with nothing left of the pages it showed: on a blank page, with
        the site's local and session storage, cookies and every other store of the
        origin emptied, the HTTP cache cleared, the viewport ``width`` wide and the
        system preferences given (a light palette, motion, by default). (The previous
        page is left first, so that its requests end before the next visit listens.)
        Every visit starts here, and so may a test that loads its own pages; a test
        that listens to a context or routes its requests takes a context of its own
        (:meth:`new_context`)."""
        tab, devtools = self.tab, self._devtools
        assert devtools is not None
        if tab.url.startswith(self.site.origin):
            tab.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        tab.goto("about:blank")
        devtools.send("Network.clearBrowserCache")
        devtools.send("Network.clearBrowserCookies")
        devtools.send(
            "Storage.clearDataForOrigin", {"origin": self.site.origin, "storageTypes": "all"}
        )
        tab.set_viewport_size({"width": width, "height": page_checks.HEIGHT})
        tab.emulate_media(color_scheme=color_scheme, reduced_motion=reduced_motion)
        return tab

    def _visit(self, url: str, *, readers: bool) -> PageReport:
        report = PageReport(url=url, read_for_readers=readers)
        page = self.first_visit()
        context = page.context

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                report.console_errors.append(f"{message.text} ({message.location})")

        def on_request(request: Request) -> None:
            report.requests.append(request.url)

        def on_failed(request: Request) -> None:
            report.failed_requests.append(f"{request.url}: {request.failure}")

        def on_response(response: Response) -> None:
            if response.status >= 400:
                report.bad_responses.append(f"{response.status} {response.url}")

        def on_page_error(error: Error) -> None:
            report.console_errors.append(f"uncaught {error}")

        # The tab's context is the tab's alone: its requests include its workers'.
        listeners: list[tuple[Any, str, Any]] = [
            (context, "request", on_request),
            (context, "requestfailed", on_failed),
            (context, "response", on_response),
            (page, "console", on_console),
            (page, "pageerror", on_page_error),
        ]
        for source, event, listener in listeners:
            source.on(event, listener)
        try:
            response = page.goto(url, wait_until="load")
            report.status = response.status if response else None
            # Everything a page fetches on its own is in by its load event and its fonts
            # are ready (the search index waits for the reader; test_speed.py checks it).
            page.evaluate("() => document.fonts.ready")
            if readers:
                report.readings = page_checks.read_for_readers(page, self.axe)
                example = FIRST_EXAMPLES.get(url.removeprefix(self.site.url("")))
                if example is not None:
                    report.copy = page_checks.copy_example(page, example.index)
            data = page.evaluate(_INSPECT, MATH_FONT)
        finally:
            for source, event, listener in listeners:
                source.remove_listener(event, listener)
        report.math = data["math"]
        report.large_operators = data["large"]
        report.math_font = data["font"]
        report.links = [tuple(pair) for pair in data["links"]]  # type: ignore[misc]
        report.ids = set(data["ids"])
        report.signatures = data["signatures"]
        return report


@pytest.fixture(scope="session")
def visits(browser: Browser, site: Site) -> Visits:
    return Visits(browser, site)
