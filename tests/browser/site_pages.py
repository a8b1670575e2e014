"""The pages of the site, as the browser tests address them."""

from __future__ import annotations

from pathlib import Path

from crossentropy_site.notebooks import page_url

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"


def page_path(source: Path) -> str:
    """Site path of a Markdown page (``use_directory_urls``): ``how-to/bits/``."""
    return page_url(source.relative_to(DOCS).as_posix())


SOURCES: dict[str, Path] = {page_path(md): md for md in sorted(DOCS.rglob("*.md"))}
#: Every page of the site: one per Markdown file, plus the 404 page.
PAGES = [*SOURCES, "404.html"]


def page_id(path: str) -> str:
    return path or "home"
