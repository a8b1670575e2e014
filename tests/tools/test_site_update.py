"""make docs-update (crossentropy_site.update): a stale page is rewritten exactly back."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from crossentropy_site.pages import Page
from crossentropy_site.update import main, update_page

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [p for p in sorted(DOCS.rglob("*.md")) if Page.read(p).examples]


def _bump(digits: str) -> str:
    """The same text with its last digit changed."""
    match = list(re.finditer(r"\d", digits))[-1]
    new = str((int(match[0]) + 1) % 10)
    return digits[: match.start()] + new + digits[match.end() :]


def stale(page: Page) -> str:
    """The page with one digit changed in every output fence and every bound number."""
    edits = []
    for example in page.examples:
        fence = example.output
        if fence is not None and re.search(
            r"\d", page.text[fence.content_start : fence.content_end]
        ):
            body = page.text[fence.content_start : fence.content_end]
            edits.append((fence.content_start, fence.content_end, _bump(body)))
    for binding in page.bindings:
        edits.append((binding.start, binding.number_end, _bump(binding.stated)))
    text = page.text
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_a_stale_page_is_restored_exactly(path: Path) -> None:
    original = Page.read(path)
    changed = stale(original)
    assert changed != original.text or not original.bindings
    update = update_page(Page(changed, path))
    assert update.problems == []
    assert update.text == original.text


def test_main_rewrites_in_place_and_reports_what_it_cannot(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("```python\nprint(6 * 7)\n```\n\n```text\n41\n```\n\nIt is 41{= 6 * 7}.\n")
    bad = tmp_path / "bad.md"
    text = "```python\nraise RuntimeError('boom')\n```\n"
    bad.write_text(text)
    assert main([str(tmp_path)]) == 1
    assert (
        good.read_text()
        == "```python\nprint(6 * 7)\n```\n\n```text\n42\n```\n\nIt is 42{= 6 * 7}.\n"
    )
    assert bad.read_text() == text  # left as it was


def test_output_inside_an_admonition_keeps_its_indentation() -> None:
    text = textwrap.dedent("""\
    !!! note
        ```python
        print("  1.5")
        print(" 10.0")
        ```

        ```text
          1.4
         10.0
        ```
    """)
    update = update_page(Page(text, "x.md"))
    assert update.outputs == 1
    assert update.text == text.replace("  1.4", "  1.5")


def test_a_block_without_output_fence_is_reported() -> None:
    update = update_page(Page("```python\nprint(1)\n```\n", "x.md"))
    assert update.text == "```python\nprint(1)\n```\n"
    assert len(update.problems) == 1
    assert "not followed by a ```text fence" in update.problems[0]
