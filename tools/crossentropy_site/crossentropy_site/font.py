"""The math font, cut to the characters the site's formulas draw.

    python -m crossentropy_site.font [--check] [--site DIR] [--source TTF] [--out WOFF2]

Chromium draws MathML Core well only with an OpenType MATH font: it stretches sums,
brackets and accents with the font's size variants and glyph assemblies. The full
STIX Two Math (``tools/fonts/STIXTwoMath-Regular.ttf``, 1.5 MB, with its licence,
``OFL.txt``) is the source; the site ships ``docs/assets/fonts/STIXTwoMath-subset.woff2``:
the glyphs of every character drawn inside a ``<math>`` element of the built site,
with everything the font's MATH table and default layout features reach from them
(the size variants and the parts of stretchy operators), as WOFF2. A single letter
in an ``<mi>`` is drawn in its mathematical italic form (MathML Core's
``text-transform: math-auto``: ``x`` as U+1D465), so that form is kept too, and so
is the radical sign that a square root draws around its content.

It builds the site first (``properdocs build --strict``) to read its formulas, unless
``--site`` names a built one. ``--check`` writes nothing and exits with status 1 when
the shipped font is not what this would write now (the tests check the same);
``make font`` and ``make docs-update`` write it.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

__all__ = [
    "OUT",
    "SOURCE",
    "font_characters",
    "ignorable",
    "italic",
    "main",
    "math_characters",
    "site_characters",
    "subset",
]

#: The full font, kept as the source, and the cut the site ships (from the folder of
#: mkdocs.yml).
SOURCE = Path("tools/fonts/STIXTwoMath-Regular.ttf")
OUT = Path("docs/assets/fonts/STIXTwoMath-subset.woff2")

#: Names whose mathematical italic form has a name that does not follow the pattern.
_ITALIC_EXCEPTIONS = {
    "LATIN SMALL LETTER H": "\N{PLANCK CONSTANT}",  # U+210E: no MATHEMATICAL ITALIC SMALL H
    "GREEK LUNATE EPSILON SYMBOL": "\N{MATHEMATICAL ITALIC EPSILON SYMBOL}",
}
_ITALIC_PREFIXES = {
    "LATIN CAPITAL LETTER ": "MATHEMATICAL ITALIC CAPITAL ",
    "LATIN SMALL LETTER ": "MATHEMATICAL ITALIC SMALL ",
    "GREEK CAPITAL LETTER ": "MATHEMATICAL ITALIC CAPITAL ",
    "GREEK SMALL LETTER ": "MATHEMATICAL ITALIC SMALL ",
    "GREEK CAPITAL ": "MATHEMATICAL ITALIC CAPITAL ",  # GREEK CAPITAL THETA SYMBOL
    "GREEK ": "MATHEMATICAL ITALIC ",  # GREEK THETA SYMBOL, GREEK PHI SYMBOL...
    "": "MATHEMATICAL ITALIC ",  # NABLA, PARTIAL DIFFERENTIAL
}


def italic(character: str) -> str | None:
    """The character MathML Core draws for ``character`` alone in an ``<mi>`` (its
    mathematical italic form: ``x`` -> U+1D465, ``h`` -> U+210E, alpha -> U+1D6FC,
    ``∂`` -> U+1D715), or None where it draws the character itself (digits, ``.``)."""
    name = unicodedata.name(character, "")
    if name in _ITALIC_EXCEPTIONS:
        return _ITALIC_EXCEPTIONS[name]
    for prefix, replacement in _ITALIC_PREFIXES.items():
        if name.startswith(prefix) and name:
            try:
                return unicodedata.lookup(replacement + name.removeprefix(prefix))
            except KeyError:
                continue
    return None


def ignorable(character: str) -> bool:
    """Whether a character is one that no font draws and a browser skips, rather than
    look for in another font: a variation selector (``\\mathcal`` writes U+FE00 after
    its letter) or a format character (U+2061, the invisible function application)."""
    code = ord(character)
    return (
        unicodedata.category(character) == "Cf"
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0x180B <= code <= 0x180F
    )


#: Glyphs MathML layout draws that are no element's text: the radical sign of a square
#: root or an n-th root (``\\sqrt``), in its size variants.
IMPLIED = {"msqrt": "\N{SQUARE ROOT}", "mroot": "\N{SQUARE ROOT}"}


class _MathText(HTMLParser):
    """Collects what ``<math>`` elements draw (their text, not ``alttext``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.characters: set[str] = set()
        self._depth = 0  # inside a <math> element when > 0
        self._identifier: list[str] | None = None  # text of the open <mi>
        self._auto = False  # whether that <mi> is drawn in italic

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "math":
            self._depth += 1
        elif self._depth and tag in IMPLIED:
            self.characters.add(IMPLIED[tag])
        elif self._depth and tag == "mi":
            self._identifier = []
            self._auto = dict(attrs).get("mathvariant") != "normal"

    def handle_endtag(self, tag: str) -> None:
        if tag == "math":
            self._depth = max(0, self._depth - 1)
        elif tag == "mi" and self._identifier is not None:
            text = "".join(self._identifier).strip()
            if self._auto and len(text) == 1 and (form := italic(text)) is not None:
                self.characters.add(form)
            self._identifier = None

    def handle_data(self, data: str) -> None:
        if not self._depth:
            return
        self.characters.update(c for c in data if c not in "\n\r\t")
        if self._identifier is not None:
            self._identifier.append(data)


def math_characters(html: str) -> set[str]:
    """Every character the ``<math>`` elements of an HTML document draw, with the
    italic form of each single letter in an ``<mi>`` (see :func:`italic`)."""
    parser = _MathText()
    parser.feed(html)
    parser.close()
    return parser.characters


def site_characters(site_dir: Path) -> set[str]:
    """:func:`math_characters` of every HTML page of a built site."""
    characters: set[str] = set()
    for page in sorted(site_dir.rglob("*.html")):
        characters |= math_characters(page.read_text(encoding="utf-8"))
    return characters


def font_characters(font: Path | bytes) -> set[str]:
    """The characters a font file maps to glyphs (its ``cmap``)."""
    from fontTools.ttLib import TTFont

    source = io.BytesIO(font) if isinstance(font, bytes) else font
    with TTFont(source) as opened:
        return {chr(code) for code in opened.getBestCmap()}


def subset(source: Path, characters: Iterable[str]) -> bytes:
    """``source`` cut to ``characters`` and what its MATH table and default layout
    features reach from them, as WOFF2; its hinting and names (the copyright and
    licence among them) kept. The same input gives the same bytes.

    The font's optional features (stylistic sets, script-style forms) are left out:
    Chromium's MathML does not ask for them, and keeping every feature doubles the
    file. Every formula of the formula-heavy pages, screenshot with the full font and
    with this cut at 1280 and 390 px, looked the same."""
    from fontTools import subset as cut

    options = cut.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # copyright, licence and its address
    options.notdef_outline = True
    options.recalc_timestamp = False
    font = cut.load_font(str(source), options)
    try:
        subsetter = cut.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in characters))
        subsetter.subset(font)
        buffer = io.BytesIO()
        cut.save_font(font, buffer, options)
    finally:
        font.close()
    return buffer.getvalue()


def build_site(site_dir: Path, config: Path) -> None:
    """``properdocs build --strict`` of ``config`` into ``site_dir``."""
    builder = Path(sys.executable).with_name("properdocs")
    subprocess.run(
        [str(builder), "build", "--strict", "--quiet", "-f", str(config), "-d", str(site_dir)],
        check=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--config", type=Path, default=Path("mkdocs.yml"))
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="report a stale font, write none")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            site = Path(scratch) / "site"
            build_site(site, args.config)
        wanted = site_characters(site)
    missing = {c for c in wanted if not ignorable(c)} - font_characters(args.source)
    if missing:
        codes = ", ".join(f"U+{ord(c):04X} {c}" for c in sorted(missing))
        print(f"{args.source} has no glyph for: {codes}", file=sys.stderr)
        return 1
    font = subset(args.source, wanted)
    if args.out.is_file() and args.out.read_bytes() == font:
        return 0
    if args.check:
        print(f"{args.out}: stale; run make font", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(font)
    print(f"{args.out}: written, {len(wanted)} characters, {len(font)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
