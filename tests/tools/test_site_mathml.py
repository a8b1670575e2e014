"""crossentropy_site.mathml: TeX to MathML at build time, on the site's own formulas."""

from __future__ import annotations

import re
from pathlib import Path

import markdown
import pytest
from crossentropy_site.mathml import MathError, MathMLPostprocessor

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((REPO_ROOT / "docs").rglob("*.md"))
EXTENSIONS = ["pymdownx.arithmatex", "crossentropy_site.bindings", "crossentropy_site.mathml"]
CONFIGS = {"pymdownx.arithmatex": {"generic": True}}


def render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS, extension_configs=CONFIGS)


def _formulas(text: str) -> int:
    """How many formulas arithmatex finds on its own (without the MathML step)."""
    html = markdown.markdown(text, extensions=EXTENSIONS[:2], extension_configs=CONFIGS)
    return html.count('class="arithmatex"')


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO_ROOT)) for p in PAGES])
def test_every_formula_of_the_site_becomes_mathml(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    html = render(text)
    assert 'class="arithmatex"' not in html, "a formula was left as TeX"
    assert html.count("<math") == _formulas(text)


def test_display_and_inline_math() -> None:
    html = render("Inline $a_c$ and\n\n$$\nH(p) = -\\sum_{c=1}^{K} p_c \\log p_c\n$$\n")
    assert html.count("<math") == 2
    assert 'display="block"' in html
    assert "<munderover>" in html  # the sum with its limits


def test_a_sized_delimiter_as_a_script_base_is_wrapped_in_an_mrow() -> None:
    converter = MathMLPostprocessor(markdown.Markdown())
    mathml = converter.convert(r"\Bigl(\prod_i x_i\Bigr)^{-1/n}", display=True)
    assert re.search(r"<msup><mrow><mo[^>]*minsize", mathml)


def test_a_tex_error_names_the_formula_and_the_place() -> None:
    with pytest.raises(MathError, match=r"(?s)LaTeX error.*TeX: \\frac\{1\}.*\^"):
        render("$$\n\\frac{1}\n$$\n")


def test_each_formula_carries_its_tex_as_alttext() -> None:
    html = render("The loss $L = -\\log \\hat y_t$ and $a < b$.")
    assert 'alttext="L = -\\log \\hat y_t"' in html
    assert 'alttext="a &lt; b"' in html
