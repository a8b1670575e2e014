"""The API reference's formulas are held to the code as the pages' are.

Every display formula (``$$ ... $$``) in the docstring of a public function is read
as the reader sees it, in the API reference and in ``help()``, and checked by the
site's formula checker (``crossentropy_site.formulas``) at random points against
the package. The settings a check needs (which family of the notation, a pinned
value) are kept here, not in the docstring, so that ``help()`` shows no checker
comments; :data:`SETTINGS` must name every formula, so a new one is checked or
fails here.
"""

from __future__ import annotations

import inspect
import re

import pytest
from crossentropy_site.formulas import check_formula

import crossentropy

_DISPLAY = re.compile(r"^\s*\$\$\n(?P<tex>.*?)\n\s*\$\$\s*$", re.MULTILINE | re.DOTALL)

#: For every public function, the settings of its display formulas, in order, as
#: ``% check:`` lines (empty: none needed).
SETTINGS: dict[str, list[str]] = {
    "binary_cross_entropy": [
        # omega and the smoothed label y' reduce to the plain loss the notation's L is
        # (the gradient's formula below checks them at random values).
        "% check: binary, omega = 1, varepsilon = 0",
    ],
    "binary_cross_entropy_gradient": [
        "% check: binary, omega = 1, varepsilon = 0",
        "% check: binary, omega = 1, varepsilon = 0",
    ],
    "cross_entropy": [
        "",
        # The notation's J_w is the package's mean with class and sample weights and
        # no smoothing; a_c = w_c y'_c with y' = y then.
        "% check: varepsilon = 0",
    ],
    "cross_entropy_gradient": [""],  # a_c with random class weights and smoothing
    "entropy": [""],
    "kl_divergence": [""],
    "log_softmax": [""],
    "logsumexp": [""],
    "one_hot": ["% check: y one-hot"],
    "perplexity": ["% check: y one-hot"],
    "softmax": [""],
}


def _functions() -> dict[str, object]:
    return {
        name: getattr(crossentropy, name)
        for name in crossentropy.__all__
        if inspect.isfunction(getattr(crossentropy, name))
    }


def display_formulas(function: object) -> list[str]:
    """The TeX of each display formula of ``function``'s docstring, as written."""
    return [match["tex"] for match in _DISPLAY.finditer(inspect.getdoc(function) or "")]


def _cases() -> list[tuple[str, int, str]]:
    return [
        (name, index, tex)
        for name, function in _functions().items()
        for index, tex in enumerate(display_formulas(function))
    ]


def test_every_docstring_formula_has_its_settings() -> None:
    found = {name: len(display_formulas(f)) for name, f in _functions().items()}
    assert {name: count for name, count in found.items() if count} == {
        name: len(settings) for name, settings in SETTINGS.items()
    }
    assert sum(found.values()) >= 13  # as many as when this was written: all are found


@pytest.mark.parametrize(
    ("name", "index", "tex"), _cases(), ids=[f"{n}-{i}" for n, i, _ in _cases()]
)
def test_docstring_formula_holds(name: str, index: int, tex: str) -> None:
    problems = check_formula(f"{tex}\n{SETTINGS[name][index]}", salt=name)
    assert not problems, "\n".join(f"{name}, formula {index + 1}: {p.message}" for p in problems)


#: Slips of the pen in docstring formulas, each of which must fail its check.
SLIPS = [
    ("cross_entropy", 0, r"= -\sum", r"= \sum"),
    ("cross_entropy", 1, r"{\sum_{i=1}^{n} s_i \sum_{c=1}^{K} a_{ic}}", r"{\sum_{i=1}^{n} s_i}"),
    ("cross_entropy_gradient", 0, r"\hat y_c - a_c", r"\hat y_c + a_c"),
    ("binary_cross_entropy", 0, r"(1 - y') \log(1 - \hat p)", r"(1 - y') \log \hat p"),
    ("binary_cross_entropy_gradient", 0, r"(1 - y')\, \sigma(z)", r"y'\, \sigma(z)"),
    ("binary_cross_entropy_gradient", 1, r"+ \frac{1 - y'}", r"- \frac{1 - y'}"),
    ("kl_divergence", 0, r"\frac{y_c}{\hat y_c}", r"\frac{\hat y_c}{y_c}"),
    ("logsumexp", 0, r"= m + \log", r"= m - \log"),
    ("perplexity", 0, r"^{-1/n}", r"^{1/n}"),
    ("entropy", 0, r"= -\sum", r"= \sum"),
]


@pytest.mark.parametrize(("name", "index", "old", "new"), SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_in_a_docstring_formula_fails(name: str, index: int, old: str, new: str) -> None:
    tex = display_formulas(_functions()[name])[index]
    assert tex.count(old) == 1, f"{name}: {old!r} is not in {tex!r}"
    slipped = tex.replace(old, new)
    assert check_formula(f"{slipped}\n{SETTINGS[name][index]}", salt=name)
