"""Fixtures for the browser tests: build the site, serve it locally, drive Chromium.

* ``site``: ``mkdocs build --strict`` into a temporary directory, served by
  :class:`http.server.ThreadingHTTPServer` on ``127.0.0.1`` (port 0) in a daemon
  thread for the whole session.
* ``browser``: Debian's Chromium (``/usr/bin/chromium``) launched by Python
  Playwright. Playwright never downloads a browser here.
* ``visits``: loads a page once in a fresh browser context and records what the
  browser saw (console errors, requests, links, ids, math boxes, fonts); the
  per-page tests and the link checks share these records.

Where Chromium or Playwright is missing the tests are skipped with the reason;
under CI (``CI=true``) that is a failure instead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Request, Response

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


@dataclass(frozen=True)
class Site:
    """The built site and the local server that serves it."""

    root: Path
    origin: str  # "http://127.0.0.1:<port>", no trailing slash

    def url(self, path: str) -> str:
        return f"{self.origin}/{path.lstrip('/')}"

    def is_local(self, url: str) -> bool:
        return url == self.origin or url.startswith(self.origin + "/")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def copyfile(self, source: Any, outputfile: Any) -> None:
        # The browser may drop a connection it no longer needs (a page it left);
        # that is not an error of the site, and its traceback only clutters the log.
        # Requests the browser reports as failed are checked by the tests themselves.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().copyfile(source, outputfile)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``mkdocs build --strict`` into a temporary directory and serve it on 127.0.0.1."""
    root = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(root)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{build.stderr}", pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield Site(root=root, origin=f"http://127.0.0.1:{server.server_address[1]}")
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
    const letters = Array.from(m.querySelectorAll("mi"))
      .filter((mi) => /^\\p{L}$/u.test(mi.textContent.trim()));
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


class Visits:
    """Load pages once each (fresh context per page) and keep the reports."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.browser = browser
        self.site = site
        self._reports: dict[str, PageReport] = {}
        self._status: dict[str, int] = {}

    def new_context(self, **kwargs: Any) -> BrowserContext:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, **kwargs)
        context.set_default_timeout(10_000)
        return context

    def report(self, url: str) -> PageReport:
        url = url.split("#", 1)[0]
        if url not in self._reports:
            self._reports[url] = self._visit(url)
        return self._reports[url]

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

    def _visit(self, url: str) -> PageReport:
        report = PageReport(url=url)
        context = self.new_context()

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

        context.on("request", on_request)
        context.on("requestfailed", on_failed)
        context.on("response", on_response)
        try:
            page = context.new_page()
            page.on("console", on_console)
            page.on("pageerror", lambda error: report.console_errors.append(f"uncaught {error}"))
            response = page.goto(url, wait_until="load")
            report.status = response.status if response else None
            # Let late requests (the search worker's index, fonts) settle.
            page.wait_for_load_state("networkidle")
            data = page.evaluate(_INSPECT, MATH_FONT)
        finally:
            context.close()
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
