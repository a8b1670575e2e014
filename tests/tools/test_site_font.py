"""crossentropy_site.font: the math font cut to the characters the site's formulas draw.

On the built site: every character of every formula is in the font the site ships (a
new symbol on a page must not fall back to another font), and the shipped font is what
``make font`` makes now. tests/browser/test_speed.py checks the same in Chromium.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from crossentropy_site.font import (
    OUT,
    SOURCE,
    font_characters,
    ignorable,
    italic,
    math_characters,
    site_characters,
    subset,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = REPO_ROOT / OUT
FULL = REPO_ROOT / SOURCE


def test_italic_forms_as_mathml_core_draws_them() -> None:
    assert italic("x") == "\N{MATHEMATICAL ITALIC SMALL X}"
    assert italic("K") == "\N{MATHEMATICAL ITALIC CAPITAL K}"
    assert italic("h") == "\N{PLANCK CONSTANT}"  # the hole in the italic alphabet
    assert italic("\N{GREEK SMALL LETTER ALPHA}") == "\N{MATHEMATICAL ITALIC SMALL ALPHA}"
    assert italic("\N{GREEK CAPITAL LETTER DELTA}") == "\N{MATHEMATICAL ITALIC CAPITAL DELTA}"
    assert italic("\N{PARTIAL DIFFERENTIAL}") == "\N{MATHEMATICAL ITALIC PARTIAL DIFFERENTIAL}"
    assert italic("\N{NABLA}") == "\N{MATHEMATICAL ITALIC NABLA}"
    assert italic("\N{GREEK PHI SYMBOL}") == "\N{MATHEMATICAL ITALIC PHI SYMBOL}"
    assert italic("\N{GREEK LUNATE EPSILON SYMBOL}") == "\N{MATHEMATICAL ITALIC EPSILON SYMBOL}"
    assert italic("1") is None
    assert italic(".") is None
    assert italic("\N{N-ARY SUMMATION}") is None


def test_what_a_formula_draws() -> None:
    html = (
        '<p>Text outside, and <math alttext="\\alpha">'
        '<mi>x</mi><mi mathvariant="normal">Δ</mi><mi>log</mi><mo>∑</mo>'
        "<msqrt><mn>2</mn></msqrt><mtext>(1)</mtext>"
        "<mi>\N{MATHEMATICAL SCRIPT CAPITAL N}\N{VARIATION SELECTOR-1}</mi>"
        "</math> more text.</p>"
    )
    assert math_characters(html) == {
        "x",
        "\N{MATHEMATICAL ITALIC SMALL X}",  # a single letter in <mi> is drawn italic
        "Δ",  # not with mathvariant="normal"
        "l",
        "o",
        "g",  # nor in a name of several letters
        "∑",
        "√",  # drawn by <msqrt> around its content
        "2",
        "(",
        "1",
        ")",
        "\N{MATHEMATICAL SCRIPT CAPITAL N}",  # \\mathcal N: the letter and
        "\N{VARIATION SELECTOR-1}",  # the selector of its chancery form
    }


def test_ignorable_characters() -> None:
    assert ignorable("\N{VARIATION SELECTOR-1}")
    assert ignorable("\N{FUNCTION APPLICATION}")
    assert ignorable("\N{INVISIBLE SEPARATOR}")
    assert not ignorable("x")
    assert not ignorable("\N{N-ARY SUMMATION}")


def test_the_cut_keeps_what_stretchy_operators_need() -> None:
    from fontTools.ttLib import TTFont

    cut = subset(FULL, "x∑(")
    assert cut == subset(FULL, "x∑(")  # the same bytes every time
    kept = font_characters(cut)
    # What was asked for, and little else (the layout tables reach ")" from "(").
    assert {"x", "∑", "("} <= kept
    assert len(kept) < 8, kept
    with TTFont(io.BytesIO(cut)) as font:
        assert font.flavor == "woff2"
        assert "MATH" in font
        variants = font["MATH"].table.MathVariants
        constructions = dict(
            zip(
                variants.VertGlyphCoverage.glyphs,
                variants.VertGlyphConstruction,
                strict=True,
            )
        )
        # The sum and the parenthesis keep their larger sizes, and the parenthesis the
        # parts it is assembled from beyond them.
        cmap = font.getBestCmap()
        assert constructions[cmap[ord("∑")]].VariantCount > 1
        assert constructions[cmap[ord("(")]].GlyphAssembly is not None
        names = {record.nameID: record.toUnicode() for record in font["name"].names}
        assert "SIL Open Font License" in names[13]  # the licence travels with the font


# ------------------------------------------------------- the built site ----


@pytest.fixture(scope="module")
def formulas(site_builds: dict[str, Path]) -> set[str]:
    return site_characters(site_builds["properdocs"])


def test_every_character_of_every_formula_is_in_the_shipped_font(
    site_builds: dict[str, Path], formulas: set[str]
) -> None:
    shipped = font_characters(site_builds["properdocs"] / "assets" / "fonts" / SHIPPED.name)
    missing = {c for c in formulas if not ignorable(c)} - shipped
    where = {
        f"U+{ord(c):04X} {c}": sorted(
            page.relative_to(site_builds["properdocs"]).as_posix()
            for page in site_builds["properdocs"].rglob("*.html")
            if c in math_characters(page.read_text(encoding="utf-8"))
        )[:3]
        for c in missing
    }
    assert where == {}, "characters the math font lacks: run make font"
    assert len(formulas) > 100


def test_the_shipped_font_is_current(formulas: set[str]) -> None:
    # Cut from the full font to exactly the formulas' characters: make font (or make
    # docs-update) rewrites it; a formula with a new symbol, or one removed, fails here.
    assert subset(FULL, formulas) == SHIPPED.read_bytes(), "stale: run make font"


def test_the_licence_is_kept_with_both_fonts() -> None:
    licence = (FULL.parent / "OFL.txt").read_text(encoding="utf-8")
    assert (SHIPPED.parent / "OFL.txt").read_text(encoding="utf-8") == licence
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    # No Reserved Font Name is declared, so a cut of the font may keep its name.
    assert "Reserved Font Name" not in licence.split("PREAMBLE")[0]
