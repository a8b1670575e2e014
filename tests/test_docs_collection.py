"""The docs test machinery: nothing on a page escapes it, and it fails loudly.

``test_every_python_fence_is_collected`` counts Python-language fences with a
deliberately simple, independent line scanner and checks that the Sybil parser
(``tests/_sybil_markdown.py``) collects exactly those fences.
"""

from __future__ import annotations

import re
import textwrap
import unittest
from pathlib import Path

import pytest
from sybil import Document, Example, Region
from sybil.example import SybilFailure

from tests._sybil_markdown import (
    PYTHON_LANGUAGES,
    MarkdownPythonParser,
    PythonBlock,
    ReasonRequiredSkipParser,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"

# A fence line: optional `>` quotes, indentation and list marker, then 3+ ` or ~.
_FENCE_LINE = re.compile(
    r"^(?P<prefix>(?:[ \t]*>)*[ \t]*(?:(?:[-*+]|\d+[.)])[ \t]+)?)"
    r"(?P<fence>`{3,}|~{3,})(?P<info>.*)$"
)


def _info_language(info: str) -> str:
    info = info.strip()
    if info.startswith("{"):
        classes = [w for w in info.strip("{}").split() if w.startswith(".")]
        return classes[0][1:].lower() if classes else ""
    words = re.split(r"[\s{]", info, maxsplit=1)
    return words[0].lower()


def count_python_fences(text: str) -> list[int]:
    """1-based line numbers of the opening lines of Python-language fences."""
    found: list[int] = []
    open_fence: tuple[str, int, int] | None = None  # char, length, prefix width
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE_LINE.match(line)
        if match is None:
            continue
        fence, info, width = match["fence"], match["info"], len(match["prefix"])
        if open_fence is None:
            open_fence = (fence[0], len(fence), width)
            if _info_language(info) in PYTHON_LANGUAGES:
                found.append(number)
        elif (
            fence[0] == open_fence[0]
            and len(fence) >= open_fence[1]
            and not info.strip()
            and width == open_fence[2]
        ):
            open_fence = None
    return found


def parse(text: str, *parsers: object) -> Document:
    document = Document(textwrap.dedent(text), "fixture.md")
    for parser in parsers or (ReasonRequiredSkipParser(), MarkdownPythonParser()):
        for region in parser(document):  # type: ignore[operator]
            document.add(region)
    return document


def collected_lines(document: Document) -> list[int]:
    return [e.line for e in document.examples() if isinstance(e.parsed, PythonBlock)]


def run_all(document: Document) -> None:
    for example in document.examples():
        example.evaluate()


# --------------------------------------------------------------- the guard
PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_python_fence_is_collected(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    expected = count_python_fences(text)
    collected = collected_lines(parse(text, MarkdownPythonParser()))
    where = page.relative_to(DOCS.parent)
    missing = [f"{where}:{n}: Python fence not collected" for n in expected]
    missing = [m for m, n in zip(missing, expected, strict=True) if n not in collected]
    extra = [f"{where}:{n}: collected, not a Python fence" for n in collected]
    extra = [m for m, n in zip(extra, collected, strict=True) if n not in expected]
    assert not missing + extra, "\n".join(missing + extra)


def test_pages_exist() -> None:
    assert PAGES, f"no Markdown pages under {DOCS}"


# ---------------------------------------------------- parser unit tests
FENCE_VARIANTS = """\
```python
a = 1
```

```python title="example.py"
a += 1
```

```py
a += 1
```

```python3 hl_lines="1"
a += 1
```

``` { .python title="x" }
a += 1
```

```python{ .lineno }
a += 1
```

```Python<SP>
a += 1
```

!!! note
    ```python
    a += 1
    ```

- item

    ```pycon
    >>> a
    8
    ```

````markdown
```python
raise AssertionError("inside a markdown example: must not run")
```
````

```text
not python
```
""".replace("<SP>", " ")  # an info string with a trailing space


def test_attribute_and_nested_fences_are_collected() -> None:
    document = parse(FENCE_VARIANTS, MarkdownPythonParser())
    lines = collected_lines(document)
    assert lines == count_python_fences(FENCE_VARIANTS)
    assert len(lines) == 9
    run_all(document)
    assert document.namespace["a"] == 8


def test_output_matches() -> None:
    run_all(
        parse("""\
        ```python
        print("x =", 1, end="   \\n")  # trailing spaces are ignored
        print()
        ```

        ```text title="Output"
        x = 1
        ```
        """)
    )


def test_output_keeps_its_leading_spaces() -> None:
    """Right-aligned output (every line indented) is compared as shown, also inside an
    admonition, and losing the indentation is a mismatch."""
    run_all(
        parse("""\
        !!! note
            ```python
            print("  1.5")
            print(" 10.0")
            ```

            ```text
              1.5
             10.0
            ```
        """)
    )
    document = parse("""\
    ```python
    print("  1.5")
    ```

    ```text
    1.5
    ```
    """)
    with pytest.raises(SybilFailure, match="differs"):
        run_all(document)


def test_output_mismatch_fails_with_diff() -> None:
    document = parse("""\
    ```python
    print(1 + 1)
    ```

    ```text
    3
    ```
    """)
    with pytest.raises(SybilFailure, match=r"(?s)differs.*-3.*\+2"):
        run_all(document)


def test_printing_without_output_block_fails() -> None:
    document = parse("""\
    ```python
    print("hidden")
    ```

    Some prose breaks the pairing.

    ```text
    hidden
    ```
    """)
    with pytest.raises(SybilFailure, match="not followed by a ```text fence"):
        run_all(document)


def test_doctest_block_fails_on_wrong_output() -> None:
    document = parse("""\
    ```pycon
    >>> 1 + 1
    3
    ```
    """)
    with pytest.raises(SybilFailure, match="Expected:\n    3\nGot:\n    2"):
        run_all(document)


def test_skip_with_reason_skips_whole_block() -> None:
    document = parse("""\
    <!-- skip: next "needs a GPU" -->

    ```pycon
    >>> raise RuntimeError
    >>> raise RuntimeError
    ```

    ```python
    ran = True
    ```
    """)
    examples: list[Example] = list(document.examples())
    examples[0].evaluate()
    with pytest.raises(unittest.SkipTest, match="needs a GPU"):
        examples[1].evaluate()
    examples[2].evaluate()
    assert document.namespace["ran"] is True


def test_skip_without_reason_is_an_error() -> None:
    document = parse("""\
    <!-- skip: next -->

    ```python
    x = 1
    ```
    """)
    with pytest.raises(SybilFailure, match="needs a reason"):
        run_all(document)


def test_region_spans_output_block() -> None:
    text = "```py\nprint(1)\n```\n\n```text\n1\n```\n"
    (region,) = MarkdownPythonParser()(Document(text, "x.md"))
    assert isinstance(region, Region)
    assert (region.start, region.end) == (0, len(text) - 1)
    assert region.parsed.expected_output == "1\n"
