"""Numbers in the text of the docs are held to the code, as output blocks are.

* Every decimal number in a page's text (prose, math, tables, captions; not code) is
  bound to the page's code (``0.80{= expr}``) or declared with its reason
  (``2.1{const: reason}``).
* Changing the last digit of any bound number fails its test, naming the page, the
  line, the stated and the computed value.
* Changing the implementation so that a stated number moves (the loss scaled by
  1.001) fails the pages' output blocks and their bound numbers alike.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from crossentropy_site.bindings import unbound_report
from crossentropy_site.pages import Page
from sybil import Document
from sybil.example import SybilFailure

import crossentropy
from tests._sybil_markdown import BoundNumber, CheckedFormula, PythonBlock, parsers

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
BOUND = [p for p in PAGES if Page.read(p).bindings]


def _id(path: Path) -> str:
    return str(path.relative_to(DOCS))


def _failures(text: str, path: Path) -> list[tuple[object, str]]:
    """Run a page's text as the tests do; (parsed region, message) of each failure."""
    document = Document(text, str(path.relative_to(DOCS.parent)))
    for parser in parsers():
        for region in parser(document):
            document.add(region)
    failures = []
    for example in document.examples():
        try:
            example.evaluate()
        except SybilFailure as failure:
            failures.append((example.parsed, str(failure)))
    return failures


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_decimal_in_the_text_is_bound_or_declared(page: Path) -> None:
    report = unbound_report(Page.read(page))
    assert report == [], "\n".join(report)


def test_declared_constants_give_a_reason() -> None:
    constants = [(p, c) for p in PAGES for c in Page.read(p).constants]
    assert all(len(c.reason.split()) >= 2 for _, c in constants), constants


def _last_digit_changed(stated: str) -> str:
    match = list(re.finditer(r"\d", stated))[-1]
    return stated[: match.start()] + str((int(match[0]) + 1) % 10) + stated[match.end() :]


@pytest.mark.parametrize("page", BOUND, ids=_id)
def test_a_changed_bound_number_fails_with_page_line_and_values(page: Path) -> None:
    original = Page.read(page)
    text = original.text
    for binding in sorted(original.bindings, key=lambda b: b.start, reverse=True):
        changed = _last_digit_changed(binding.stated)
        text = text[: binding.start] + changed + text[binding.number_end :]
    failures = [m for parsed, m in _failures(text, page) if isinstance(parsed, BoundNumber)]
    assert len(failures) == len(original.bindings)
    where = str(page.relative_to(DOCS.parent))
    for binding, message in zip(original.bindings, failures, strict=True):
        assert f"{where}:{binding.line}:" in message
        assert f"states {_last_digit_changed(binding.stated)}" in message
        assert f"which is {binding.stated} to the digits shown" in message


def test_a_moved_implementation_fails_prose_and_output_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = DOCS / "explanation" / "cross-entropy.md"  # states H(p, q) to four digits
    honest = crossentropy.cross_entropy

    def scaled(*args: object, **kwargs: object) -> object:
        return honest(*args, **kwargs) * 1.001  # type: ignore[arg-type,operator]

    monkeypatch.setattr(crossentropy, "cross_entropy", scaled)
    failures = _failures(page.read_text(encoding="utf-8"), page)
    kinds = {type(parsed) for parsed, _ in failures}
    # The formulas are checked against the package too, and fail with it.
    assert kinds == {PythonBlock, BoundNumber, CheckedFormula}
