"""A documentation page as the docs tools see it: fences, examples, bound numbers.

One reading of a Markdown page, shared by everything that runs or rewrites a page:
the Sybil tests (``tests/_sybil_markdown.py``), ``make docs-update``
(:mod:`crossentropy_site.update`), the docs linter (:mod:`crossentropy_site.lint`),
the notebooks (:mod:`crossentropy_site.notebooks`) and the number bindings of the
prose (:mod:`crossentropy_site.bindings`).

Fences
    A fence is a line of three or more backticks or tildes, possibly indented
    (admonitions, content tabs), after a list marker or inside ``>`` quotes, up to a
    closing line of the same character, at least as long, with the same prefix.
    Nothing nests inside an open fence (as in CommonMark), so a Python fence shown
    inside a ````` ````markdown ````` example is documentation, not code to run.

Examples
    A fence whose language (:func:`fence_language`) is in :data:`PYTHON_LANGUAGES`.
    If the next thing after it, blank lines aside, is a fence whose language is in
    :data:`OUTPUT_LANGUAGES`, that fence shows what the example prints.

Display formulas
    A line ``$$`` (possibly indented or quoted) outside fences, up to the next such
    line with the same prefix. Its TeX may carry ``\\label{name}`` (the formula is
    numbered; ``\\eqref{name}`` in the text refers to it) and directives for the
    formula checks as TeX comments (``% check: ...``, ``% unchecked: reason``).

Bound numbers
    ``0.80{= h}`` in the text of a page states a number and binds it to a Python
    expression, evaluated in the page's session where it stands (after the code above
    it has run); the digits shown are checked. ``2.1{const: the reason}`` declares a
    number that no code on the page computes. Both work anywhere outside code:
    prose, math, tables, lists, admonitions, figure captions.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = [
    "CUSTOM_FENCES",
    "OUTPUT_LANGUAGES",
    "PYTHON_LANGUAGES",
    "Binding",
    "Constant",
    "Example",
    "Fence",
    "Formula",
    "Page",
    "fence_language",
    "iter_fences",
    "markdown_files",
]

#: Fence languages that are collected and run.
PYTHON_LANGUAGES = frozenset({"python", "python3", "py", "py3", "pycon"})
#: Fence languages that hold the expected output of the preceding Python block.
OUTPUT_LANGUAGES = frozenset({"text"})
#: Fences the site renders as figures and tables (``mkdocs.yml``): not code, and
#: their ``caption:`` lines are prose.
CUSTOM_FENCES = frozenset({"figure", "benchmark-table"})

FENCE = re.compile(
    r"^(?P<prefix>"
    r"(?:[ \t]*>)+[ \t]*"
    r"|[ \t]*(?:[-*+]|\d+[.)])[ \t]+"
    r"|[ \t]*"
    r")(?P<fence>`{3,}|~{3,})(?P<trailing>[^\n]*)",
    re.MULTILINE,
)

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


def markdown_files(paths: Iterable[Path]) -> list[Path]:
    """The Markdown files among ``paths``: each folder's ``*.md`` files, sorted, and
    each file as it is (the command-line arguments of the docs tools)."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.md")) if path.is_dir() else [path])
    return found


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


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
        """The content with the fence's prefix removed from each line (and any
        indentation common to all lines), as code is run."""
        lines = text[self.content_start : self.content_end].splitlines(keepends=True)
        width = len(self.prefix)
        return textwrap.dedent("".join(line[width:] or line[-1] for line in lines))

    def verbatim(self, text: str) -> str:
        """The content with only the fence's own prefix removed: output such as
        right-aligned NumPy columns keeps its leading spaces."""
        lines = text[self.content_start : self.content_end].splitlines(keepends=True)
        kept = []
        for line in lines:
            if line.startswith(self.prefix):
                kept.append(line[len(self.prefix) :])
            else:  # a blank line inside an indented block may lack the prefix
                kept.append(line.lstrip(" \t") if not line.strip() else line)
        return "".join(kept)

    def indent(self, content: str) -> str:
        """``content`` (one line per line) as the body of this fence: each line gets
        the fence's prefix, written as spaces after a list marker, and empty lines stay
        empty (the inverse of :meth:`verbatim`)."""
        pad = re.sub(r"[-*+]|\d+[.)]", lambda m: " " * len(m.group()), self.prefix)
        return "".join(
            (pad + line if line.strip() else "\n") if line.endswith("\n") else pad + line
            for line in content.splitlines(keepends=True)
        )


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
class Example:
    """A Python fence of a page and the output fence that follows it, if any."""

    fence: Fence
    language: str
    source: str
    output: Fence | None  # the ``text`` fence showing what it prints
    line: int  # 1-based line of the opening fence
    expected_output: str | None  # the output fence's content, verbatim
    expected_line: int | None  # 1-based line of the output fence

    @property
    def is_doctest(self) -> bool:
        return self.language == "pycon" or self.source.lstrip().startswith(">>>")

    @property
    def end(self) -> int:
        """End of the example's text, its output fence included."""
        return (self.output or self.fence).end

    @property
    def continues(self) -> bool:
        """Whether the block says, on its first line, that it continues the block
        before it (``# Continues the block above: ...``)."""
        first = next((line for line in self.source.splitlines() if line.strip()), "")
        return bool(_CONTINUES.match(first))


# A stated number: optional sign, digits (with thousands commas), decimals, exponent,
# percent; then the binding or the declaration, with nothing in between.
NUMBER = (
    r"(?P<number>[-\N{MINUS SIGN}+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)*"
    r"(?:[eE][-\N{MINUS SIGN}+]?\d+)?%?)"
)
_BINDING = re.compile(NUMBER + r"\{=\s*(?P<expr>[^{}\n]+?)\s*\}")
_CONSTANT = re.compile(NUMBER + r"\{const:\s*(?P<reason>[^{}\n]+?)\s*\}")
#: A decimal number (or a dotted version) in text, with what may follow it before a
#: ``{= ...}``: an exponent, a percent sign.
DECIMAL = re.compile(
    r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)+(?![\w.])"
    r"(?P<tail>(?:[eE][-\N{MINUS SIGN}+]?\d+)?%?)"
)


@dataclass(frozen=True)
class Binding:
    """``0.80{= expr}``: a number stated in the text, bound to an expression."""

    start: int  # offsets of the whole ``0.80{= expr}``
    end: int
    number_end: int  # end of the stated number
    stated: str
    expr: str
    line: int


@dataclass(frozen=True)
class Constant:
    """``2.1{const: reason}``: a number no code computes, with the reason."""

    start: int
    end: int
    number_end: int
    stated: str
    reason: str
    line: int


_DISPLAY = re.compile(r"^(?P<prefix>[ \t>]*)\$\$[ \t]*$", re.MULTILINE)
_LABEL = re.compile(r"\\label\{(?P<name>[^{}]+)\}")


def _without_marks(text: str) -> str:
    """``text`` with bound and declared numbers reduced to the numbers."""
    text = _BINDING.sub(lambda m: m["number"], text)
    return _CONSTANT.sub(lambda m: m["number"], text)


@dataclass(frozen=True)
class Formula:
    """A display formula (``$$`` ... ``$$``) of a page."""

    start: int  # start of the opening ``$$`` line
    end: int  # end of the closing ``$$`` line
    line: int  # 1-based line of the opening ``$$``
    prefix: str  # indentation or quote marks of the ``$$`` lines
    source: str  # the TeX as written (prefix removed), bound numbers included
    label: str | None  # ``\\label{name}``, if the formula is numbered

    @property
    def tex(self) -> str:
        """The TeX with bound numbers as the numbers they state."""
        return _without_marks(self.source)


def _caption_spans(text: str, fence: Fence) -> Iterator[tuple[int, int]]:
    """Spans of the ``caption:`` values of a figure or table fence (prose)."""
    body = text[fence.content_start : fence.content_end]
    for match in re.finditer(r"^[ \t>]*caption:[ \t]*(?P<value>.*)$", body, re.MULTILINE):
        yield fence.content_start + match.start("value"), fence.content_start + match.end("value")


_INLINE_CODE = re.compile(r"(?<!`)(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)", re.DOTALL)
_NOT_TEXT = re.compile(
    r"<!--.*?-->"  # comments (skip markers)
    r"|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"  # link destinations
    r"|^[ \t]*\[[^\]]+\]:[^\n]*$"  # link reference definitions
    r"|<https?://[^>]+>"  # autolinks
    r"|https?://\S+",
    re.DOTALL | re.MULTILINE,
)


#: A block that continues the one before it says so on its first line.
_CONTINUES = re.compile(r"^\s*(?:>>>\s*)?#\s*continues\b", re.IGNORECASE)
#: A page whose blocks form one session (besides the tutorials) says why.
_SESSION = re.compile(r"<!--\s*session:\s*(?P<reason>.*?)\s*-->", re.DOTALL)

#: A page's title, its first level-1 heading.
TITLE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
#: YAML front matter (builder settings; its comments are no headings).
FRONT_MATTER = re.compile(r"\A---\n.*?\n---[ \t]*(?:\n|\Z)", re.DOTALL)

#: Files a page's code reads, which its notebook carries (paths from the config's folder).
_NOTEBOOK_DATA = re.compile(r"<!--\s*notebook-data:\s*(?P<paths>.*?)\s*-->", re.DOTALL)

_SKIP = re.compile(r"<!--\s*skip:\s*(?P<action>next|start|end)\b(?P<reason>.*?)-->", re.DOTALL)


class Page:
    """A Markdown page: its text, fences, examples, bound and declared numbers."""

    def __init__(self, text: str, path: Path | str = "page.md") -> None:
        self.text = text
        self.path = Path(path)

    @classmethod
    def read(cls, path: Path) -> Page:
        return cls(path.read_text(encoding="utf-8"), path)

    def line(self, offset: int) -> int:
        return _line_of(self.text, offset)

    @cached_property
    def fences(self) -> list[Fence]:
        return list(iter_fences(self.text))

    @cached_property
    def formulas(self) -> list[Formula]:
        """The page's display formulas, in order (none inside fences)."""
        fenced = [(fence.start, fence.end) for fence in self.fences]
        found: list[Formula] = []
        opening: re.Match[str] | None = None
        for match in _DISPLAY.finditer(self.text):
            if any(start <= match.start() < end for start, end in fenced):
                continue
            if opening is None:
                opening = match
                continue
            if match["prefix"].rstrip() != opening["prefix"].rstrip():
                continue
            width = len(opening["prefix"])
            body = self.text[opening.end() + 1 : match.start()]
            source = "".join(line[width:] for line in body.splitlines(keepends=True))
            labels = _LABEL.findall(source)
            if len(labels) > 1:
                raise ValueError(
                    f"{self.path}:{self.line(opening.start())}: one \\label per formula"
                )
            found.append(
                Formula(
                    start=opening.start(),
                    end=match.end(),
                    line=self.line(opening.start()),
                    prefix=opening["prefix"],
                    source=source.rstrip("\n"),
                    label=labels[0] if labels else None,
                )
            )
            opening = None
        return found

    @cached_property
    def examples(self) -> list[Example]:
        """The page's Python examples, in order, each with its output fence."""
        found: list[Example] = []
        fences = self.fences
        for index, fence in enumerate(fences):
            language = fence.language
            if language not in PYTHON_LANGUAGES:
                continue
            source = fence.source(self.text)
            following = fences[index + 1] if index + 1 < len(fences) else None
            output = None
            if (
                following is not None
                and following.language in OUTPUT_LANGUAGES
                and not self.text[fence.end : following.start].strip()
                and not (language == "pycon" or source.lstrip().startswith(">>>"))
            ):
                output = following
            found.append(
                Example(
                    fence=fence,
                    language=language,
                    source=source,
                    output=output,
                    line=self.line(fence.start),
                    expected_output=output.verbatim(self.text) if output else None,
                    expected_line=self.line(output.start) if output else None,
                )
            )
        return found

    @cached_property
    def session_reason(self) -> str | None:
        """Why the page's blocks are one session, or None if each runs as pasted:
        a tutorial is one session by design; another page says so with
        ``<!-- session: reason -->``."""
        if "tutorial" in self.path.parts:
            return "a tutorial is one session"
        marked = _SESSION.search(self.text)
        return marked["reason"] if marked else None

    @cached_property
    def title(self) -> str | None:
        """The page's title: its first level-1 heading after any front matter."""
        front = FRONT_MATTER.match(self.text)
        match = TITLE.search(self.text, front.end() if front else 0)
        return match["title"] if match else None

    @cached_property
    def notebook_data(self) -> list[str]:
        """The data files the page's code reads, named with
        ``<!-- notebook-data: benchmarks/results.json ... -->`` (paths relative to the
        folder of mkdocs.yml): its notebook writes them where the code looks, so that it
        runs outside a checkout of the repository."""
        return [path for m in _NOTEBOOK_DATA.finditer(self.text) for path in m["paths"].split()]

    @cached_property
    def snippets(self) -> list[list[Example]]:
        """The code a reader copies, each a list of examples that run together: the
        whole page for a session, otherwise each block with the blocks that say they
        continue it. Skipped examples are left out."""
        runs = [e for e in self.examples if e.fence.start not in self.skipped]
        if self.session_reason is not None:
            return [runs] if runs else []
        groups: list[list[Example]] = []
        for example in runs:
            if example.continues and groups:
                groups[-1].append(example)
            else:
                groups.append([example])
        return groups

    @cached_property
    def skipped(self) -> dict[int, str]:
        """Examples a ``<!-- skip: next "reason" -->`` (or ``skip: start`` ...
        ``skip: end``) marker skips: fence start -> the reason. (The tests use
        Sybil's own skip parser; this reading is for the tools that run pages.)"""
        skipped: dict[int, str] = {}
        starts = [example.fence.start for example in self.examples]
        open_reason: str | None = None
        markers = list(_SKIP.finditer(self.text))
        for index, marker in enumerate(markers):
            action, reason = marker["action"], marker["reason"].strip()
            following = [s for s in starts if s > marker.end()]
            if action == "next" and following:
                skipped[following[0]] = reason
            elif action == "start":
                open_reason = reason
                stop = next((m.start() for m in markers[index + 1 :] if m["action"] == "end"), None)
                for start in following:
                    if stop is None or start < stop:
                        skipped[start] = open_reason
        return skipped

    @cached_property
    def text_spans(self) -> list[tuple[int, int]]:
        """Spans of the page that are text, not code: everything outside fences
        (inline code, comments and link destinations cut out), plus the captions of
        figure and table fences."""
        spans: list[tuple[int, int]] = []
        position = 0
        for fence in self.fences:
            spans.extend(self._outside_code(position, fence.start))
            if fence.language in CUSTOM_FENCES:
                spans.extend(_caption_spans(self.text, fence))
            position = fence.end
        spans.extend(self._outside_code(position, len(self.text)))
        return spans

    def _outside_code(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        chunk = self.text[start:end]
        cuts = [m.span() for m in _INLINE_CODE.finditer(chunk)]
        cuts += [m.span() for m in _NOT_TEXT.finditer(chunk)]
        position = 0
        for cut_start, cut_end in sorted(cuts):
            if cut_start > position:
                yield start + position, start + cut_start
            position = max(position, cut_end)
        if position < len(chunk):
            yield start + position, end

    def _matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        for start, end in self.text_spans:
            yield from pattern.finditer(self.text, start, end)

    def _marked(self, pattern: re.Pattern[str], detail: str) -> Iterator[tuple[Any, ...]]:
        """The fields of each ``number{...}`` mark of ``pattern``: its span, the end of
        its number, the number, the ``detail`` group, and its line."""
        for m in self._matches(pattern):
            yield m.start(), m.end(), m.end("number"), m["number"], m[detail], self.line(m.start())

    @cached_property
    def bindings(self) -> list[Binding]:
        return [Binding(*fields) for fields in self._marked(_BINDING, "expr")]

    @cached_property
    def constants(self) -> list[Constant]:
        return [Constant(*fields) for fields in self._marked(_CONSTANT, "reason")]

    def unbound_decimals(self) -> list[tuple[int, str]]:
        """(line, number) of each decimal number in the text that is neither bound
        nor declared."""
        marks: list[Binding | Constant] = [*self.bindings, *self.constants]
        marked = {mark.number_end for mark in marks}
        braces = [(mark.number_end, mark.end) for mark in marks]  # {= ...}: code, not text
        return [
            (self.line(match.start()), match[0])
            for match in self._matches(DECIMAL)
            if match.end() not in marked
            and not any(start <= match.start() < end for start, end in braces)
        ]

    def without_markup(self) -> str:
        """The page with every ``{= ...}`` and ``{const: ...}`` removed (the numbers
        stay), as the site renders it."""
        pieces, position = [], 0
        marks: list[Binding | Constant] = [*self.bindings, *self.constants]
        for mark in sorted(marks, key=lambda m: m.start):
            pieces.append(self.text[position : mark.number_end])
            position = mark.end
        pieces.append(self.text[position:])
        return "".join(pieces)
