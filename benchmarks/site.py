"""Benchmark: what each page of the site costs a reader, in bytes and in time.

Run it with ``make bench-site`` (or ``python benchmarks/site.py``). It builds the site
(``properdocs build --strict``, or takes a built one with ``--site DIR``), serves it
below the path of ``site_url`` as a static host such as GitHub Pages does (each file
gzip-compressed at level 6 where that makes it smaller, ``Cache-Control: max-age=600``,
an ``ETag``; a missing page gets ``404.html``; mike's ``versions.json`` one level up),
and loads every page in Debian's Chromium, driven by Playwright, as a phone: 390 px
wide, mobile, touch. For each page it records

* **first visit**: every byte the page fetches on the wire (headers and compressed
  bodies, from Chromium's own network log) with an empty cache, until the network has
  been idle for half a second (the search index, the version list and fonts included);
* **repeat visit**: the same, for the page opened from another page of the site, in
  the same browser: the cache is warm with everything that page loaded (for the home
  page, the notation page; for the others, the home page);
* **on slow 4G** (Chromium's network emulation: 1.6 Mbit/s down, 750 kbit/s up, 150 ms
  round trip; the CPU is not slowed), with an empty cache, the median over
  ``--runs`` loads of the time to the first contentful paint and of the time from
  which the page's formulas are drawn in the math font: the later of the first
  contentful paint and the moment the font face finished loading (a page without
  formulas has none).

It prints a table and writes ``benchmarks/site.json`` (``--out FILE``) with the machine,
the browser and the network settings; the Performance page reads it.

Options: ``--site DIR`` (a built site), ``--page PATH`` (only that page, repeatable;
``""`` is the home page, ``404`` the not-found page), ``--runs N`` (slow-4G loads per
page, default 3), ``--out FILE``.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import functools
import gzip
import hashlib
import json
import mimetypes
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from run import cpu  # benchmarks/run.py

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"]
#: A phone: the width of many current ones, mobile layout and touch.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
#: Slow 4G as Lighthouse emulates it: bytes per second down and up, round trip in ms.
SLOW_4G = {"download_bps": 1_600_000, "upload_bps": 750_000, "latency_ms": 150}
MATH_FONT = "STIX Two Math"
#: What a static host compresses: text, scripts, data, and fonts other than WOFF2
#: (which is compressed already). Anything else is sent as it is.
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/x-ipynb+json",
    "image/svg+xml",
    "font/ttf",
    "font/otf",
)
TYPES = {
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ipynb": "application/x-ipynb+json",
    ".json": "application/json",
    ".js": "application/javascript",
    ".xml": "application/xml",
    ".txt": "text/plain",
}


# ------------------------------------------------------------------ server ----


def site_prefix() -> str:
    """The path of the configured ``site_url`` (``/crossentropy/``)."""
    from mkdocs.config import load_config

    url = load_config(str(REPO_ROOT / "mkdocs.yml")).site_url or "/"
    path = urllib.parse.urlsplit(url).path
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class Body:
    data: bytes
    content_type: str
    etag: str
    modified: str
    gzipped: bytes | None  # the compressed body, where compressing makes it smaller


@functools.cache
def _body(path: Path) -> Body:
    data = path.read_bytes()
    content_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    content_type = content_type or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    packed = gzip.compress(data, compresslevel=6, mtime=0)
    gzipped = packed if content_type.startswith(COMPRESSIBLE) and len(packed) < len(data) else None
    return Body(
        data=data,
        content_type=content_type,
        etag='"' + hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16] + '"',
        modified=email.utils.formatdate(path.stat().st_mtime, usegmt=True),
        gzipped=gzipped,
    )


@dataclass(frozen=True)
class Sent:
    """One response as it went over the wire: its status line and headers included."""

    path: str
    status: int
    content_type: str
    size: int


class StaticHost(BaseHTTPRequestHandler):
    """Serves ``root`` below ``prefix`` as GitHub Pages serves a site (see the module
    docstring), and notes every response in ``sent``. Set ``root`` and ``prefix`` on a
    subclass."""

    root = Path()
    prefix = "/"
    protocol_version = "HTTP/1.1"
    #: Every response since the list was last cleared (appending is thread-safe).
    sent: ClassVar[list[Sent]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _note(self, status: int, content_type: str, body: int) -> None:
        buffered = getattr(self, "_headers_buffer", [])
        head = sum(len(line) for line in buffered)
        path = urllib.parse.urlsplit(self.path).path
        self.sent.append(Sent(path, status, content_type, head + body))

    def _resolve(self, path: str) -> tuple[int, Path | None, str | None]:
        """(status, file, redirect location) for a request path."""
        if not path.startswith(self.prefix):
            return 404, self.root / "404.html", None
        relative = urllib.parse.unquote(path[len(self.prefix) :])
        local = (self.root / relative).resolve()
        if self.root.resolve() not in (local, *local.parents):
            return 404, self.root / "404.html", None
        if local.is_dir() and not path.endswith("/"):
            return 301, None, path + "/"
        if local.is_dir():
            local = local / "index.html"
        if local.is_file():
            return 200, local, None
        return 404, self.root / "404.html", None

    def _versions(self) -> bytes:
        # What mike writes one level above the versions: the selector reads it.
        return json.dumps([{"version": "0.1", "title": "0.1", "aliases": ["latest"]}]).encode()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        parent = self.prefix.rstrip("/").rsplit("/", 1)[0] + "/"
        if path == parent + "versions.json":
            self._send(200, Body(self._versions(), "application/json", '"v"', "", None))
            return
        status, local, location = self._resolve(path)
        if location is not None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self._note(status, "", 0)
            self.end_headers()
            return
        assert local is not None
        self._send(status, _body(local))

    def _send(self, status: int, body: Body) -> None:
        if status == 200 and self.headers.get("If-None-Match") == body.etag:
            self.send_response(304)
            self.send_header("ETag", body.etag)
            self.send_header("Cache-Control", "max-age=600")
            self._note(304, body.content_type, 0)
            self.end_headers()
            return
        gzipped = body.gzipped is not None and "gzip" in self.headers.get("Accept-Encoding", "")
        data = body.gzipped if gzipped and body.gzipped is not None else body.data
        self.send_response(status)
        self.send_header("Content-Type", body.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=600")
        self.send_header("ETag", body.etag)
        if body.modified:
            self.send_header("Last-Modified", body.modified)
        if body.gzipped is not None:
            self.send_header("Vary", "Accept-Encoding")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self._note(status, body.content_type, len(data))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


@contextlib.contextmanager
def serve(root: Path, prefix: str) -> Iterator[str]:
    """Serve ``root`` below ``prefix`` on 127.0.0.1; yields the address of the prefix."""
    handler = type("Host", (StaticHost,), {"root": root, "prefix": prefix})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-host", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------- measurement ----

# Before any script of the page: when the math font face has finished loading.
_WATCH_FONT = f"""
document.fonts.addEventListener("loadingdone", (event) => {{
  const family = {json.dumps(MATH_FONT)};
  const math = event.fontfaces.some((f) => f.family.replace(/["']/g, "") === family);
  if (math && window.__ceMathFontAt === undefined) window.__ceMathFontAt = performance.now();
}});
"""

_TIMES = """
async () => {
  await document.fonts.ready;
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    fcp: paint ? paint.startTime : null,
    font: window.__ceMathFontAt === undefined ? null : window.__ceMathFontAt,
    math: document.querySelector("article math") !== null,
  };
}
"""


def kind(url: str, mime: str) -> str:
    """What a fetched resource is, for the breakdown of a visit."""
    path = urllib.parse.urlsplit(url).path
    if "/search/" in path or "/workers/search" in path:
        return "search"
    if mime.startswith("text/html"):
        return "html"
    if mime.startswith("text/css"):
        return "css"
    if "javascript" in mime:
        return "js"
    if mime.startswith("font/") or path.endswith((".woff2", ".ttf")):
        return "font"
    return "other"


@dataclass
class Visit:
    """What one load of a page fetched and when it painted."""

    bytes: int = 0
    html_bytes: int = 0
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    fcp_ms: float | None = None
    font_loaded_ms: float | None = None
    has_math: bool = False


def load(context: BrowserContext, url: str, *, throttle: bool = False) -> Visit:
    """Load ``url`` in a new tab of ``context``; count what the host sent for it."""
    page = context.new_page()
    if throttle:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": SLOW_4G["latency_ms"],
                "downloadThroughput": SLOW_4G["download_bps"] / 8,
                "uploadThroughput": SLOW_4G["upload_bps"] / 8,
            },
        )
    StaticHost.sent.clear()
    try:
        page.goto(url, wait_until="load", timeout=120_000)
        times = page.evaluate(_TIMES)
        page.wait_for_load_state("networkidle", timeout=120_000)
    finally:
        page.close()
    visit = Visit(fcp_ms=times["fcp"], font_loaded_ms=times["font"], has_math=times["math"])
    page_path = urllib.parse.urlsplit(url).path
    for sent in list(StaticHost.sent):
        part = kind(sent.path, sent.content_type)
        visit.bytes += sent.size
        visit.requests += 1
        visit.by_kind[part] = visit.by_kind.get(part, 0) + sent.size
        if sent.path == page_path:
            visit.html_bytes = sent.size
    return visit


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(**PHONE)
    context.add_init_script(_WATCH_FONT)
    return context


@dataclass
class PageResult:
    path: str
    first_bytes: int
    repeat_bytes: int
    html_bytes: int
    requests: int
    by_kind: dict[str, int]
    has_math: bool
    fcp_ms: float | None
    math_font_ms: float | None
    runs: list[dict[str, float | None]]


def measure(browser: Browser, base: str, path: str, runs: int) -> PageResult:
    """Every figure of one page (see the module docstring)."""
    url = base + (path if path != "404" else "no/such/page/")
    context = new_context(browser)
    try:
        first = load(context, url)
    finally:
        context.close()
    context = new_context(browser)
    try:
        load(context, base + ("explanation/notation/" if path == "" else ""))
        repeat = load(context, url)
    finally:
        context.close()
    slow: list[Visit] = []
    for _ in range(runs):
        context = new_context(browser)
        try:
            slow.append(load(context, url, throttle=True))
        finally:
            context.close()
    fcps = [v.fcp_ms for v in slow if v.fcp_ms is not None]
    fonts = [
        max(v.fcp_ms, v.font_loaded_ms)
        for v in slow
        if v.fcp_ms is not None and v.font_loaded_ms is not None
    ]
    return PageResult(
        path=path,
        first_bytes=first.bytes,
        repeat_bytes=repeat.bytes,
        html_bytes=first.html_bytes,
        requests=first.requests,
        by_kind=dict(sorted(first.by_kind.items())),
        has_math=first.has_math,
        fcp_ms=statistics.median(fcps) if fcps else None,
        math_font_ms=statistics.median(fonts) if first.has_math and fonts else None,
        runs=[{"fcp_ms": v.fcp_ms, "font_loaded_ms": v.font_loaded_ms} for v in slow],
    )


# --------------------------------------------------------------------- run ----


def build(site_dir: Path) -> None:
    """``properdocs build --strict`` of the repository's site into ``site_dir``."""
    builder = Path(sys.executable).with_name("properdocs")
    subprocess.run(
        [str(builder), "build", "--strict", "--quiet", "-f", "mkdocs.yml", "-d", str(site_dir)],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=True,
    )


def pages(site_dir: Path) -> list[str]:
    """Every page of a built site, by its path (``""`` is the home page), and the
    not-found page as ``404``."""
    paths = sorted(
        "".join(f"{part}/" for part in index.parent.relative_to(site_dir).parts)
        for index in site_dir.rglob("index.html")
    )
    return [*paths, "404"]


def kib(size: float) -> float:
    return size / 1024


def table(results: list[PageResult]) -> str:
    """The results as a Markdown table, one row per page, then the median and maximum."""

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    lines = [
        "| page | first visit KiB | repeat visit KiB | HTML KiB | requests | FCP ms "
        "| math font ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.path or '(home)'} | {kib(r.first_bytes):.1f} | {kib(r.repeat_bytes):.1f} "
            f"| {kib(r.html_bytes):.1f} | {r.requests} | {ms(r.fcp_ms)} | {ms(r.math_font_ms)} |"
        )
    for name, pick in (("median", statistics.median), ("maximum", max)):
        fcps = [r.fcp_ms for r in results if r.fcp_ms is not None]
        fonts = [r.math_font_ms for r in results if r.math_font_ms is not None]
        lines.append(
            f"| **{name}** | {kib(pick([r.first_bytes for r in results])):.1f} "
            f"| {kib(pick([r.repeat_bytes for r in results])):.1f} "
            f"| {kib(pick([r.html_bytes for r in results])):.1f} "
            f"| {pick([r.requests for r in results])} "
            f"| {ms(pick(fcps) if fcps else None)} | {ms(pick(fonts) if fonts else None)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--page", action="append", help="only this page (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="slow-4G loads per page")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("site.json"))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        site_dir = args.site
        if site_dir is None:
            site_dir = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "site"
            build(site_dir)
        paths = args.page if args.page is not None else pages(site_dir)
        base = stack.enter_context(serve(site_dir, site_prefix()))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        results = []
        for path in paths:
            results.append(measure(browser, base, path, args.runs))
            r = results[-1]
            print(
                f"{path or '(home)':40} first {kib(r.first_bytes):6.1f} KiB, repeat "
                f"{kib(r.repeat_bytes):5.1f} KiB, FCP {r.fcp_ms or 0:5.0f} ms, math font "
                f"{r.math_font_ms or 0:5.0f} ms",
                file=sys.stderr,
            )
        version = browser.version
    processor = cpu()
    document = {
        "machine": {
            "cpu": processor["name"],
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "browser": f"Chromium {version} (headless)",
            "date": time.strftime("%Y-%m-%d"),
        },
        "settings": {
            "device": PHONE,
            "slow_4g": SLOW_4G,
            "runs": args.runs,
            "gzip_level": 6,
            "cache_control": "max-age=600",
        },
        "pages": [asdict(r) for r in results],
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
