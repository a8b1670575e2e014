"""Every block of a how-to guide or an explanation runs as pasted.

A reader copies one block into their own code. On every page that is not a
session (a tutorial, or a page marked ``<!-- session: reason -->``), each snippet
(a block, with the rare blocks that say on their first line that they continue
it) runs here alone, in a namespace of its own with nothing defined, and must
print exactly the output the page shows under it. The Sybil tests run the same
blocks as one session per page; this test would fail on a block that only works
after the ones above it (a missing import, a name or a random state defined
earlier).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from crossentropy_site.pages import Page, markdown_files
from crossentropy_site.session import diff_message, run_doctest, run_example

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = [
    p
    for p in markdown_files([DOCS])
    if Page.read(p).session_reason is None and Page.read(p).examples
]


def _id(path: Path) -> str:
    return str(path.relative_to(DOCS))


@pytest.mark.parametrize("path", PAGES, ids=_id)
def test_each_snippet_runs_alone_and_prints_what_the_page_shows(path: Path) -> None:
    page = Page.read(path)
    problems = []
    for snippet in page.snippets:
        namespace: dict[str, object] = {"__name__": "__main__"}
        for example in snippet:
            where = f"{_id(path)}:{example.line}"
            try:
                if example.is_doctest:
                    report = run_doctest(example, namespace, str(path))
                    if report:
                        problems.append(f"{where}: {report}")
                    continue
                with contextlib.redirect_stderr(io.StringIO()):
                    printed = run_example(example, namespace, str(path))
            except Exception as error:  # the point: report which block needs what
                problems.append(f"{where}: raised {type(error).__name__}: {error}")
                break
            message = diff_message(example, printed)
            if message:
                problems.append(f"{where}: {message}")
    assert problems == [], "\n".join(problems)


def test_most_pages_run_as_pasted() -> None:
    sessions = [_id(p) for p in markdown_files([DOCS]) if Page.read(p).session_reason]
    assert all(s.startswith("tutorial/") or s == "performance.md" for s in sessions), sessions
    assert len(PAGES) >= 20
