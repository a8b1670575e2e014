"""The site under Zensical, the builder that comes after Material for MkDocs.

mkdocs-material reaches end of life in 2027 and MkDocs 1.x is unmaintained;
Zensical reads the same ``mkdocs.yml``, runs the Markdown extensions and its own
mkdocstrings and search, and skips every MkDocs plugin and hook (the site has none of
its own: ``tests/test_site_build.py``). These tests build the site with the newest
Zensical that installs from the registry here (pinned in
``requirements/constraints.txt``; 0.0.74 and 0.1.x need a ``zensical-ui`` release
that is not served) and check, page by page against the ProperDocs build, what
readers need: MathML formulas, numbered equations and their anchors, bound numbers
rendered, figures, tables, code blocks, notebook links and the API reference.

What does not work under Zensical yet is an expected failure that says why, and
CONTRIBUTING.md has the migration note.
"""

from __future__ import annotations

import functools
import html
import os
import re
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

import crossentropy

REPO_ROOT = Path(__file__).resolve().parents[1]

#: The page content (the article), without the navigation and table of contents that
#: the two themes draw differently (Zensical also renders math in the contents list).
_ARTICLE = re.compile(r"<article\b.*?</article>", re.S)

#: What readers need, counted in each page's article: pattern -> what it is.
_COUNTED = {
    r"<math\b": "MathML formulas",
    r'<div class="equation" id="eq-[^"]+"': "numbered equations",
    r"<mtext>\(\d+\)</mtext>": "equation numbers",
    r"<figure\b": "figures",
    r'<svg class="ce-figure"': "figures drawn from the page's code",
    r"<table\b": "tables",
    r'class="highlight"': "code blocks",
    r"<abbr\b": "glossary terms",
}


@pytest.fixture(scope="module")
def zensical_site(site_builds: dict[str, Path]) -> Path:
    """The site built by ``zensical build --strict`` (``site_builds`` in
    ``tests/conftest.py`` builds it beside MkDocs and ProperDocs)."""
    if "zensical" not in site_builds:
        reason = f"zensical is not installed beside {sys.executable} (the test extra has it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return site_builds["zensical"]


@functools.cache
def _pages(site: Path) -> dict[str, str]:
    """Each built page's article, by its path in the site (read once per site)."""
    pages = {}
    for path in sorted(site.rglob("index.html")):
        relative = path.relative_to(site).as_posix()
        if relative.startswith(("markdown/", "assets/")):
            continue
        match = _ARTICLE.search(path.read_text(encoding="utf-8"))
        assert match is not None, f"{relative}: no <article>"
        pages[relative] = match.group(0)
    return pages


def test_zensical_builds_every_page(zensical_site: Path, site_builds: dict[str, Path]) -> None:
    expected = set(_pages(site_builds["properdocs"]))
    built = set(_pages(zensical_site))
    assert built == expected, (
        f"only ProperDocs: {sorted(expected - built)}; only Zensical: {sorted(built - expected)}"
    )
    assert (zensical_site / "404.html").is_file()
    assert len(built) > 30


def test_pages_have_what_readers_need(zensical_site: Path, site_builds: dict[str, Path]) -> None:
    """Every page has as many formulas, equation numbers, figures, tables, code blocks
    and glossary terms as the ProperDocs build, and the same equation anchors."""
    reference = _pages(site_builds["properdocs"])
    built = _pages(zensical_site)
    differences = []
    for page, article in reference.items():
        for pattern, what in _COUNTED.items():
            want = len(re.findall(pattern, article))
            got = len(re.findall(pattern, built[page]))
            if got != want:
                differences.append(f"{page}: {what}: {got} under Zensical, {want} under ProperDocs")
        anchors = Counter(re.findall(r'id="(eq-[^"]+)"', article))
        if Counter(re.findall(r'id="(eq-[^"]+)"', built[page])) != anchors:
            differences.append(f"{page}: equation anchors differ")
    assert not differences, "\n".join(differences)
    everything = "".join(built.values())
    assert everything.count("<math") > 1000
    assert everything.count('class="equation"') > 80


def test_bound_numbers_are_rendered(zensical_site: Path) -> None:
    """``0.80{= expr}`` shows as 0.80: no binding markup reaches a reader."""
    leftovers = [
        f"{page}: {match.group(0)!r}"
        for page, article in _pages(zensical_site).items()
        for match in re.finditer(r"\{(?:=|const:)[^}]*\}", html.unescape(_text(article)))
    ]
    assert not leftovers, "\n".join(leftovers[:20])


def _text(article: str) -> str:
    """The article's text outside code and formulas (whose TeX, in ``alttext``, may
    hold braces of its own)."""
    return re.sub(r"<pre\b.*?</pre>|<code\b.*?</code>|<math\b.*?</math>", "", article, flags=re.S)


def test_notebook_links_lead_to_notebooks(
    zensical_site: Path, site_builds: dict[str, Path]
) -> None:
    """Each page that has a notebook under ProperDocs has it under Zensical, and the
    link leads to it, a file of the built site."""
    link = re.compile(r'<a\b[^>]*\bdownload="([^"]+\.ipynb)"[^>]*\bhref="([^"]+)"')
    reference = {
        page: sorted(name for name, _ in link.findall(article))
        for page, article in _pages(site_builds["properdocs"]).items()
    }
    built = _pages(zensical_site)
    assert sum(map(len, reference.values())) > 20
    for page, names in reference.items():
        found = link.findall(built[page])
        assert sorted(name for name, _ in found) == names, page
        for _, href in found:
            target = (zensical_site / page).parent / urllib.parse.unquote(href.split("#")[0])
            assert target.is_file(), f"{page}: notebook link {href} leads nowhere"


def test_api_reference_documents_every_public_name(zensical_site: Path) -> None:
    api = _pages(zensical_site)["reference/api/index.html"]
    missing = [name for name in crossentropy.__all__ if f'id="crossentropy.{name}"' not in api]
    assert not missing, f"not in Zensical's API reference: {missing}"
    assert api.count("<math") > 100  # the docstrings' formulas, as MathML


@pytest.mark.xfail(
    reason=(
        "Zensical 0.0.73's mkdocstrings converts each docstring with no page to hand to "
        "the Markdown extensions (crossentropy_site.project finds a page by its text, and "
        "a docstring is no page's text), so the API reference's formulas lose their "
        "'checked' notes; the formulas themselves are there and still checked by "
        "tests/test_docstring_formulas.py"
    ),
    strict=True,
)
def test_api_reference_formulas_carry_their_checked_notes(
    zensical_site: Path, site_builds: dict[str, Path]
) -> None:
    want = _pages(site_builds["properdocs"])["reference/api/index.html"].count("formula-check")
    got = _pages(zensical_site)["reference/api/index.html"].count("formula-check")
    assert want > 10
    assert got == want
