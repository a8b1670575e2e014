"""Numbers in the text, held to the page's code.

A page writes a computed number out and binds it to a Python expression::

    no prediction scores below the target's entropy, 0.80{= ce.entropy(y)} nats

The site renders ``0.80``; the tests evaluate ``ce.entropy(y)`` in the page's session
at that point (after the code above it has run) and fail unless it shows as ``0.80``
to the digits stated; ``make docs-update`` rewrites a stale one. A number that no
code on the page computes is declared instead, with its reason, which stays in the
page's source: ``NumPy 2.1{const: the oldest NumPy the package supports}``. Any other
decimal number in a page's text fails the tests (:func:`unbound_report`).

How the digits are read (:func:`shown`): as many decimals as are written
(``0.80``: two); ``1,024`` with thousands separators; ``12.5%`` as a percentage of
the value; ``1.9e-17`` in scientific notation with the mantissa's decimals; a
leading ``-`` or the minus sign U+2212 as the sign.

This module is also the Markdown extension ``crossentropy_site.bindings``, which
removes the markup before anything else reads the page, so bindings work in prose,
math, tables, lists, admonitions and figure captions alike.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .pages import Binding, Page

__all__ = ["BindingsExtension", "check", "makeExtension", "shown"]

MINUS = "\N{MINUS SIGN}"
_PARTS = re.compile(
    r"^(?P<sign>[-\N{MINUS SIGN}+]?)(?P<digits>[\d,]+)(?:\.(?P<decimals>\d+))?"
    r"(?:[eE](?P<exponent>[-\N{MINUS SIGN}+]?\d+))?(?P<percent>%?)$"
)


def _real(value: Any) -> float:
    """``value`` as a float, if it is a real number (a NumPy scalar or 0-d array too)."""
    item = value.item() if hasattr(value, "item") and getattr(value, "ndim", 0) == 0 else value
    if isinstance(item, bool) or not isinstance(item, numbers.Real):
        raise TypeError(f"the expression gives {type(value).__name__} {value!r}, not a number")
    return float(item)


def shown(value: Any, stated: str) -> str:
    """``value`` written the way ``stated`` is written (same decimals, separators,
    notation, sign character)."""
    parts = _PARTS.match(stated)
    if parts is None:
        raise ValueError(f"{stated!r} is not a number this checker can read")
    number = _real(value)
    decimals = len(parts["decimals"] or "")
    if parts["percent"]:
        number *= 100
    if not math.isfinite(number):
        text = f"{number}"
    elif parts["exponent"] is not None:
        mantissa, _, exponent = f"{number:.{decimals}e}".partition("e")
        text = f"{mantissa}e{int(exponent)}"
    else:
        grouping = "," if "," in parts["digits"] else ""
        text = f"{number:{grouping}.{decimals}f}"
    if text.startswith("-"):
        text = (MINUS if parts["sign"] == MINUS else "-") + text[1:]
    elif parts["sign"] == "+":
        text = "+" + text
    return text + parts["percent"]


def _same(stated: str, written: str) -> bool:
    def normal(text: str) -> str:
        text = text.replace(MINUS, "-")
        match = re.fullmatch(r"(.*?)e([-+]?\d+)(%?)", text)
        return f"{match[1]}e{int(match[2])}{match[3]}" if match else text

    return normal(stated) == normal(written)


def check(binding: Binding, namespace: dict[str, Any]) -> tuple[str, str | None]:
    """Evaluate ``binding`` in ``namespace``: the number as the page should state it,
    and a message if the page states another (None when it agrees)."""
    try:
        value = eval(binding.expr, namespace)
    except NameError as error:
        return binding.stated, (
            f"{{= {binding.expr}}}: {error} at this point of the page "
            "(a bound number sees the code blocks above it)"
        )
    written = shown(value, binding.stated)
    if _same(binding.stated, written):
        return written, None
    return written, (
        f"the text states {binding.stated} for {{= {binding.expr}}}, "
        f"but the page's code computes {value!r}, which is {written} to the digits shown"
    )


def unbound_report(page: Page) -> list[str]:
    """``path:line: number`` for each decimal in the page's text that is neither
    bound to code nor declared a constant."""
    return [
        f"{page.path}:{line}: {number} is neither bound to the page's code "
        f"({number}{{= expression}}) nor declared ({number}{{const: reason}})"
        for line, number in page.unbound_decimals()
    ]


class _StripMarkup(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "{=" not in text and "{const:" not in text:
            return lines
        return Page(text).without_markup().split("\n")


class BindingsExtension(Extension):
    """Python-Markdown extension: render ``0.80{= expr}`` and ``2.1{const: ...}`` as
    the number alone."""

    def extendMarkdown(self, md: Markdown) -> None:
        # Before everything else (fences at 25-31, whitespace at 30): the markup is
        # gone before fences, math or tables are recognised.
        md.preprocessors.register(_StripMarkup(md), "crossentropy_bindings", 35)


def makeExtension(**kwargs: Any) -> BindingsExtension:
    return BindingsExtension(**kwargs)
