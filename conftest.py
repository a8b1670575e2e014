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


def _is_docs_code_block(item: pytest.Item) -> bool:
    return isinstance(item, SybilItem) and isinstance(item.example.parsed, PythonBlock)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_DOCS_ITEMS] = sum(1 for item in items if _is_docs_code_block(item))


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
