"""Each page with Python examples, as a Jupyter notebook, built from the page itself.

The notebook holds the page in order: its text as Markdown cells (links made absolute,
admonitions as quotes, figures and tables as their captions with a link to the page),
each example as a code cell, and as that cell's output what the page shows under it
(its ``text`` fence), which is what the tests check the code prints. Skipped examples
are shown as code in a Markdown cell, not run.

The notebooks are files of the docs, ``docs/notebooks/<name>.ipynb``, which every
builder copies as it is:

    python -m crossentropy_site.notebooks [--check] [DOCS]      (default: docs)

writes them from the pages as they are (``make docs-update`` runs it; ``--check`` writes
nothing and exits with status 1 if any is missing or stale, as the tests do). As a
Markdown extension (``crossentropy_site.notebooks``) it puts a download link to the
page's notebook under the page's title at build time, and a link to the page's plain
Markdown (``crossentropy_site.llms``). A reader fetches a notebook when they ask for
it, not with every visit to the page. ``tests/test_notebooks.py`` follows every link in
the built site and runs the notebook in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import posixpath
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .pages import CUSTOM_FENCES, FRONT_MATTER, Example, Fence, Page, markdown_files
from .project import current_page, find_page, project

__all__ = [
    "DATA_TAG",
    "NOTEBOOK_FOLDER",
    "SITE_URL",
    "NotebookExtension",
    "download_name",
    "generated_notebooks",
    "main",
    "makeExtension",
    "notebook",
    "notebook_path",
    "page_url",
]

#: Where the site is published (mkdocs.yml's default ``site_url``): the address the
#: generated files (notebooks, plain Markdown) link to.
SITE_URL = "https://crossentropy-docs.github.io/crossentropy/"

_LINK = re.compile(r"(?P<open>\]\()(?P<target>[^)\s]+)(?P<close>(?:\s+\"[^\"]*\")?\))")
_ADMONITION = re.compile(
    r"^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+(?P<kind>[\w-]+)"
    r'(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$'
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FOOTNOTE_DEFINITION = re.compile(
    r"^\[\^[\w-]+\]:[ \t]*(?P<body>.*(?:\n(?:[ \t]{4}.*|[ \t]*(?=\n[ \t]{4})))*)", re.MULTILINE
)
_FOOTNOTE_REFERENCE = re.compile(r"\[\^[\w-]+\]")
#: The tag of the cell that writes a page's data files (not one of the page's examples).
DATA_TAG = "data"
_TITLE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def page_url(relative: str) -> str:
    """The site path of a docs file (``use_directory_urls``): ``how-to/bits/``."""
    path = PurePosixPath(relative)
    if path.suffix != ".md":
        return relative
    parts = path.with_suffix("").parts
    if parts and parts[-1] == "index":
        parts = parts[:-1]
    return "".join(f"{part}/" for part in parts)


#: The folder of the pages' plain Markdown (crossentropy_site.llms), in the docs.
MARKDOWN_FOLDER = "markdown"


def markdown_path(relative: str) -> str:
    """Where a page's plain Markdown is: ``explanation/gradient.md`` ->
    ``markdown/explanation/gradient.txt``."""
    return f"{MARKDOWN_FOLDER}/{relative.removesuffix('.md')}.txt"


def download_name(relative: str) -> str:
    """The notebook's file name: ``explanation-gradient.ipynb``, ``index.ipynb``."""
    stem = PurePosixPath(relative).with_suffix("").as_posix().replace("/", "-")
    return f"{stem.removesuffix('-index') or 'index'}.ipynb"


#: The folder of the pages' notebooks, in the docs.
NOTEBOOK_FOLDER = "notebooks"


def notebook_path(relative: str) -> str:
    """Where a page's notebook is in the docs: ``explanation/gradient.md`` ->
    ``notebooks/explanation-gradient.ipynb``."""
    return f"{NOTEBOOK_FOLDER}/{download_name(relative)}"


def _absolute(target: str, relative: str, site_url: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto:, data:
        return target
    path, _, anchor = target.partition("#")
    if not path:
        resolved = page_url(relative)
    else:
        resolved = page_url(posixpath.normpath(posixpath.join(posixpath.dirname(relative), path)))
    return site_url + resolved + (f"#{anchor}" if anchor else "")


def _markdown(
    text: str, relative: str, site_url: str, quoted: int | None
) -> tuple[str, int | None]:
    """A stretch of page text as notebook Markdown: absolute links, admonitions as
    block quotes. ``quoted`` is the indentation of an admonition the stretch starts
    inside (after a fence in its body); returned for the next stretch."""
    text = _COMMENT.sub("", text)  # skip markers and other comments are not for readers
    # Footnotes (the sources): definitions as a list, references dropped (Jupyter's
    # Markdown has no footnotes).
    text = _FOOTNOTE_DEFINITION.sub(lambda m: "- " + " ".join(m["body"].split()), text)
    text = _FOOTNOTE_REFERENCE.sub("", text)
    text = _LINK.sub(
        lambda m: m["open"] + _absolute(m["target"], relative, site_url) + m["close"], text
    )
    out: list[str] = []
    for line in text.split("\n"):
        header = _ADMONITION.match(line)
        if header:
            quoted = len(header["indent"])
            title = header["title"] or header["kind"].capitalize()
            out.append(f"> **{title}**")
            out.append(">")
            continue
        if quoted is not None:
            indent = len(line) - len(line.lstrip(" "))
            if not line.strip():
                out.append(">")
                continue
            if indent > quoted:
                out.append("> " + line[quoted + 4 :])
                continue
            quoted = None
        out.append(line)
    while out and out[-1] in ("", ">"):
        out.pop()
    while out and out[0] in ("", ">"):
        out.pop(0)
    return "\n".join(out), quoted


def _cell_id(kind: str, index: int, source: str) -> str:
    digest = hashlib.sha1(f"{kind}{index}{source}".encode(), usedforsecurity=False)
    return digest.hexdigest()[:12]


def _source_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines:
        lines[-1] = lines[-1].rstrip("\n")
    return lines


def _code_cell(index: int, code: str, output: str | None) -> dict[str, Any]:
    outputs = []
    if output:
        text = (output if output.endswith("\n") else output + "\n").splitlines(keepends=True)
        outputs.append({"name": "stdout", "output_type": "stream", "text": text})
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": _cell_id("code", index, code),
        "metadata": {},
        "outputs": outputs,
        "source": _source_lines(code.rstrip("\n")),
    }


def _markdown_cell(index: int, text: str) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": _cell_id("markdown", index, text),
        "metadata": {},
        "source": _source_lines(text),
    }


def _doctest_cells(example: Example) -> Iterator[tuple[str, str]]:
    """(code, shown output) of each ``>>>`` statement of a doctest block."""
    code: list[str] = []
    shown: list[str] = []
    for line in example.source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(">>>"):
            if code:
                yield "\n".join(code), "\n".join(shown)
            code, shown = [stripped[4:]], []
        elif stripped.startswith("...") and not shown:
            code.append(stripped[4:])
        elif code:
            shown.append(line)
    if code:
        yield "\n".join(code), "\n".join(shown)


def _reason(expression: str) -> str:
    """A skip marker's reason, a Python string literal as in Sybil, as text."""
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return expression
    return str(value)


def _figure_text(page: Page, fence: Fence, url: str) -> str:
    body = page.text[fence.content_start : fence.content_end]
    caption = re.search(r"^[ \t>]*caption:[ \t]*(.*)$", body, re.MULTILINE)
    what = "Figure" if fence.language == "figure" else "Table"
    text = Page(caption[1]).without_markup() if caption else ""
    if not text:
        return f"*{what}: see [the page]({url}).*"
    return f"*{what}, drawn on [the page]({url}): {text}*"


def _data_cell(index: int, data: dict[str, str]) -> dict[str, Any]:
    """A code cell that writes ``data`` (path -> text) where the page's code reads it,
    unless a file is there already (in a checkout of the repository it is)."""
    files = "".join(f"    {name!r}: {text!r},\n" for name, text in data.items())
    code = (
        "# The data this page reads, as committed when the site was built: written to\n"
        "# the working directory (unless there already) so that this notebook runs\n"
        "# outside a checkout of the repository.\n"
        "from pathlib import Path\n\n"
        f"DATA = {{\n{files}}}\n"
        "for name, text in DATA.items():\n"
        "    path = Path(name)\n"
        "    if not path.exists():\n"
        "        path.parent.mkdir(parents=True, exist_ok=True)\n"
        '        path.write_text(text, encoding="utf-8")\n'
    )
    cell = _code_cell(index, code, None)
    cell["metadata"] = {"tags": [DATA_TAG]}
    return cell


def notebook(
    page: Page, relative: str, site_url: str, data: dict[str, str] | None = None
) -> dict[str, Any]:
    """The page as an nbformat 4.5 notebook (a JSON-ready dict). ``relative`` is the
    page's path in the docs directory, ``site_url`` the site's address (with "/"),
    ``data`` the files the page's code reads (path -> text; see
    :attr:`Page.notebook_data`), written by a first code cell tagged ``DATA_TAG``."""
    url = site_url + page_url(relative)
    title = page.title
    cells: list[dict[str, Any]] = [
        _markdown_cell(
            0,
            f"*This notebook is the page [{title or relative}]({url}) of the "
            "crossentropy documentation. Run its cells in order: later cells use what "
            "earlier ones define. It needs NumPy and `crossentropy` "
            "(`pip install crossentropy`).*",
        )
    ]
    if data:
        cells.append(_data_cell(len(cells), data))
    examples = {example.fence.start: example for example in page.examples}
    outputs = {example.output.start for example in page.examples if example.output}
    position, quoted = 0, None

    def text_until(end: int) -> None:
        nonlocal quoted
        chunk = Page(page.text[position:end]).without_markup()
        converted, quoted = _markdown(chunk, relative, site_url, quoted)
        if converted.strip(" \n>"):
            cells.append(_markdown_cell(len(cells), converted))

    for fence in page.fences:
        if fence.start in outputs:
            position = fence.end
            continue
        example = examples.get(fence.start)
        if example is None and fence.language not in CUSTOM_FENCES:
            continue  # other code (bash, markdown...) stays in the Markdown text
        text_until(fence.start)
        position = fence.end
        if example is None:
            cells.append(_markdown_cell(len(cells), _figure_text(page, fence, url)))
        elif example.fence.start in page.skipped:
            reason = _reason(page.skipped[example.fence.start])
            listing = f"```python\n{example.source.rstrip()}\n```"
            cells.append(_markdown_cell(len(cells), f"Not run here ({reason}):\n\n{listing}"))
        elif example.is_doctest:
            for code, shown in _doctest_cells(example):
                cells.append(_code_cell(len(cells), code, None))
                if shown:
                    cells[-1]["outputs"] = [
                        {
                            "data": {"text/plain": _source_lines(shown)},
                            "execution_count": None,
                            "metadata": {},
                            "output_type": "execute_result",
                        }
                    ]
        else:
            cells.append(_code_cell(len(cells), example.source, example.expected_output))
    text_until(len(page.text))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_text(document: dict[str, Any]) -> str:
    """A notebook as the JSON text of its file."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _as_converted(path: Path, docs_dir: Path) -> Page:
    """A page as this extension sees it in a build: without its YAML front matter (the
    builder strips it), after the equations extension (which runs first)."""
    from .equations import render, site_labels

    text = path.read_text(encoding="utf-8")
    front = FRONT_MATTER.match(text)
    text = text[front.end() :].lstrip("\n") if front else text
    if "$$" in text or "\\eqref" in text:
        relative = path.relative_to(docs_dir).as_posix()
        text = render(Page(text, path), relative, site_labels(docs_dir))
    return Page(text, path)


def generated_notebooks(
    docs_dir: Path, site_url: str = SITE_URL, config_dir: Path | None = None
) -> dict[Path, str]:
    """Every page's notebook (the pages with Python examples), with its text. Data
    files a page names are read from ``config_dir`` (the folder of mkdocs.yml, by
    default the one above the docs)."""
    base = docs_dir.parent if config_dir is None else config_dir
    files: dict[Path, str] = {}
    for path in markdown_files([docs_dir]):
        relative = path.relative_to(docs_dir).as_posix()
        if relative.startswith(f"{MARKDOWN_FOLDER}/"):
            continue
        page = _as_converted(path, docs_dir)
        if not page.examples:
            continue
        data = {name: (base / name).read_text(encoding="utf-8") for name in page.notebook_data}
        document = notebook(page, relative, site_url, data)
        files[docs_dir / notebook_path(relative)] = notebook_text(document)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write each page's Jupyter notebook.")
    parser.add_argument("docs", nargs="?", type=Path, default=Path("docs"))
    parser.add_argument("--check", action="store_true", help="report stale files, write none")
    args = parser.parse_args(argv)
    files = generated_notebooks(args.docs.resolve())
    stale = [
        path
        for path, content in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]
    folder = args.docs.resolve() / NOTEBOOK_FOLDER
    extra = [p for p in folder.glob("*.ipynb") if p not in files] if folder.is_dir() else []
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


class _DownloadLink(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        site = project(self.md)
        text = "\n".join(lines)
        if site is None:
            return lines
        # Found by the equations extension, which runs first and sees the text as
        # written; found by its text when that extension is not in use.
        path = current_page(self.md, site) or find_page(site, text)
        if path is None:
            return lines
        page = Page(text, path)
        relative = path.resolve().relative_to(site.docs_dir).as_posix()
        if relative.startswith(f"{MARKDOWN_FOLDER}/"):
            return lines
        # The page's plain Markdown (crossentropy_site.llms) and its notebook (written
        # by main()), as Markdown links relative to the page's file: each builder turns
        # them into links relative to the page's address (raw HTML it would pass on as
        # it is, or, as Zensical does, resolve from the file's folder), and a strict
        # build fails if the file is missing.
        here = posixpath.dirname(relative) or "."
        plain = f"[read it as plain Markdown]({posixpath.relpath(markdown_path(relative), here)})"
        if page.examples:
            name = download_name(relative)
            href = posixpath.relpath(notebook_path(relative), here)
            link = (
                f"Run this page yourself: [download it as a Jupyter notebook]({href})"
                f'{{ download="{name}" }}, or {plain} (for an assistant).'
            )
        else:
            link = f"This page for an assistant: {plain}."

        # Under the page's title. Text without one is a piece of the page converted on
        # its own (mkdocstrings converts each docstring section with the page current):
        # it gets no link of its own.
        title = next((i for i, line in enumerate(lines) if line.strip()), None)
        if title is None or not _TITLE.match(lines[title]):
            return lines
        return [*lines[: title + 1], "", link, "{: .ce-notebook }", "", *lines[title + 1 :]]


class NotebookExtension(Extension):
    """Python-Markdown extension: a notebook download link under each page's title."""

    def extendMarkdown(self, md: Markdown) -> None:
        # After the equations (37), before the bindings (35): neither touches the link
        # line, a paragraph with attr_list's class for it.
        md.preprocessors.register(_DownloadLink(md), "crossentropy_notebook", 36)


def makeExtension(**kwargs: Any) -> NotebookExtension:
    return NotebookExtension(**kwargs)


if __name__ == "__main__":
    raise SystemExit(main())
