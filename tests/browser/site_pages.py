"""The pages of the site, as the browser tests address them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crossentropy_site.notebooks import page_url

from tests._sybil_markdown import iter_fences

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


@dataclass(frozen=True)
class FirstExample:
    """A page's first Python example, as its copy button is tested."""

    index: int  # its position among the page's highlighted blocks
    blocks: int  # how many highlighted blocks the page has
    source: str  # the fence's code
    followed_by_output: bool  # the next block is its output, with nothing between


#: Fences of mkdocs.yml's own kinds, rendered as figures and tables, not code blocks.
CUSTOM_FENCES = {"figure", "benchmark-table"}


def _first_example(text: str) -> FirstExample | None:
    fences = [fence for fence in iter_fences(text) if fence.language not in CUSTOM_FENCES]
    for index, fence in enumerate(fences):
        if fence.language == "python":
            after = fences[index + 1] if index + 1 < len(fences) else None
            followed = (
                after is not None
                and after.language == "text"
                and not text[fence.end : after.start].strip()
            )
            return FirstExample(index, len(fences), fence.source(text), followed)
    return None


#: The pages with a Python example, and their first.
FIRST_EXAMPLES: dict[str, FirstExample] = {
    path: example
    for path, source in SOURCES.items()
    if (example := _first_example(source.read_text(encoding="utf-8"))) is not None
}
