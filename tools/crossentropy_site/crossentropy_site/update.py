"""``make docs-update``: rewrite what a page shows with what its code gives now.

    python -m crossentropy_site.update [PATH ...]     (default: docs)

Each page runs as the tests run it (:func:`crossentropy_site.session.run_page`). Then,
in place and touching nothing else:

* each ``text`` output fence whose content differs from what the example above it
  prints gets the printed lines (trailing whitespace stripped, as the tests compare);
* each bound number (``0.80{= expr}``) that no longer shows what ``expr`` gives gets
  the new value, written with the same digits, separators and notation.

What cannot be rewritten is reported and makes the command exit with status 1: an
example that raises (the page is left as it was), a block that prints but has no
output fence, a failing doctest block, a bound number whose expression fails, and
a displayed formula whose check fails (a formula is the writer's to mend: the
command says which relation fails, and where).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .formulas import check_formula
from .pages import Binding, Example, Page, markdown_files
from .session import normalise, run_page

__all__ = ["Update", "main", "update_page"]


@dataclass
class Update:
    """The rewritten text of a page, and what was done or could not be."""

    text: str
    outputs: int = 0  # output fences rewritten
    numbers: int = 0  # bound numbers rewritten
    problems: list[str] = field(default_factory=list)


def update_page(page: Page) -> Update:
    """The page's text with stale output fences and bound numbers rewritten."""
    edits: list[tuple[int, int, str]] = []
    result = Update(page.text)
    try:
        for outcome in run_page(page):
            item = outcome.item
            if outcome.problem is None:
                continue
            if isinstance(item, Binding):
                if outcome.written is None or outcome.written == item.stated:
                    result.problems.append(f"{page.path}:{item.line}: {outcome.problem}")
                else:
                    edits.append((item.start, item.number_end, outcome.written))
                    result.numbers += 1
            elif isinstance(item, Example):
                if item.output is None or outcome.printed is None:
                    result.problems.append(f"{page.path}:{item.line}: {outcome.problem}")
                    continue
                lines = normalise(outcome.printed)
                body = item.output.indent("".join(line + "\n" for line in lines))
                edits.append((item.output.content_start, item.output.content_end, body))
                result.outputs += 1
    except Exception:
        error = traceback.format_exc(limit=-3)
        result.problems.append(f"{page.path}: an example raised; page left as it was\n{error}")
        return result
    text = page.text
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    result.text = text
    for formula in page.formulas:
        for problem in check_formula(formula.tex, salt=f"{page.path}:{formula.line}"):
            result.problems.append(f"{page.path}:{formula.line}: formula: {problem.message}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("docs")])
    args = parser.parse_args(argv)
    problems: list[str] = []
    for path in markdown_files(args.paths):
        update = update_page(Page.read(path))
        problems += update.problems
        if update.text != path.read_text(encoding="utf-8"):
            path.write_text(update.text, encoding="utf-8")
            print(f"{path}: {update.outputs} output blocks, {update.numbers} numbers rewritten")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
