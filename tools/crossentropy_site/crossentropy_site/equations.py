r"""Numbered equations, references to them, and the readers' note on checked formulas.

A display formula that carries ``\label{name}`` is numbered: (1), (2), ... in the
order of the labelled formulas on its page; the number is rendered in the MathML
(``\tag``, as ``math_core`` renders it) and the formula gets the anchor ``eq-name``.
``\eqref{name}`` in the text becomes a link to it: ``(2)`` on the same page,
``Entropy (2)`` on another (the page's title). Labels are unique across the site; a
reference to a label that does not exist stops the build (:class:`EquationError`).
Numbers and links are generated, never typed: inserting an equation renumbers the
rest.

Under every display formula that the tests check (see
:mod:`crossentropy_site.formulas`), a folded note says so and how.

This module is the Markdown extension ``crossentropy_site.equations``; its functions
are shared with the notebooks (which number and resolve the same way).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .pages import Formula, Page, markdown_files
from .project import current_page, project

__all__ = [
    "EQREF",
    "EquationError",
    "EquationsExtension",
    "Target",
    "makeExtension",
    "numbered",
    "references",
    "site_labels",
]

#: ``\eqref{name}`` in a page's text.
EQREF = re.compile(r"\\eqref\{(?P<name>[^{}]+)\}")
#: Where the notation page explains the checks (the readers' note links there).
CHECKS_PAGE = "explanation/notation.md"
CHECKS_ANCHOR = "how-the-formulas-are-checked"


class EquationError(Exception):
    """A label is defined twice, or a reference names no label."""


@dataclass(frozen=True)
class Target:
    """Where a label lives."""

    page: str  # the page's path in the docs directory, POSIX
    number: int
    title: str  # the page's title


def anchor(label: str) -> str:
    return f"eq-{label}"


def numbered(page: Page) -> dict[str, int]:
    """The page's labels and their numbers, in order."""
    return {f.label: n for n, f in enumerate((f for f in page.formulas if f.label), 1) if f.label}


def _title(page: Page, relative: str) -> str:
    return page.title or relative


@functools.lru_cache(maxsize=8)
def _labels(docs_dir: Path, stamp: tuple[tuple[str, float], ...]) -> dict[str, Target]:
    found: dict[str, Target] = {}
    for path in markdown_files([docs_dir]):
        page = Page.read(path)
        relative = path.relative_to(docs_dir).as_posix()
        for label, number in numbered(page).items():
            if label in found:
                other = found[label]
                raise EquationError(
                    f"\\label{{{label}}} is defined twice: {other.page} ({other.number}) "
                    f"and {relative} ({number})"
                )
            found[label] = Target(relative, number, _title(page, relative))
    return found


def site_labels(docs_dir: Path) -> dict[str, Target]:
    """Every label of the site's pages, with its page and number."""
    docs_dir = docs_dir.resolve()
    stamp = tuple((str(p), p.stat().st_mtime) for p in markdown_files([docs_dir]))
    return _labels(docs_dir, stamp)


def references(page: Page) -> Iterator[tuple[int, int, str]]:
    """(start, end, label) of each ``\\eqref`` in the page's text (not in code)."""
    for start, end in page.text_spans:
        for match in EQREF.finditer(page.text, start, end):
            yield match.start(), match.end(), match["name"]


def _link(label: str, relative: str, labels: dict[str, Target], where: str) -> str:
    target = labels.get(label)
    if target is None:
        raise EquationError(f"{where}: \\eqref{{{label}}} names no \\label on the site")
    if target.page == relative:
        return f"[({target.number})](#{anchor(label)})"
    path = posixpath.relpath(target.page, posixpath.dirname(relative) or ".")
    return f"[{target.title} ({target.number})]({path}#{anchor(label)})"


def _rewrite_formula(formula: Formula, number: int, note: str | None) -> list[str]:
    """The lines of a formula, numbered (``\\tag``) inside an element that carries its
    anchor (raw HTML, which every builder's link check sees), with the note after
    it."""
    prefix = formula.prefix
    source = formula.source
    lines = []
    if formula.label is not None:
        source = source.replace(f"\\label{{{formula.label}}}", f"\\tag{{{number}}}")
        lines.append(f'{prefix}<div class="equation" id="{anchor(formula.label)}" markdown>')
        lines.append(prefix.rstrip())
    lines.append(f"{prefix}$$")
    if formula.label is not None:
        lines.append(prefix + "\\begin{equation}")
    lines.extend(prefix + line if line.strip() else line for line in source.split("\n"))
    if formula.label is not None:
        lines.append(prefix + "\\end{equation}")
    lines.append(f"{prefix}$$")
    if formula.label is not None:
        lines.append(prefix.rstrip())
        lines.append(f"{prefix}</div>")
    if note:
        pad = re.sub(r"[^\s>]", " ", prefix)
        lines.extend(["", f'{pad}??? formula-check "checked"'])
        lines.extend(f"{pad}    {line}" for line in note.split("\n"))
    return lines


def note(formula: Formula, relative: str) -> str | None:
    """The readers' note under a checked formula, or None if it is not checked."""
    from .formulas.check import code_behind, directives_of

    directives = directives_of(formula.tex)
    if directives.unchecked is not None:
        return None
    settings = directives.settings
    given = []
    if settings.one_hot:
        given.append("one-hot targets")
    if settings.family == "binary":
        given.append("one probability per sample")
    given.extend(f"${name} = {value:g}$" for name, value in settings.pinned.items())
    code = code_behind(formula.tex)
    link = posixpath.relpath(CHECKS_PAGE, posixpath.dirname(relative) or ".")
    sentences = [
        "The tests evaluate every relation in this formula at random points"
        + (f" ({', '.join(given)})" if given else "")
        + " and fail if one does not hold: a flipped sign or a dropped factor would fail them."
    ]
    if code:
        calls = ", ".join(f"`{c}`" for c in code)
        sentences.append(f"The values come from the package: {calls}.")
    sentences.append(f"[How formulas are checked]({link}#{CHECKS_ANCHOR}).")
    return " ".join(sentences)


def render(page: Page, relative: str | None, labels: dict[str, Target] | None) -> str:
    """The page's Markdown with its formulas numbered, its references linked and a
    note under each checked formula. Without ``labels`` (no site), only references
    to the page's own labels resolve, and no notes are added."""
    own = numbered(page)
    here = relative or str(page.path)
    if labels is None:
        labels = {label: Target(here, n, "") for label, n in own.items()}
    pieces: list[str] = []
    position = 0
    edits: list[tuple[int, int, str]] = []
    for start, end, label in references(page):
        edits.append((start, end, _link(label, here, labels, f"{here}:{page.line(start)}")))
    for formula in page.formulas:
        text = note(formula, here) if relative is not None else None
        number = own.get(formula.label, 0) if formula.label else 0
        edits.append(
            (formula.start, formula.end, "\n".join(_rewrite_formula(formula, number, text)))
        )
    for start, end, replacement in sorted(edits):
        pieces.append(page.text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(page.text[position:])
    return "".join(pieces)


class _Equations(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        site = project(self.md)
        path = current_page(self.md, site, text)
        if "$$" not in text and "\\eqref" not in text:
            return lines
        if site is None or path is None:
            return render(Page(text), None, None).split("\n")
        relative = path.resolve().relative_to(site.docs_dir).as_posix()
        return render(Page(text, path), relative, site_labels(site.docs_dir)).split("\n")


class EquationsExtension(Extension):
    """Python-Markdown extension: see the module docstring."""

    def extendMarkdown(self, md: Markdown) -> None:
        # First of the site's preprocessors (37): it finds the page by its text as
        # written, before the notebook link (36) and the bindings (35) change it.
        md.preprocessors.register(_Equations(md), "crossentropy_equations", 37)


def makeExtension(**kwargs: Any) -> EquationsExtension:
    return EquationsExtension(**kwargs)
