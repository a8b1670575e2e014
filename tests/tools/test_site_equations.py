"""crossentropy_site.equations: numbered equations, references, the checked-formula note."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest
from crossentropy_site.equations import EquationError, Target, numbered, render, site_labels
from crossentropy_site.pages import Page

PAGE = """# Entropy

$$
H(p) = -\\sum_{c=1}^{K} p_c \\log p_c
\\label{entropy}
$$

Unnumbered:

$$
H(p) \\ge 0
$$

$$
D_{\\mathrm{KL}}(p \\parallel q) \\ge 0
\\label{gibbs}
$$

By \\eqref{gibbs}, and \\eqref{entropy}. In code, `\\eqref{gibbs}` stays as it is.
"""


def test_labelled_formulas_are_numbered_in_order() -> None:
    assert numbered(Page(PAGE)) == {"entropy": 1, "gibbs": 2}


def test_inserting_an_equation_renumbers_the_rest() -> None:
    inserted = PAGE.replace("Unnumbered:", "$$\na = b\n\\label{new}\n$$\n\nUnnumbered:")
    assert numbered(Page(inserted)) == {"entropy": 1, "new": 2, "gibbs": 3}


def test_references_become_links_to_the_anchor() -> None:
    text = render(Page(PAGE), None, None)
    assert "By [(2)](#eq-gibbs), and [(1)](#eq-entropy)." in text
    assert "`\\eqref{gibbs}`" in text  # code is not text
    assert '<div class="equation" id="eq-gibbs" markdown>' in text
    assert "\\tag{2}" in text
    assert "\\label" not in text
    assert text.count("\\begin{equation}") == 2


def test_a_reference_to_another_page_names_it() -> None:
    labels = {"gibbs": Target("explanation/entropy.md", 4, "Entropy")}
    page = Page("See \\eqref{gibbs}.\n", "docs/how-to/bits.md")
    text = render(page, "how-to/bits.md", labels)
    assert text == "See [Entropy (4)](../explanation/entropy.md#eq-gibbs).\n"


def test_a_dangling_reference_fails() -> None:
    with pytest.raises(EquationError, match=r"page.md:1: \\eqref\{nowhere\} names no \\label"):
        render(Page("See \\eqref{nowhere}.\n"), None, None)


def test_a_label_defined_twice_fails(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("$$\na = 1\n\\label{x}\n$$\n")
    (tmp_path / "b.md").write_text("$$\nb = 1\n\\label{x}\n$$\n")
    with pytest.raises(EquationError, match="defined twice"):
        site_labels(tmp_path)


def test_site_labels_know_page_number_and_title(tmp_path: Path) -> None:
    (tmp_path / "how-to").mkdir()
    (tmp_path / "how-to" / "a.md").write_text("# Alpha\n\n$$\na = 1\n\\label{x}\n$$\n")
    assert site_labels(tmp_path) == {"x": Target("how-to/a.md", 1, "Alpha")}


def test_checked_formulas_get_a_note_and_unchecked_ones_do_not() -> None:
    text = render(
        Page(
            "$$\nH(p) \\ge 0\n$$\n\n$$\n\\arg\\max_q f\n% unchecked: a maximiser, not a value\n$$\n"
        ),
        "explanation/entropy.md",
        {},
    )
    assert text.count('??? formula-check "checked"') == 1
    assert "(notation.md#how-the-formulas-are-checked)" in text


def test_the_number_is_rendered_in_the_mathml() -> None:
    html = markdown.markdown(
        render(Page(PAGE), None, None),
        extensions=["md_in_html", "pymdownx.arithmatex", "crossentropy_site.mathml"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    assert '<div class="equation" id="eq-gibbs">' in html
    assert html.count("<math") == 3  # every formula rendered, inside the anchors too
    assert "<mtext>(2)</mtext>" in html
    # the text alternative is the formula, without the numbering's markup
    assert 'alttext="D_{\\mathrm{KL}}(p \\parallel q) \\ge 0"' in html
