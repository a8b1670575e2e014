"""Sybil parsers that run every Python example and check every bound number of the
documentation pages.

How a page is read (fences, examples and their output fences, bound numbers) and how
its code is run live in the site's tools, ``crossentropy_site.pages`` and
``crossentropy_site.session``, shared with ``make docs-update``, the docs linter and
the notebooks; this module turns them into Sybil regions.

Why not ``sybil.parsers.markdown.PythonCodeBlockParser``? It only collects fences
whose info string is exactly ``python``; ``python title="x"``, ``py``, ``pycon``
and ``{ .python }`` fences would silently never run. Every fence whose *language*
is in :data:`PYTHON_LANGUAGES` is collected here, with these rules:

Output checking
    A Python block runs with ``sys.stdout`` redirected to a buffer. If the next
    thing after the block (blank lines aside) is a fence whose language is
    ``text`` (attributes allowed: ```` ```text title="Output" ````), the
    captured output must equal that block's content exactly, after stripping
    trailing whitespace from each line and trailing blank lines; a mismatch
    fails with a unified diff. A block that prints but is *not* followed by a
    ``text`` fence fails too: every printed value must be shown on the page.

Doctest blocks
    A ``pycon`` block, or any Python block starting with ``>>>``, is one
    example run with :mod:`doctest` (Sybil's whitespace-tolerant output
    checker, ``ELLIPSIS``). One fence is always exactly one example, so
    ``<!-- skip: next "reason" -->`` skips the whole block.

Bound numbers
    ``0.80{= expr}`` in a page's text is an example of its own, evaluated where it
    stands in the page's session; it fails unless ``expr`` shows as ``0.80`` to the
    digits stated, naming the page, the line, the stated and the computed value.

Display formulas
    Every ``$$`` formula is an example of its own: each relation in it is evaluated
    at random points of the site's notation (``crossentropy_site.formulas``) and
    must hold, or the formula says why it is not checked (``% unchecked: reason``).
    A failure names the page, the line, the formula's number and the relation.

Skipping
    ``<!-- skip: next "reason" -->`` (and ``skip: start "reason"`` ...
    ``skip: end``) reports the next example(s) as SKIPPED with that reason. The
    reason is a Python expression (normally a string literal), as in Sybil. A
    ``skip: next``/``skip: start`` without a reason fails the example instead of
    being reported as passed.

All examples of one page share a namespace and run in page order.
``tests/test_docs_collection.py`` checks these rules against an independent count.
"""

from __future__ import annotations

import doctest
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossentropy_site import bindings, session
from crossentropy_site.equations import numbered
from crossentropy_site.formulas import check_formula
from crossentropy_site.pages import (
    OUTPUT_LANGUAGES,
    PYTHON_LANGUAGES,
    Binding,
    Fence,
    Formula,
    Page,
    fence_language,
    iter_fences,
)
from crossentropy_site.pages import (
    Example as PageExample,
)
from sybil import Document, Example, Region
from sybil.evaluators.doctest import DocTest, OutputChecker
from sybil.parsers.markdown import SkipParser

__all__ = [
    "OUTPUT_LANGUAGES",
    "PYTHON_LANGUAGES",
    "BoundNumber",
    "CheckedFormula",
    "Fence",
    "MarkdownPythonParser",
    "PythonBlock",
    "ReasonRequiredSkipParser",
    "fence_language",
    "iter_fences",
]

#: Option flags for doctest blocks on the pages.
DOCTEST_OPTIONFLAGS = doctest.ELLIPSIS


@dataclass(frozen=True)
class PythonBlock:
    """What a collected code region holds (``Region.parsed``)."""

    language: str
    source: str
    #: Content of the ``text`` fence that follows, or None if there is none.
    expected_output: str | None = None
    #: 1-based line of the ``text`` fence in the page.
    expected_line: int | None = None
    #: The page's own reading of the example.
    example: PageExample | None = None

    @property
    def is_doctest(self) -> bool:
        return self.language == "pycon" or self.source.lstrip().startswith(">>>")


@dataclass(frozen=True)
class BoundNumber:
    """What a collected bound-number region holds (``Region.parsed``)."""

    binding: Binding


@dataclass(frozen=True)
class CheckedFormula:
    """What a collected display-formula region holds (``Region.parsed``)."""

    formula: Formula
    number: int | None  # its equation number, if it is numbered


def evaluate_formula(example: Example) -> str | None:
    """Check every relation of one display formula at random points."""
    checked: CheckedFormula = example.parsed
    problems = check_formula(checked.formula.tex, salt=f"{example.path}:{checked.formula.line}")
    if not problems:
        return None
    name = "formula" if checked.number is None else f"formula ({checked.number})"
    where = f"{example.path}:{checked.formula.line}: {name}"
    return "\n".join(f"{where}: {problem.message}" for problem in problems)


class PythonBlockEvaluator:
    """Run a plain Python block, capture stdout, compare it with the text block."""

    def __call__(self, example: Example) -> str | None:
        __tracebackhide__ = True
        block: PythonBlock = example.parsed
        assert block.example is not None
        printed = session.run_example(block.example, example.namespace, str(example.path))
        return session.diff_message(block.example, printed)


class DocTestBlockEvaluator:
    """Run a whole ``>>>`` block as one doctest in the page's namespace."""

    def __init__(self, optionflags: int = DOCTEST_OPTIONFLAGS) -> None:
        self.optionflags = optionflags

    def __call__(self, example: Example) -> str | None:
        __tracebackhide__ = True
        block: PythonBlock = example.parsed
        assert block.example is not None
        return session.run_doctest(
            block.example,
            example.namespace,
            str(example.path),
            optionflags=self.optionflags,
            checker=OutputChecker(),
            test_class=DocTest,  # Sybil's: shares the namespace instead of copying it
        )


def evaluate_bound_number(example: Example) -> str | None:
    """Check one bound number against the page's session at its position."""
    number: BoundNumber = example.parsed
    problem: str | None
    _, problem = bindings.check(number.binding, example.namespace)
    example.namespace.pop("__builtins__", None)
    return None if problem is None else f"{example.path}:{number.binding.line}: {problem}"


class MarkdownPythonParser:
    """Collect every Python-language fence and every bound number (see the module
    docstring)."""

    def __init__(
        self,
        languages: Iterable[str] = PYTHON_LANGUAGES,
        doctest_optionflags: int = DOCTEST_OPTIONFLAGS,
    ) -> None:
        self.languages = frozenset(languages)
        self.run_block = PythonBlockEvaluator()
        self.run_doctest = DocTestBlockEvaluator(doctest_optionflags)

    def __call__(self, document: Document) -> Iterator[Region]:
        page = Page(document.text, Path(document.path))
        for item in page.examples:
            if item.language not in self.languages:
                continue
            block = PythonBlock(
                item.language,
                item.source,
                expected_output=item.expected_output,
                expected_line=item.expected_line,
                example=item,
            )
            evaluator = self.run_doctest if block.is_doctest else self.run_block
            yield Region(item.fence.start, item.end, block, evaluator)
        for binding in page.bindings:
            yield Region(binding.start, binding.end, BoundNumber(binding), evaluate_bound_number)
        numbers = numbered(page)
        for formula in page.formulas:
            number = numbers.get(formula.label) if formula.label else None
            # The region is the formula's first line: bound numbers inside it are
            # regions of their own.
            end = page.text.index("\n", formula.start)
            yield Region(formula.start, end, CheckedFormula(formula, number), evaluate_formula)


def _missing_reason(action: str) -> Any:
    def evaluator(example: Example) -> str:
        return (
            f"'skip: {action}' needs a reason, "
            f'e.g. <!-- skip: {action} "needs a GPU" -->; '
            "without one the skipped example would be reported as passed"
        )

    return evaluator


class ReasonRequiredSkipParser(SkipParser):
    """Sybil's Markdown skip parser, but ``skip: next``/``start`` need a reason."""

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in super().__call__(document):
            action, reason = region.parsed
            if action in ("next", "start") and not (reason and reason.strip()):
                region.evaluator = _missing_reason(action)
            yield region


def parsers() -> Sequence[Any]:
    """The parsers for documentation pages, in the order Sybil should apply them."""
    return [ReasonRequiredSkipParser(), MarkdownPythonParser()]
