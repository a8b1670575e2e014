"""Where the site's files are, as seen from inside a Markdown extension.

The site's extensions need a few facts that Python-Markdown does not carry: the
directory of the site's config file (data files such as ``benchmarks/results.json``
are named relative to it), the docs directory, the site's address, and which page
is being converted. No builder hands these to a Markdown extension, and the site has
no MkDocs plugin or hook of its own (so that any builder that runs Python-Markdown
extensions can build it), so this module asks the builder that is running, in one
place:

* **MkDocs and ProperDocs** register a ``relpath`` tree processor on every page's
  ``Markdown`` instance before converting it; it holds the page's file and the
  loaded config (``config_file_path``, ``docs_dir``, ``site_url``).
* **Zensical** keeps its loaded config in :func:`zensical.config.get_config`
  (``root_dir``, ``docs_dir``, ``site_url``); the page is then found by its text
  among the docs directory's Markdown files.

Anything else (a plain ``markdown.markdown()`` call, mkdocstrings rendering a
docstring) has no project: :func:`project` returns None and callers say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Project", "current_page", "find_page", "project"]


@dataclass(frozen=True)
class Project:
    """The site being built, and the page being converted."""

    config_dir: Path  # directory of mkdocs.yml: data paths are relative to it
    docs_dir: Path
    site_url: str | None  # the published address, ending in "/", if configured
    page: Path | None  # the Markdown file being converted, if known

    def resolve(self, path: str) -> Path:
        """``path`` relative to the config file's directory (absolute paths stay)."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.config_dir / candidate


def _with_slash(url: Any) -> str | None:
    if not url:
        return None
    text = str(url)
    return text if text.endswith("/") else text + "/"


def _from_mkdocs(md: Any) -> Project | None:
    processors = getattr(md, "treeprocessors", None)
    if processors is None or "relpath" not in processors:
        return None
    relpath = processors["relpath"]
    config = getattr(relpath, "config", None)
    page = getattr(relpath, "file", None)
    if config is None or not config.get("config_file_path"):
        return None
    source = getattr(page, "abs_src_path", None)
    return Project(
        config_dir=Path(config["config_file_path"]).resolve().parent,
        docs_dir=Path(config["docs_dir"]).resolve(),
        site_url=_with_slash(config.get("site_url")),
        page=Path(source) if source else None,
    )


def _from_zensical(md: Any) -> Project | None:
    try:
        from zensical.config import get_config  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        config = get_config()
    except Exception:  # not loaded: not a Zensical build
        return None
    if not isinstance(config, dict) or "root_dir" not in config:
        return None
    root = Path(config["root_dir"]).resolve()
    docs_dir = (root / config.get("docs_dir", "docs")).resolve()
    return Project(
        config_dir=root,
        docs_dir=docs_dir,
        site_url=_with_slash(config.get("site_url")),
        page=None,
    )


def project(md: Any) -> Project | None:
    """The project of the builder converting with ``md``, or None outside a site build."""
    return _from_mkdocs(md) or _from_zensical(md)


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _pages_by_text(docs_dir: Path) -> dict[str, Path]:
    pages: dict[str, Path] = {}
    for path in sorted(docs_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n"):  # YAML front matter: builders strip it
            end = text.find("\n---", 4)
            text = text[end + 4 :] if end != -1 else text
        pages[_normalised(text)] = path
    return pages


def find_page(site: Project, source: str) -> Path | None:
    """The page whose Markdown is ``source``: the builder's answer, or found by its text."""
    if site.page is not None:
        return site.page
    return _pages_by_text(site.docs_dir).get(_normalised(source))


#: The attribute of a ``Markdown`` instance that holds the page it is converting.
_PAGE_ATTRIBUTE = "crossentropy_site_page"


def current_page(md: Any, site: Project | None, source: str | None = None) -> Path | None:
    """The page ``md`` is converting. The first of the site's preprocessors passes
    the page's text as written (``source``): the page is found (:func:`find_page`)
    and remembered on ``md`` for the extensions that run after it, which see a text
    already changed and pass no ``source``."""
    if source is not None:
        path = None if site is None else find_page(site, source)
        setattr(md, _PAGE_ATTRIBUTE, path)
        return path
    remembered: Path | None = getattr(md, _PAGE_ATTRIBUTE, None)
    return remembered
