"""crossentropy_site.glossary: the glossary's terms, read from its table."""

from __future__ import annotations

from pathlib import Path

from crossentropy_site.glossary import GLOSSARY, terms
from crossentropy_site.pages import Page, markdown_files

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_terms_come_from_the_terms_table_only() -> None:
    text = (
        "# Glossary\n\n## The basics\n\n| Term | Meaning | Where |\n| --- | --- | --- |\n"
        "| entropy | Not a tooltip. | x |\n\n## Terms\n\n| Term | Meaning | Where |\n"
        "| --- | --- | --- |\n| nat | About 1.44{const: a reason} bits. | x |\n\nAfter.\n"
    )
    assert terms(text) == {"nat": "About 1.44 bits."}


def test_every_term_of_the_glossary_is_used_on_the_site() -> None:
    glossary = terms((DOCS / GLOSSARY).read_text(encoding="utf-8"))
    assert len(glossary) >= 20
    pages = [Page.read(p).text for p in markdown_files([DOCS]) if p != DOCS / GLOSSARY]
    unused = [term for term in glossary if not any(term in text for text in pages)]
    assert unused == []
    assert all('"' not in meaning for meaning in glossary.values())  # safe in a title
