"""Sybil parsers that run every Python example on the documentation pages.

Why not ``sybil.parsers.markdown.PythonCodeBlockParser``? It only collects fences
whose info string is exactly ``python``; ``python title="x"``, ``py``, ``pycon``
and ``{ .python }`` fences would silently never run. This module collects every
fence whose *language* (see :func:`fence_language`) is in
:data:`PYTHON_LANGUAGES`, and adds two rules the docs rely on:

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
    ``<!-- skip: next "reason" -->`` skips the whole block (Sybil's
    ``DocTestStringParser`` would split it, and ``skip: next`` would skip only
    its first ``>>>`` statement).

Skipping
    ``<!-- skip: next "reason" -->`` (and ``skip: start "reason"`` ...
    ``skip: end``) reports the next example(s) as SKIPPED with that reason. The
    reason is a Python expression (normally a string literal), as in Sybil. A
    ``skip: next``/``skip: start`` without a reason fails the example instead of
    being reported as passed.

All examples of one page share a namespace and run in page order.

A *fence* is what Sybil's Markdown lexer recognises: a line of three or more
backticks or tildes, possibly indented (admonitions, content tabs), after a
list marker or inside ``>`` quotes. Unlike Sybil's lexer, nothing nests inside
an open fence (as in CommonMark), so a Python fence shown *inside* a
````` ````markdown ````` example is documentation, not code to run.
``tests/test_docs_collection.py`` checks these rules against an independent count.
"""

from __future__ import annotations

import contextlib
import difflib
import doctest
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sybil import Document, Example, Region
from sybil.evaluators.doctest import DocTest, OutputChecker
from sybil.parsers.abstract.lexers import strip_prefix
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import FENCE

__all__ = [
    "OUTPUT_LANGUAGES",
    "PYTHON_LANGUAGES",
    "Fence",
    "MarkdownPythonParser",
    "PythonBlock",
    "ReasonRequiredSkipParser",
    "fence_language",
    "iter_fences",
]

#: Fence languages that are collected and run.
PYTHON_LANGUAGES = frozenset({"python", "python3", "py", "py3", "pycon"})
#: Fence languages that hold the expected output of the preceding Python block.
OUTPUT_LANGUAGES = frozenset({"text"})
#: Option flags for doctest blocks on the pages.
DOCTEST_OPTIONFLAGS = doctest.ELLIPSIS

# The language of a fence's info string: the first word (``python title="x"``,
# ``py hl_lines="2"``) or the first ``.class`` of an attribute list
# (``{ .python title="x" }``, ``{#id .py}``).
_INFO = re.compile(
    r"""\s*(?:
        \{[^}]*?(?<![\w-])\.(?P<braced>[\w+-]+)
      | (?P<bare>[\w+-]+)
    )""",
    re.VERBOSE,
)


def fence_language(info: str) -> str:
    """Lower-cased language of a fence info string, ``""`` if there is none."""
    match = _INFO.match(info)
    if match is None:
        return ""
    return (match.group("braced") or match.group("bare")).lower()


@dataclass(frozen=True)
class Fence:
    """One fenced block of a Markdown document (offsets into its text)."""

    start: int  # start of the opening fence line (including its prefix)
    end: int  # end of the closing fence, or of the text if unclosed
    content_start: int  # first character after the opening fence line
    content_end: int  # start of the closing fence line
    prefix: str  # indentation / quote / list prefix of the opening line
    info: str  # the info string (text after the backticks), stripped

    @property
    def language(self) -> str:
        return fence_language(self.info)

    def source(self, text: str) -> str:
        """The block's content with the fence's prefix removed from each line (and, as
        Sybil does for code, any indentation common to all lines)."""
        return strip_prefix(text[self.content_start : self.content_end], self.prefix)

    def verbatim(self, text: str) -> str:
        """The block's content with only the fence's own prefix removed: output such as
        right-aligned NumPy columns keeps its leading spaces."""
        lines = text[self.content_start : self.content_end].splitlines(keepends=True)
        kept = []
        for line in lines:
            if line.startswith(self.prefix):
                kept.append(line[len(self.prefix) :])
            else:  # a blank line inside an indented block may lack the prefix
                kept.append(line.lstrip(" \t") if not line.strip() else line)
        return "".join(kept)


def iter_fences(text: str) -> Iterator[Fence]:
    """Every top-level fenced block, in order; an open fence contains no others."""
    opening: re.Match[str] | None = None
    for match in FENCE.finditer(text):
        if opening is None:
            opening = match
            continue
        fence, trailing = match.group("fence"), match.group("trailing")
        if (
            fence[0] == opening.group("fence")[0]
            and len(fence) >= len(opening.group("fence"))
            and not trailing.strip()
            and len(match.group("prefix")) == len(opening.group("prefix"))
        ):
            yield _fence(text, opening, match)
            opening = None
    if opening is not None:
        yield _fence(text, opening, None)


def _fence(text: str, opening: re.Match[str], closing: re.Match[str] | None) -> Fence:
    newline = text.find("\n", opening.end())
    content_start = len(text) if newline == -1 else newline + 1
    return Fence(
        start=opening.start(),
        end=closing.end() if closing else len(text),
        content_start=content_start,
        content_end=closing.start() if closing else len(text),
        prefix=opening.group("prefix"),
        info=opening.group("trailing").strip(),
    )


@dataclass(frozen=True)
class PythonBlock:
    """What a collected region holds (``Region.parsed``)."""

    language: str
    source: str
    #: Content of the ``text`` fence that follows, or None if there is none.
    expected_output: str | None = None
    #: 1-based line of the ``text`` fence in the page.
    expected_line: int | None = None

    @property
    def is_doctest(self) -> bool:
        return self.language == "pycon" or self.source.lstrip().startswith(">>>")


def _normalise(output: str) -> list[str]:
    lines = [line.rstrip() for line in output.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class PythonBlockEvaluator:
    """Run a plain Python block, capture stdout, compare it with the text block."""

    def __call__(self, example: Example) -> str | None:
        __tracebackhide__ = True
        block: PythonBlock = example.parsed
        # Pad with newlines so tracebacks show the line numbers of the page.
        code = compile("\n" * example.line + block.source, example.path, "exec", dont_inherit=True)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(code, example.namespace)
        example.namespace.pop("__builtins__", None)
        actual = _normalise(buffer.getvalue())
        if block.expected_output is None:
            if not actual:
                return None
            shown = "\n".join(actual)
            return (
                "this block prints output but is not followed by a ```text fence "
                f"showing it. It printed:\n{shown}"
            )
        expected = _normalise(block.expected_output)
        if actual == expected:
            return None
        diff = "\n".join(
            difflib.unified_diff(
                expected,
                actual,
                f"expected (```text fence at line {block.expected_line})",
                "actual stdout",
                lineterm="",
            )
        )
        return f"printed output differs from the ```text fence:\n{diff}"


class DocTestBlockEvaluator:
    """Run a whole ``>>>`` block as one doctest in the page's namespace."""

    def __init__(self, optionflags: int = DOCTEST_OPTIONFLAGS) -> None:
        self.optionflags = optionflags
        self.parser = doctest.DocTestParser()

    def __call__(self, example: Example) -> str | None:
        __tracebackhide__ = True
        block: PythonBlock = example.parsed
        name = f"{example.path}:{example.line}"
        test = DocTest(
            self.parser.get_examples(block.source, name),
            example.namespace,  # shared, not copied (Sybil's DocTest)
            name,
            example.path,
            example.line,  # doctest reports lineno + example.lineno + 1
            block.source,
        )
        runner = doctest.DocTestRunner(checker=OutputChecker(), optionflags=self.optionflags)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        example.namespace.pop("__builtins__", None)
        return "".join(report) if runner.failures else None


class MarkdownPythonParser:
    """Collect every Python-language fence (see the module docstring)."""

    def __init__(
        self,
        languages: Iterable[str] = PYTHON_LANGUAGES,
        output_languages: Iterable[str] = OUTPUT_LANGUAGES,
        doctest_optionflags: int = DOCTEST_OPTIONFLAGS,
    ) -> None:
        self.languages = frozenset(languages)
        self.output_languages = frozenset(output_languages)
        self.run_block = PythonBlockEvaluator()
        self.run_doctest = DocTestBlockEvaluator(doctest_optionflags)

    def __call__(self, document: Document) -> Iterator[Region]:
        text = document.text
        fences = list(iter_fences(text))
        for index, fence in enumerate(fences):
            language = fence.language
            if language not in self.languages:
                continue
            block = PythonBlock(language, fence.source(text))
            end = fence.end
            following = fences[index + 1] if index + 1 < len(fences) else None
            if (
                not block.is_doctest
                and following is not None
                and following.language in self.output_languages
                and not text[fence.end : following.start].strip()
            ):
                block = PythonBlock(
                    language,
                    block.source,
                    expected_output=following.verbatim(text),
                    expected_line=text.count("\n", 0, following.start) + 1,
                )
                end = following.end
            evaluator = self.run_doctest if block.is_doctest else self.run_block
            yield Region(fence.start, end, block, evaluator)


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
