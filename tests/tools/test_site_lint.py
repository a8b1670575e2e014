"""crossentropy_site.lint: ruff over each snippet a reader copies (a tutorial's whole
session, elsewhere each block alone), with Markdown line numbers."""

from __future__ import annotations

import textwrap
from pathlib import Path

from crossentropy_site.lint import (
    format_problems,
    formula_problems,
    lint_problems,
    main,
    page_module,
)
from crossentropy_site.pages import Page

DOCS = Path(__file__).resolve().parents[2] / "docs"


def page(text: str) -> Page:
    """A how-to or explanation page: each block runs as pasted."""
    return Page(textwrap.dedent(text), Path("docs/fixture.md"))


def tutorial(text: str) -> Page:
    """A tutorial page: one session."""
    return Page(textwrap.dedent(text), Path("docs/tutorial/fixture.md"))


FIXTURE = """\
# A page

```python
import os
import numpy as np

x = np.zeros(3)
```

Prose.

```python
print(x, undefined_name)
```
"""


def test_session_module_maps_lines_back_to_the_page() -> None:
    module = page_module(page(FIXTURE))
    assert module.source.splitlines()[0] == "import os"
    assert module.lines == [4, 5, 6, 7, 13]


def test_unused_import_and_undefined_name_are_reported_at_their_page_lines() -> None:
    problems = lint_problems(tutorial(FIXTURE))
    assert any(p.startswith("docs/tutorial/fixture.md:4:8: F401") for p in problems), problems
    assert any(p.startswith("docs/tutorial/fixture.md:13:10: F821") for p in problems), problems


def test_in_a_tutorial_a_name_from_an_earlier_block_is_defined() -> None:
    session = FIXTURE.replace("import os\n", "").replace(", undefined_name", "")
    assert lint_problems(tutorial(session)) == []
    marked = session.replace(
        "# A page\n", "# A page\n\n<!-- session: one example in two parts -->\n"
    )
    assert lint_problems(page(marked)) == []


def test_elsewhere_a_block_that_needs_an_earlier_one_is_reported() -> None:
    session = FIXTURE.replace("import os\n", "").replace(", undefined_name", "")
    problems = lint_problems(page(session))
    assert [p.split(": ", 1)[1] for p in problems] == ["F821 Undefined name `x`"]
    continued = session.replace("print(x)", "# Continues the block above.\nprint(x)")
    assert lint_problems(page(continued)) == []


def test_unformatted_block_is_reported_with_a_diff() -> None:
    problems = format_problems(page("```python\nx=[1,2]\n```\n"))
    assert len(problems) == 1
    assert problems[0].startswith("docs/fixture.md:1: block is not formatted")
    assert "+x = [1, 2]" in problems[0]


def test_doctest_blocks_are_linted_without_prompts() -> None:
    problems = lint_problems(page("```pycon\n>>> import os\n>>> 1 + 1\n2\n```\n"))
    assert [p.split(": ", 1)[1][:4] for p in problems] == ["F401"]


def test_the_docs_are_clean() -> None:
    assert main([str(DOCS)]) == 0


def test_a_formula_the_checks_cannot_read_is_reported() -> None:
    problems = formula_problems(page("Text.\n\n$$\na = \\frob{b}\n$$\n"))
    assert problems == [
        "docs/fixture.md:3: formula: unknown command \\frob at offset 4 ('\\\\frob{b}')"
    ]
    assert formula_problems(page("$$\na = b\n% check: y soft\n$$\n")) == [
        "docs/fixture.md:1: formula: unknown check setting 'y soft'"
    ]
