"""Lint and format-check the Python examples of the docs with ruff.

    python -m crossentropy_site.lint [PATH ...]        (default: docs)

Each piece of code a reader would copy is linted as one module
(:attr:`~crossentropy_site.pages.Page.snippets`): on a tutorial (or a page that says
``<!-- session: reason -->``) all its examples in order, elsewhere each block alone,
with the blocks that say they continue it; ``>>>`` prompts and doctest output
removed. An unused import or name, or a name used but never defined in the
snippet, is reported with the line of the Markdown file
(``docs/how-to/bits.md:12:1: F401 ...``). The rules are the project's
(``pyproject.toml``) but for those a snippet breaks on purpose:

* ``E402``: a later block imports what it needs where the page first uses it;
* ``B018``: a doctest line that shows a value is a bare expression;
* ``I001``: to the reader ``crossentropy`` is a third-party package like NumPy, and
  the snippets import NumPy first, the order a reader expects.

Each plain example must also be formatted as ``ruff format`` formats it; a block that
is not is reported with its line and the diff. Each displayed formula must be one
the formula checks can read, with directives they know (:func:`formula_problems`;
the tests then evaluate it). Exit status 1 if anything is found.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .formulas.check import directives_of
from .formulas.tex import TexError, parse_formula
from .formulas.world import vocabulary
from .pages import Example, Page, markdown_files

__all__ = [
    "Module",
    "format_problems",
    "formula_problems",
    "lint_problems",
    "main",
    "page_module",
    "snippet_module",
]

#: Rules the session of a page breaks on purpose (see the module docstring).
IGNORED = ("E402", "B018", "I001")


@dataclass(frozen=True)
class Module:
    """A page's examples as one Python module, and the page line of each of its lines."""

    source: str
    lines: list[int]  # lines[i]: the page's line of the module's line i + 1


def _code_lines(example: Example) -> list[tuple[int, str]]:
    """(page line, code) of an example; for a doctest block, its ``>>>`` and ``...``
    lines without the prompts."""
    first = example.line + 1
    lines = example.source.splitlines()
    if not example.is_doctest:
        return [(first + i, line) for i, line in enumerate(lines)]
    code = []
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith((">>> ", "... ")) or stripped in (">>>", "..."):
            code.append((first + i, stripped[4:]))
    return code


def snippet_module(examples: Sequence[Example]) -> Module:
    """Examples as one module, with the page line of each of its lines."""
    source: list[str] = []
    lines: list[int] = []
    for example in examples:
        for line, code in _code_lines(example):
            source.append(code)
            lines.append(line)
    return Module("".join(line + "\n" for line in source), lines)


def page_module(page: Page) -> Module:
    """All the page's examples as one module (skipped ones left out)."""
    return snippet_module([e for e in page.examples if e.fence.start not in page.skipped])


@functools.cache
def _ruff_binary() -> str:
    """The ruff executable of the environment (called directly, not through
    ``python -m ruff``: a Python start for each of some 250 snippets took most of
    the lint's time)."""
    from ruff import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


def _ruff(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_ruff_binary(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def lint_problems(page: Page) -> list[str]:
    """ruff's findings on each of the page's snippets, with Markdown line numbers."""
    found = []
    for snippet in page.snippets:
        found += _lint_module(page, snippet_module(snippet))
    return found


def _lint_module(page: Page, module: Module) -> list[str]:
    if not module.source.strip():
        return []
    result = _ruff(
        "check",
        "--quiet",
        "--output-format",
        "json",
        "--ignore",
        ",".join(IGNORED),
        "--stdin-filename",
        f"{page.path.with_suffix('')}_session.py",
        "-",
        stdin=module.source,
    )
    if result.returncode not in (0, 1):
        return [f"{page.path}: ruff failed: {result.stderr.strip()}"]
    found = []
    for finding in json.loads(result.stdout or "[]"):
        row = finding["location"]["row"]
        line = module.lines[row - 1] if 0 < row <= len(module.lines) else row
        column = finding["location"]["column"]
        found.append(f"{page.path}:{line}:{column}: {finding['code']} {finding['message']}")
    return found


def format_problems(page: Page) -> list[str]:
    """Plain examples that ``ruff format`` would change, with the diff."""
    found = []
    for example in page.examples:
        if example.is_doctest or example.fence.start in page.skipped:
            continue
        result = _ruff(
            "format",
            "--quiet",
            "--stdin-filename",
            f"{page.path.stem}.py",
            "-",
            stdin=example.source,
        )
        if result.returncode != 0:
            found.append(f"{page.path}:{example.line}: ruff format failed: {result.stderr.strip()}")
        elif result.stdout != example.source:
            diff = "".join(
                difflib.unified_diff(
                    example.source.splitlines(keepends=True),
                    result.stdout.splitlines(keepends=True),
                    "as written",
                    "as ruff formats it",
                )
            )
            found.append(f"{page.path}:{example.line}: block is not formatted\n{diff}")
    return found


def formula_problems(page: Page) -> list[str]:
    """Displayed formulas the checks cannot read, or whose directives they do not know."""
    found = []
    for formula in page.formulas:
        try:
            if directives_of(formula.tex).unchecked is None:
                parse_formula(formula.tex, vocabulary)
        except TexError as error:
            found.append(f"{page.path}:{formula.line}: formula: {error}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("docs")])
    args = parser.parse_args(argv)
    pages = markdown_files(args.paths)
    problems: list[str] = []
    for path in pages:
        page = Page.read(path)
        problems += lint_problems(page) + format_problems(page) + formula_problems(page)
    for problem in problems:
        print(problem)
    examples = sum(len(Page.read(p).examples) for p in pages)
    print(f"{len(pages)} pages, {examples} examples: {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
