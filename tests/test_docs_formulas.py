"""The site's formulas are held to the code, and its notation is one.

* A slip of the pen in any of the results a reader would copy (a flipped sign, a
  dropped factor or square, swapped arguments, a wrong index) fails the page's
  formula check, and the failure names the page, the line, the formula's number
  and the relation (:data:`SLIPS`).
* Every result that the site derives and a reader would copy is a numbered,
  checked formula (the labels of :data:`SLIPS` exist and carry no
  ``% unchecked``).
* Every symbol the formula checks know is on the notation page, and every symbol
  of the notation page's tables is one the checks know (or is no value of its
  own): one letter for one thing, written down.
* A formula that is not checked says why, in a few words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from crossentropy_site.equations import numbered
from crossentropy_site.formulas import directives_of
from crossentropy_site.formulas.evaluate import symbols_used
from crossentropy_site.formulas.tex import TexError, parse_formula
from crossentropy_site.formulas.world import FUNCTIONS, SYMBOLS, vocabulary
from crossentropy_site.pages import Formula, Page, markdown_files
from sybil import Document
from sybil.example import SybilFailure

from tests._sybil_markdown import CheckedFormula, parsers

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = markdown_files([DOCS])


@dataclass(frozen=True)
class Slip:
    """A slip of the pen in a labelled formula: ``old`` becomes ``new``."""

    page: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old!r} -> {self.new!r}"


#: The results of the issue that asked for formula checks, and the others a
#: reader would copy, each with slips that must fail.
SLIPS = [
    # cross-entropy, entropy and KL
    Slip("explanation/cross-entropy.md", "cross-entropy", r"= -\sum", r"= \sum"),
    Slip("explanation/cross-entropy.md", "kl-divergence", r"\frac{p_c}{q_c}", r"\frac{q_c}{p_c}"),
    Slip("explanation/soft-targets.md", "kl-split", "= H(y) +", "= H(y) -"),
    Slip(
        "explanation/soft-targets.md",
        "kl-split",
        r"D_{\mathrm{KL}}(y \parallel \hat y)",
        r"D_{\mathrm{KL}}(\hat y \parallel y)",
    ),
    Slip(
        "explanation/entropy.md",
        "entropy",
        r"= -\sum_{c=1}^{K} p_c \log p_c",
        r"= -\sum_{c=1}^{K} \log p_c",
    ),
    # Gibbs' inequality and the entropy's bound
    Slip(
        "explanation/cross-entropy.md",
        "gibbs",
        r"\Bigl(\frac{q_c}{p_c} - 1\Bigr)",
        r"\Bigl(\frac{q_c}{p_c} + 1\Bigr)",
    ),
    Slip("explanation/cross-entropy.md", "entropy-bound", r"= \log K - H(p)", r"= H(p) - \log K"),
    # log-sum-exp and log-softmax
    Slip("explanation/logits.md", "logsumexp-trick", "= m +", "= m -"),
    Slip(
        "explanation/logits.md", "log-softmax", r"= z_c - \operatorname", r"= z_c + \operatorname"
    ),
    Slip("explanation/logits.md", "loss-from-logits", r"(z) - z_t", r"(z) + z_t"),
    Slip(
        "explanation/logits.md", "shift-invariance", r"\frac{e^{-m}\, e^{z_c}}", r"\frac{e^{z_c}}"
    ),
    # the softmax-cross-entropy gradient and the softmax Jacobian
    Slip("explanation/gradient.md", "gradient-logits", r"(z) - y", r"(z) + y"),
    Slip("explanation/gradient.md", "gradient-entry", r"\hat y_c - y_c", r"y_c - \hat y_c"),
    Slip(
        "explanation/gradient.md",
        "weighted-gradient",
        r"\Bigl(\sum_{k=1}^{K} a_k\Bigr) \hat y_c",
        r"\hat y_c",
    ),
    Slip(
        "explanation/gradient.md", "softmax-jacobian", r"- \hat y \hat y^{\mathsf T}", r"- \hat y"
    ),
    Slip(
        "explanation/gradient.md",
        "softmax-jacobian",
        r"\hat y_c \,(\delta_{ck} - \hat y_k)",
        r"\hat y_k \,(\delta_{ck} - \hat y_k)",
    ),
    Slip(
        "explanation/gradient.md",
        "softmax-jacobian-cases",
        r"\hat y_c (1 - \hat y_c)",
        r"\hat y_c (1 - \hat y_c)^2",
    ),
    Slip("explanation/gradient.md", "two-routes", r"= \hat y_k - y_k", r"= y_k - \hat y_k"),
    Slip(
        "explanation/gradient.md",
        "hessian",
        r"(\delta_{ck} - \hat y_k)",
        r"(\delta_{ck} + \hat y_k)",
    ),
    Slip("explanation/gradient.md", "gradient-mean", r"{n}", r"{1}"),
    # the weights' gradient
    Slip(
        "explanation/gradient.md", "weight-gradient", r"\frac{1}{n} X^{\mathsf T}", r"X^{\mathsf T}"
    ),
    Slip(
        "explanation/gradient.md",
        "weight-gradient",
        r"x_{ij} \, (\hat y_{ic} - y_{ic})",
        r"x_{ij} \, (y_{ic} - \hat y_{ic})",
    ),
    Slip("explanation/gradient.md", "bias-gradient", r"(\hat y_i - y_i)", r"(\hat y_i + y_i)"),
    Slip("explanation/focal-loss.md", "hinge-loss", r"z_c - z_t + 1", r"z_t - z_c + 1"),
    Slip(
        "explanation/gaussian.md", "gaussian-second-moment", r"\sigma^2 + (\mu", r"\sigma^2 - (\mu"
    ),
    Slip("explanation/gaussian.md", "gaussian-kl", r"{2 \sigma^2}", r"{\sigma^2}"),
    Slip("explanation/regularisation.md", "l2-penalty", r"+ \lambda W", r"- \lambda W"),
    Slip(
        "explanation/regularisation.md",
        "scaled-loss",
        r"e^{-\rho (z_t - z_c)}",
        r"e^{\rho (z_t - z_c)}",
    ),
    # the binary gradient
    Slip("explanation/binary.md", "binary-gradient", r"= \hat p - y", r"= y - \hat p"),
    Slip(
        "explanation/binary.md",
        "binary-loss-logits",
        r"y \operatorname{softplus}(-z)",
        r"y \operatorname{softplus}(z)",
    ),
    Slip("explanation/binary.md", "binary-gradient-weighted", r"- \omega\, y", r"- y"),
    Slip(
        "explanation/why-cross-entropy.md",
        "log-cancels",
        r"-\bigl(1 - \sigma(z)\bigr)",
        r"-\sigma(z)",
    ),
    # the distillation factor
    Slip("explanation/distillation.md", "distillation-gradient", r"= T \bigl(", r"= \bigl("),
    Slip("explanation/distillation.md", "distillation-soft", "T^2", "T"),
    Slip("explanation/distillation.md", "high-temperature-gradient", "}{K}", "}{1}"),
    # the maximum-likelihood estimate of a categorical distribution
    Slip("explanation/likelihood.md", "categorical-mle", r"\frac{N_c}{n}", r"\frac{N_c + 1}{n}"),
    Slip(
        "explanation/likelihood.md", "lagrange", r"\frac{N_c}{q_c} - \nu", r"\frac{N_c}{q_c} + \nu"
    ),
    Slip(
        "explanation/likelihood.md", "nll", r"\frac{1}{n} \sum_{i=1}^{n} L_i", r"\sum_{i=1}^{n} L_i"
    ),
    Slip("explanation/likelihood.md", "cost-split", "= H(t \\mid x)\n  +", "= H(t \\mid x)\n  -"),
    Slip(
        "explanation/likelihood.md", "chain-rule", "= H(x) + H(t \\mid x)", "= H(x) - H(t \\mid x)"
    ),
    # the rest of the site's derivations
    Slip("explanation/one-hot.md", "one-hot-loss", r"= -\log \hat y_t .", r"= \log \hat y_t ."),
    Slip("explanation/coding.md", "kraft", r"\le 1", r"\le \frac{1}{2}"),
    Slip("explanation/coding.md", "shannon-code", "< H_2(p, q) + 1", "< H_2(p, q)"),
    Slip("explanation/why-cross-entropy.md", "brier-proper", r"y_k (1 - y_k)", r"y_k^2"),
    Slip("how-to/weights.md", "weighted-mean", r"{\sum_{i=1}^{n} s_i\, w_{t_i}}", r"{n}"),
    Slip("how-to/class-weights.md", "weighted-optimum", r"\frac{w \odot p}", r"\frac{p}"),
]


def _formula(page: Page, label: str) -> Formula:
    found = [f for f in page.formulas if f.label == label]
    assert len(found) == 1, f"{page.path}: no formula labelled {label!r}"
    return found[0]


def _formula_failures(text: str, path: Path, only: int | None = None) -> dict[int, str]:
    """Check the formulas of a page's text as the tests do: start offset -> message
    of each formula that fails (no code runs: formula checks need none, nor each
    other); with ``only``, just the formula that starts there."""
    document = Document(text, str(path.relative_to(DOCS.parent)))
    for parser in parsers():
        for region in parser(document):
            document.add(region)
    failures = {}
    for example in document.examples():
        if not isinstance(example.parsed, CheckedFormula):
            continue
        if only is not None and example.parsed.formula.start != only:
            continue
        try:
            example.evaluate()
        except SybilFailure as failure:
            failures[example.parsed.formula.start] = str(failure)
    return failures


@pytest.mark.parametrize("slip", SLIPS, ids=str)
def test_a_slip_of_the_pen_fails_with_page_line_and_formula(slip: Slip) -> None:
    path = DOCS / slip.page
    page = Page.read(path)
    formula = _formula(page, slip.label)
    source = page.text[formula.start : formula.end]
    assert source.count(slip.old) >= 1, f"{slip}: not in the formula"
    slipped = page.text[: formula.start] + source.replace(slip.old, slip.new, 1)
    slipped += page.text[formula.end :]
    failures = _formula_failures(slipped, path, only=formula.start)
    assert formula.start in failures, f"{slip} passed its check"
    message = failures[formula.start]
    number = numbered(page)[slip.label]
    assert f"{slip.page}:{formula.line}: formula ({number}):" in message
    assert re.search(r"relation \d+ \(|cannot evaluate|claims|raised", message), message


@pytest.mark.parametrize("page", sorted({s.page for s in SLIPS}))
def test_the_pages_formulas_hold_as_written(page: str) -> None:
    path = DOCS / page
    assert _formula_failures(path.read_text(encoding="utf-8"), path) == {}


@pytest.mark.parametrize("label", sorted({(s.page, s.label) for s in SLIPS}), ids=str)
def test_every_result_a_reader_copies_is_numbered_and_checked(label: tuple[str, str]) -> None:
    page, name = label
    formula = _formula(Page.read(DOCS / page), name)
    assert directives_of(formula.tex).unchecked is None


def test_unchecked_formulas_say_why() -> None:
    unchecked = []
    for path in PAGES:
        for formula in Page.read(path).formulas:
            reason = directives_of(formula.tex).unchecked
            if reason is not None:
                unchecked.append((path.relative_to(DOCS), formula.line, reason))
    assert all(len(reason.split()) >= 4 for _, _, reason in unchecked), unchecked
    # Few: the checks are the rule.
    checked = sum(len(Page.read(p).formulas) for p in PAGES) - len(unchecked)
    assert len(unchecked) <= checked // 10, unchecked


# --- one notation -------------------------------------------------------------------

NOTATION = DOCS / "explanation" / "notation.md"
#: Letters of the notation tables that are not values the checks compute: index
#: letters, a placeholder function, the parameters (a marker), a factor named in
#: prose only, and what the evaluator knows itself (Kronecker's delta, the one-hot
#: vectors e_c, the logarithms, the norm).
NOT_VALUES = {"c", "k", "i", "j", "f", "theta", "xi", "delta", "e", "cdot"}
BUILT_IN = {"log", "ln", "exp", "norm", "max"}
#: Cells of the notation tables that name an operation without an operand.
OPERATIONS = ["[\\,\\cdot\\,]", "\\log", "\\ln", "\\log_2", "\\log_\\beta"]


def _names(tex: str) -> set[str]:
    names: set[str] = set()
    for statement in parse_formula(tex, vocabulary):
        names |= symbols_used(statement.chain)
    return names


def _notation_names() -> tuple[set[str], list[str]]:
    """The names in the first column of the notation page's tables, and the cells
    that could not be read."""
    names, unread = set(), []
    page = Page.read(NOTATION)
    for line in page.text.splitlines():
        if not line.startswith("| $"):
            continue
        for tex in re.findall(r"\$([^$]+)\$", line.split("|")[1]):
            try:
                names |= _names(tex)
            except TexError:
                unread.append(tex)
    return names, unread


def test_every_symbol_the_checks_know_is_on_the_notation_page() -> None:
    names, _ = _notation_names()
    known = set(SYMBOLS) | set(FUNCTIONS)
    assert known - names == set(), "symbols missing from docs/explanation/notation.md"


def test_every_symbol_on_the_notation_page_is_known_to_the_checks() -> None:
    names, unread = _notation_names()
    assert unread == OPERATIONS
    known = set(SYMBOLS) | set(FUNCTIONS) | NOT_VALUES | BUILT_IN
    assert names - known == set()
