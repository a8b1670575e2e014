"""The glossary's terms, explained on hover wherever they appear.

The glossary page (``docs/reference/glossary.md``) holds, under its heading
``## Terms``, a table whose rows give a term and its meaning in plain text. This
Markdown extension appends to every page an abbreviation definition for each
(``*[term]: meaning``), which Python-Markdown's ``abbr`` extension turns into
``<abbr title="meaning">`` around each occurrence of the term, and Material's
``content.tooltips`` feature shows as a tooltip. The glossary page is the one
source: a term added there is explained everywhere.

Without a site (no docs directory to read the glossary from), pages are left as
they are.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .pages import Page
from .project import project

__all__ = ["GLOSSARY", "GlossaryExtension", "makeExtension", "terms"]

#: The glossary page, relative to the docs directory.
GLOSSARY = "reference/glossary.md"
_ROW = re.compile(r"^\|\s*(?P<term>[^|]+?)\s*\|\s*(?P<meaning>[^|]+?)\s*\|")


def terms(text: str) -> dict[str, str]:
    """The terms of the glossary's ``## Terms`` table, with their meanings (bound
    and declared numbers as the numbers they state)."""
    section = Page(text).without_markup().split("\n## Terms", 1)
    if len(section) < 2:
        return {}
    body = section[1].split("\n## ", 1)[0]
    found = {}
    for line in body.splitlines():
        row = _ROW.match(line)
        if row and row["term"] not in ("Term", "---"):
            found[row["term"]] = row["meaning"]
    return found


@functools.lru_cache(maxsize=4)
def _definitions(path: Path, stamp: float) -> str:
    return "".join(
        f"*[{term}]: {meaning}\n"
        for term, meaning in terms(path.read_text(encoding="utf-8")).items()
    )


class _Append(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        site = project(self.md)
        if site is None:
            return lines
        path = site.docs_dir / GLOSSARY
        if not path.is_file():
            return lines
        return [*lines, "", *_definitions(path, path.stat().st_mtime).splitlines()]


class GlossaryExtension(Extension):
    """Python-Markdown extension: see the module docstring (needs ``abbr``)."""

    def extendMarkdown(self, md: Markdown) -> None:
        # Before abbr's own preprocessor reads the definitions (it is a block
        # processor in Python-Markdown 3.4+, so any preprocessor runs first).
        md.preprocessors.register(_Append(md), "crossentropy_glossary", 20)


def makeExtension(**kwargs: Any) -> GlossaryExtension:
    return GlossaryExtension(**kwargs)
