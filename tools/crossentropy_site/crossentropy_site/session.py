"""Running a page's code as the tests run it: in page order, one namespace per page.

Used by the Sybil tests (``tests/_sybil_markdown.py``), by ``make docs-update``
(:mod:`crossentropy_site.update`) and by figures drawn from a page's session, so that
all of them see exactly the same output.

* A plain Python example runs with ``sys.stdout`` captured; what it printed is
  compared with its output fence after stripping trailing whitespace from each line
  and trailing blank lines (:func:`normalise`).
* A doctest example (``pycon``, or a block starting with ``>>>``) runs as one doctest
  in the page's namespace.
* A bound number (``0.80{= expr}``) is evaluated where it stands.
"""

from __future__ import annotations

import contextlib
import doctest
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import bindings
from .pages import Binding, Example, Page

__all__ = ["Outcome", "diff_message", "normalise", "run_doctest", "run_example", "run_page"]


def normalise(output: str) -> list[str]:
    """Lines of ``output`` without trailing whitespace, trailing blank lines dropped."""
    lines = [line.rstrip() for line in output.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_example(example: Example, namespace: dict[str, Any], path: str) -> str:
    """Run a plain example in ``namespace``; what it printed. Tracebacks show the
    page's line numbers."""
    __tracebackhide__ = True
    code = compile("\n" * example.line + example.source, path, "exec", dont_inherit=True)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(code, namespace)
    namespace.pop("__builtins__", None)
    return buffer.getvalue()


def diff_message(example: Example, printed: str) -> str | None:
    """Why ``printed`` does not match the example's output fence, or None if it does."""
    import difflib

    actual = normalise(printed)
    if example.expected_output is None:
        if not actual:
            return None
        shown = "\n".join(actual)
        return (
            "this block prints output but is not followed by a ```text fence "
            f"showing it. It printed:\n{shown}"
        )
    expected = normalise(example.expected_output)
    if actual == expected:
        return None
    diff = "\n".join(
        difflib.unified_diff(
            expected,
            actual,
            f"expected (```text fence at line {example.expected_line})",
            "actual stdout",
            lineterm="",
        )
    )
    return f"printed output differs from the ```text fence:\n{diff}"


def run_doctest(
    example: Example,
    namespace: dict[str, Any],
    path: str,
    *,
    optionflags: int = doctest.ELLIPSIS,
    checker: doctest.OutputChecker | None = None,
    test_class: type[doctest.DocTest] = doctest.DocTest,
) -> str | None:
    """Run a doctest example in ``namespace`` (shared, not copied); the failure
    report, or None."""
    name = f"{path}:{example.line}"
    parser = doctest.DocTestParser()
    test = test_class(
        parser.get_examples(example.source, name),
        namespace,
        name,
        path,
        example.line,
        example.source,
    )
    runner = doctest.DocTestRunner(checker=checker, optionflags=optionflags)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    namespace.pop("__builtins__", None)
    return "".join(report) if runner.failures else None


@dataclass(frozen=True)
class Outcome:
    """What running one piece of a page gave."""

    item: Example | Binding
    printed: str | None = None  # a plain example's output
    written: str | None = None  # a bound number as the page should state it
    problem: str | None = None  # why the page disagrees, if it does


def run_page(page: Page, namespace: dict[str, Any] | None = None) -> Iterator[Outcome]:
    """Run a page's examples and evaluate its bound numbers, in page order, in one
    fresh namespace (as the tests do); yield what each gave. An example that raises
    stops the run with its exception."""
    namespace = {} if namespace is None else namespace
    path = str(page.path)
    items: list[Example | Binding] = [*page.examples, *page.bindings]
    items.sort(key=lambda item: item.fence.start if isinstance(item, Example) else item.start)
    for item in items:
        if isinstance(item, Example) and item.fence.start in page.skipped:
            continue
        if isinstance(item, Binding):
            written, problem = bindings.check(item, namespace)
            yield Outcome(item, written=written, problem=problem)
        elif item.is_doctest:
            yield Outcome(item, problem=run_doctest(item, namespace, path))
        else:
            printed = run_example(item, namespace, path)
            yield Outcome(item, printed=printed, problem=diff_message(item, printed))
