"""crossentropy_site.llms: the site as plain Markdown, and llms.txt, kept current."""

from __future__ import annotations

import re
from pathlib import Path

from crossentropy_site.llms import generated_files, main
from crossentropy_site.notebooks import markdown_path
from crossentropy_site.pages import markdown_files

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_committed_files_are_current() -> None:
    # make docs-update rewrites them; a page changed without it fails here.
    assert main([str(DOCS), "--check"]) == 0


def test_every_page_has_its_markdown_and_a_line_in_llms_txt() -> None:
    files = generated_files(DOCS)
    index = files[DOCS / "llms.txt"]
    pages = [p for p in markdown_files([DOCS]) if "markdown" not in p.relative_to(DOCS).parts[:1]]
    for path in pages:
        target = markdown_path(path.relative_to(DOCS).as_posix())
        assert DOCS / target in files
        assert f"/{target})" in index
    assert index.startswith("# crossentropy\n\n> ")
    assert re.findall(r"^## (.+)$", index, re.MULTILINE) == [
        "The site",
        "Tutorials",
        "How-to guides",
        "Explanations",
        "Reference",
    ]


def test_the_markdown_is_clean() -> None:
    files = generated_files(DOCS)
    for path, text in files.items():
        assert not re.search(r"\d\{= ", text), path  # a bound number's markup
        assert not text.startswith("---\n"), path  # a page's YAML front matter
        for left in ("{const:", "\\label{", "\\eqref{", "% check:", "% unchecked:", "<!--"):
            assert left not in text, (path, left)
    gradient = files[DOCS / "markdown/explanation/gradient.txt"]
    assert "\\tag{4}" in gradient  # numbered as on the site
    assert "[(1)](https://crossentropy-docs.github.io/crossentropy/explanation/gradient/#eq-" in (
        gradient
    )
    assert "```text\n[-0.340999  0.242433  0.098566]" in gradient  # outputs kept
    assert gradient.endswith(
        "From https://crossentropy-docs.github.io/crossentropy/explanation/gradient/\n"
    )
