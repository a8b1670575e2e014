"""crossentropy_site.pages: how the docs tools read a page."""

from __future__ import annotations

import textwrap

from crossentropy_site.pages import Page, fence_language, iter_fences


def page(text: str) -> Page:
    return Page(textwrap.dedent(text), "docs/fixture.md")


def test_fence_language() -> None:
    assert fence_language('python title="x.py"') == "python"
    assert fence_language("{ .py title='x' }") == "py"
    assert fence_language("{#id .pycon}") == "pycon"
    assert fence_language("") == ""
    assert fence_language("Python ") == "python"


def test_nothing_nests_inside_an_open_fence() -> None:
    text = "````markdown\n```python\nx = 1\n```\n````\n\n```python\ny = 2\n```\n"
    fences = list(iter_fences(text))
    assert [f.language for f in fences] == ["markdown", "python"]
    assert Page(text).examples[0].source == "y = 2\n"


def test_examples_pair_with_the_output_fence_right_after_them() -> None:
    p = page("""\
    ```python
    print(1)
    ```

    ```text
    1
    ```

    ```python
    print(2)
    ```

    Prose in between breaks the pair.

    ```text
    2
    ```
    """)
    first, second = p.examples
    assert first.expected_output == "1\n"
    assert first.expected_line == 5
    assert second.output is None


def test_indent_is_the_inverse_of_verbatim() -> None:
    text = "- item\n\n    ```text\n      1.5\n     10.0\n\n    x\n    ```\n"
    (fence,) = [f for f in iter_fences(text)]
    body = fence.verbatim(text)
    assert body == "  1.5\n 10.0\n\nx\n"
    assert fence.indent(body) == text[fence.content_start : fence.content_end]


def test_bindings_and_constants_anywhere_outside_code() -> None:
    p = page("""\
    # Title

    The loss is 0.80{= h} nats, NumPy 2.1{const: the oldest supported} or newer.

    | a | b |
    | --- | --- |
    | 1.5{= x} | 12.5%{= f} |

    !!! note
        In math too: $a \\approx 0.3466{= y}$, and 1.9e-17{= z}.

    `0.5{= not_bound}` in inline code is code.

    ```python
    print("0.25{= code}")
    ```
    """)
    assert [(b.stated, b.expr, b.line) for b in p.bindings] == [
        ("0.80", "h", 3),
        ("1.5", "x", 7),
        ("12.5%", "f", 7),
        ("0.3466", "y", 10),
        ("1.9e-17", "z", 10),
    ]
    assert [(c.stated, c.reason) for c in p.constants] == [("2.1", "the oldest supported")]
    assert p.unbound_decimals() == []


def test_unbound_decimals_are_found_in_text_math_and_captions_only() -> None:
    p = page("""\
    A loss of 0.3567 and of \N{MINUS SIGN}1.5, version 1.6.7, in math $0.25$.
    Not in `0.75`, not in [a link](../x/0.5.md), not in <!-- 0.1 -->.

    ```python
    x = 0.9
    ```

    ```figure
    name: neg-log
    caption: the caption says 0.7
    ```
    """)
    assert p.unbound_decimals() == [
        (1, "0.3567"),
        (1, "1.5"),
        (1, "1.6.7"),
        (1, "0.25"),
        (10, "0.7"),
    ]


def test_without_markup_keeps_the_numbers() -> None:
    p = page("Here 0.80{= h} and $x = 3.10{const: Python}$ stay.\n")
    assert p.without_markup() == "Here 0.80 and $x = 3.10$ stay.\n"


def test_skip_markers() -> None:
    p = page("""\
    <!-- skip: next "needs a GPU" -->

    ```python
    a = 1
    ```

    ```python
    b = 2
    ```

    <!-- skip: start "slow" -->

    ```python
    c = 3
    ```

    <!-- skip: end -->

    ```python
    d = 4
    ```
    """)
    skipped = [p.skipped.get(e.fence.start) for e in p.examples]
    assert skipped == ['"needs a GPU"', None, '"slow"', None]


def test_numbers_inside_a_binding_are_its_code_not_its_text() -> None:
    p = page("Its first value is 2.3026{= -np.log(0.1)}, the surprisal of 0.1{= q[0]}.\n")
    assert [b.expr for b in p.bindings] == ["-np.log(0.1)", "q[0]"]
    assert p.unbound_decimals() == []


def test_the_title_is_the_first_heading_after_the_front_matter() -> None:
    # A YAML comment in the front matter looks like a heading; it is not the title
    # (it was, and cross-page equation references showed it).
    text = "---\n# Boost this page in search.\nsearch:\n  boost: 2\n---\n\n# The title\n\nText.\n"
    assert Page(text).title == "The title"
    assert Page("# Plain\n").title == "Plain"
    assert Page("No heading.\n").title is None
