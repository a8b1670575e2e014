"""Collect the examples on the documentation pages and in the docstrings.

* ``docs/**/*.md``: every Python-language fence, run in page order in one
  namespace per page, with output checking and skips that need a reason
  (see ``tests/_sybil_markdown.py``).
* ``src/**/*.py``: the ``>>>`` examples of NumPy-style docstrings, with Sybil's
  reST doctest parser (``--doctest-modules`` is deliberately not used).

Sybil matches ``patterns`` with ``PurePath.match``, which matches from the
right: ``"*.md"`` finds Markdown files at any depth under ``path``, whereas
``"**/*.md"`` would *not* match files directly in ``path``.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import Any

import pytest
from sybil import Sybil
from sybil.integration.pytest import SybilItem
from sybil.parsers.rest import DocTestParser

from tests._sybil_markdown import PythonBlock
from tests._sybil_markdown import parsers as markdown_parsers

pytest_collect_file = (
    Sybil(
        parsers=markdown_parsers(),
        path="./docs",
        patterns=["*.md"],
        name="docs",
    )
    + Sybil(
        parsers=[DocTestParser(optionflags=doctest.ELLIPSIS)],
        path="./src",
        patterns=["*.py"],
        name="docstrings",
    )
).pytest()

_DOCS_ITEMS = pytest.StashKey[int]()
DOCS = Path(__file__).resolve().parent / "docs"


def _is_docs_code_block(item: pytest.Item) -> bool:
    return isinstance(item, SybilItem) and isinstance(item.example.parsed, PythonBlock)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--page",
        metavar="docs/PATH.md",
        help="keep only the tests of one documentation page (make check PAGE=...)",
    )


def _concerns(item: pytest.Item, page: Path, relative: str) -> bool:
    """Whether a test is about the page: its blocks, or a test parametrised by it (by
    its path under docs/, alone, in a tuple, or as the ``page`` of a parameter, or by
    its file's path)."""
    if item.path.resolve() == page:
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return False
    for value in callspec.params.values():
        values = value if isinstance(value, tuple) else (value,)
        if any(
            v == relative
            or getattr(v, "page", None) == relative
            or (isinstance(v, Path) and v.resolve() == page)
            for v in values
        ):
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    option = config.getoption("--page")
    if option:
        page = Path(option).resolve()
        if not page.is_file() or DOCS not in page.parents:
            raise pytest.UsageError(f"--page {option}: not a Markdown page under {DOCS}")
        relative = page.relative_to(DOCS).as_posix()
        kept = [item for item in items if _concerns(item, page, relative)]
        chosen = {id(item) for item in kept}
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in chosen])
        items[:] = kept
    items.sort(key=_run_order)
    config.stash[_DOCS_ITEMS] = sum(1 for item in items if _is_docs_code_block(item))


#: The first browser test: it deploys the site (tests/browser/conftest.py: site) while
#: the other worker starts on the tests that need no browser.
_DEPLOYS = "tests/browser/test_site.py::test_every_built_page_is_checked"


def _run_order(item: pytest.Item) -> int:
    """Browser tests last, but for the one that deploys the site, which goes first
    (the sort is stable: each group keeps its collection order)."""
    if item.nodeid == _DEPLOYS:
        return 0
    return 2 if item.nodeid.startswith("tests/browser/") else 1


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter,
    exitstatus: int,
    config: pytest.Config,
) -> None:
    collected = config.stash.get(_DOCS_ITEMS, 0)
    if not collected:
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if getattr(report, "location", ("",))[0].endswith(".md")
    ]
    terminalreporter.write_sep("-", "documentation examples")
    terminalreporter.write_line(
        f"{collected} code blocks collected from docs/, {len(skipped)} skipped"
    )
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        terminalreporter.write_line(f"  skipped {report.nodeid}: {reason}")


# ------------------------------------------------------------ pytest-xdist ----

#: The browser tests' parameter ids end with the width or palette: a page's tests are
#: "<page id>" or "<page id>-desktop" (tests/browser/site_pages.py).
_VARIANT = re.compile(r"-(?:desktop|phone|light|dark)$")


def work_unit(nodeid: str) -> str:
    """What one pytest-xdist worker runs together, in order: all the examples of one
    page or one docstring module (they share a namespace), and all the browser tests
    of one page (they share its loads); any other test on its own."""
    path, _, rest = nodeid.partition("::")
    if rest.startswith("sybil:"):
        return path
    if path.startswith("tests/browser/") and rest.endswith("]"):
        return "page " + _VARIANT.sub("", rest[rest.index("[") + 1 : -1])
    return nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs two workers; each takes whole :func:`work_unit` groups, in
    the order of collection (:func:`_run_order`), not the largest first. (pytest-xdist's
    own ``loadgroup`` cannot rename items under pytest 9.)"""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False

    class ByWorkUnit(LoadScopeScheduling):  # type: ignore[misc]  # untyped base
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)
