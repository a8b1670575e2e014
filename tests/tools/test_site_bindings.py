"""crossentropy_site.bindings: numbers in the text, held to the page's code."""

from __future__ import annotations

import math

import markdown
import numpy as np
import pytest
from crossentropy_site.bindings import check, shown
from crossentropy_site.pages import Page
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("value", "stated", "expected"),
    [
        (0.8018, "0.80", "0.80"),
        (0.8018, "0.8", "0.8"),
        (2.0, "2", "2"),
        (1024.4, "1,024", "1,024"),
        (32000.0, "32,000.0", "32,000.0"),
        (0.125, "12.5%", "12.5%"),
        (1.876409e-17, "1.876409e-17", "1.876409e-17"),
        (1e-7, "1e-7", "1e-7"),
        (-0.5, "\N{MINUS SIGN}0.50", "\N{MINUS SIGN}0.50"),
        (-0.5, "-0.5", "-0.5"),
        (np.float32(0.356675), "0.3567", "0.3567"),
        (np.array(1.5), "1.50", "1.50"),
    ],
)
def test_shown_writes_the_value_as_the_text_does(value: object, stated: str, expected: str) -> None:
    assert shown(value, stated) == expected


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 6))
def test_a_number_written_with_its_own_digits_checks(value: float, decimals: int) -> None:
    stated = f"{value:.{decimals}f}"
    assert shown(value, stated) == stated


def test_booleans_and_arrays_are_not_numbers() -> None:
    with pytest.raises(TypeError, match="not a number"):
        shown(True, "1")
    with pytest.raises(TypeError, match="not a number"):
        shown(np.array([1.0, 2.0]), "1.0")


def _binding(text: str) -> object:
    (binding,) = Page(text, "docs/x.md").bindings
    return binding


def test_check_agrees_and_disagrees_with_the_digits_shown() -> None:
    namespace = {"h": 0.8018, "math": math}
    assert check(_binding("is 0.80{= h} here"), namespace) == ("0.80", None)  # type: ignore[arg-type]
    written, problem = check(_binding("is 0.81{= h} here"), namespace)  # type: ignore[arg-type]
    assert written == "0.80"
    assert problem is not None
    assert "states 0.81" in problem
    assert "0.8018" in problem
    assert "0.80 to the digits shown" in problem
    _, missing = check(_binding("is 0.80{= later}"), namespace)  # type: ignore[arg-type]
    assert missing is not None
    assert "code blocks above it" in missing


def test_extension_renders_the_number_alone() -> None:
    text = (
        "| a |\n| --- |\n| 0.80{= h} |\n\n"
        "!!! note\n    Within $x = 1.4427{= c}$ and 2.1{const: a version}.\n"
    )
    html = markdown.markdown(
        text,
        extensions=["tables", "admonition", "pymdownx.arithmatex", "crossentropy_site.bindings"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    assert "<td>0.80</td>" in html
    assert "1.4427" in html
    assert "2.1." in html
    assert "{=" not in html
    assert "const:" not in html
