"""The site as plain Markdown, for readers who paste pages into an assistant.

    python -m crossentropy_site.llms [--check] [DOCS]      (default: docs)

writes, from the pages as they are:

* ``DOCS/markdown/<page>.txt``: each page as clean Markdown: bound numbers as the
  numbers they state, outputs under their code, math as TeX (numbered formulas
  with their ``\\tag``, references as their numbers), figures as their captions,
  links absolute, and nothing the site's tools read but readers do not (skip
  markers, formula-check directives). It is linked under each page's title.
* ``DOCS/llms.txt``: the index of the `llms.txt` convention: the site's name, a
  summary, and a link to each page's Markdown, by section.
* ``DOCS/llms-full.txt``: every page's Markdown, one after another.

The builder copies them as they are. ``--check`` writes nothing and exits with
status 1 if any file is missing or stale (the tests run it); ``make docs-update``
regenerates them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .equations import EQREF, numbered, site_labels
from .notebooks import MARKDOWN_FOLDER as FOLDER
from .notebooks import _absolute, _figure_text, markdown_path, page_url
from .pages import CUSTOM_FENCES, FRONT_MATTER, TITLE, Page, markdown_files

__all__ = ["clean_markdown", "generated_files", "main", "markdown_path"]

#: Where the site is published (mkdocs.yml's default ``site_url``).
SITE_URL = "https://crossentropy-docs.github.io/crossentropy/"
_COMMENT = re.compile(r"[ \t]*<!--.*?-->[ \t]*\n?", re.DOTALL)
_DIRECTIVE = re.compile(r"^[ \t>]*%[ \t]*(?:check|unchecked):.*\n", re.MULTILINE)
_LABEL = re.compile(r"\\label\{(?P<name>[^{}]+)\}")
_LINK = re.compile(r"(?P<open>\]\()(?P<target>[^)\s]+)(?P<close>(?:\s+\"[^\"]*\")?\))")
_SUMMARY = (
    "The reference documentation for cross-entropy: its derivations (entropy, "
    "KL divergence, likelihood, the gradient, logits and log-sum-exp), how-to guides "
    "for PyTorch, Keras, optax and scikit-learn users, and `crossentropy`, a NumPy "
    "package whose every example and formula on this site is checked by its tests."
)


#: YAML front matter (settings for the builder, such as a search boost) is no text.
_FRONT_MATTER = re.compile(FRONT_MATTER.pattern + r"\s*", re.DOTALL)


def clean_markdown(page: Page, relative: str, site_url: str, docs_dir: Path) -> str:
    """The page as plain Markdown (see the module docstring)."""
    labels = site_labels(docs_dir)
    own = numbered(page)
    url = site_url + page_url(relative)
    pieces, position = [], 0
    for fence in page.fences:
        if fence.language not in CUSTOM_FENCES:
            continue
        pieces.append(page.text[position : fence.start])
        pieces.append(_figure_text(page, fence, url))
        position = fence.end
    pieces.append(page.text[position:])
    text = Page(_FRONT_MATTER.sub("", "".join(pieces), count=1)).without_markup()
    text = _COMMENT.sub("", text)
    text = _DIRECTIVE.sub("", text)
    text = _LABEL.sub(lambda m: f"\\tag{{{own[m['name']]}}}", text)

    def reference(match: re.Match[str]) -> str:
        target = labels[match["name"]]
        link = site_url + page_url(target.page) + f"#eq-{match['name']}"
        if target.page == relative:
            return f"[({target.number})]({link})"
        return f"[{target.title} ({target.number})]({link})"

    text = EQREF.sub(reference, text)
    text = _LINK.sub(
        lambda m: m["open"] + _absolute(m["target"], relative, site_url) + m["close"], text
    )
    return text.strip() + f"\n\n---\n\nFrom {url}\n"


#: The sections of ``llms.txt``, in the order of the site's navigation.
SECTIONS = {
    "": "The site",
    "tutorial": "Tutorials",
    "how-to": "How-to guides",
    "explanation": "Explanations",
    "reference": "Reference",
}


def _sections(pages: list[Path], docs_dir: Path) -> dict[str, list[Path]]:
    sections: dict[str, list[Path]] = {name: [] for name in SECTIONS.values()}
    for path in pages:
        part = path.relative_to(docs_dir).parts
        sections[SECTIONS.get(part[0] if len(part) > 1 else "", "The site")].append(path)
    return {name: paths for name, paths in sections.items() if paths}


def _first_sentence(markdown: str) -> str:
    """The first sentence of a page's clean Markdown, links as their text."""
    body = TITLE.split(markdown, maxsplit=1)[-1]
    for fence in Page(body).fences:
        body = body.replace(body[fence.start : fence.end], "")
    for paragraph in body.split("\n\n"):
        text = " ".join(paragraph.split())
        if text and (text[0].isalpha() or text[0] in "*`$") and not text.startswith("In the API"):
            sentence = re.split(r"(?<=[.?])\s", text, maxsplit=1)[0]
            sentence = re.sub(r"\[\^[\w-]+\]", "", sentence)
            return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", sentence)
    return ""


def generated_files(docs_dir: Path, site_url: str = SITE_URL) -> dict[Path, str]:
    """Every file this module writes, with its content."""
    pages = [
        p for p in markdown_files([docs_dir]) if FOLDER not in p.relative_to(docs_dir).parts[:1]
    ]
    files: dict[Path, str] = {}
    full = [f"# crossentropy\n\n> {_SUMMARY}\n"]
    index = [f"# crossentropy\n\n> {_SUMMARY}\n"]
    for section, paths in _sections(pages, docs_dir).items():
        index.append(f"\n## {section}\n")
        for path in paths:
            relative = path.relative_to(docs_dir).as_posix()
            page = Page.read(path)
            markdown = clean_markdown(page, relative, site_url, docs_dir)
            target = markdown_path(relative)
            files[docs_dir / target] = markdown
            full.append("\n---\n\n" + markdown)
            name = page.title or relative
            summary = _first_sentence(markdown)
            index.append(f"- [{name}]({site_url}{target})" + (f": {summary}" if summary else ""))
    files[docs_dir / "llms.txt"] = "\n".join(index) + "\n"
    files[docs_dir / "llms-full.txt"] = "".join(full)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="?", type=Path, default=Path("docs"))
    parser.add_argument("--check", action="store_true", help="report stale files, write none")
    args = parser.parse_args(argv)
    files = generated_files(args.docs)
    stale = [
        path
        for path, content in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]
    folder = args.docs / FOLDER
    extra = [p for p in folder.rglob("*.txt") if p not in files] if folder.is_dir() else []
    if args.check:
        for path in [*stale, *extra]:
            print(f"{path}: stale; run make docs-update", file=sys.stderr)
        return 1 if stale or extra else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"{path}: written")
    for path in extra:
        path.unlink()
        print(f"{path}: removed (its page is gone)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
