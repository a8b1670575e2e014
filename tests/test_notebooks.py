"""Every page with Python code links its notebook (the file of docs/notebooks/ that
the build copies beside the pages), and every notebook runs top to bottom in a fresh
interpreter, in an empty folder outside the repository (as a reader's download does),
and prints exactly what it stores (which is what the page shows)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from crossentropy_site.notebooks import DATA_TAG, download_name, notebook_path, page_url
from crossentropy_site.pages import Page
from crossentropy_site.session import normalise

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
PAGES = {
    md.relative_to(DOCS).as_posix(): md
    for md in sorted(DOCS.rglob("*.md"))
    if Page.read(md).examples
}
_LINK = re.compile(r'<a download="(?P<name>[^"]+\.ipynb)" href="(?P<href>[^"]+)"')

# Runs in a fresh interpreter: every code cell in order, in one namespace, showing the
# value of a last bare expression as Jupyter does; prints one JSON list of outputs.
RUNNER = r"""
import ast, contextlib, io, json, sys
cells = json.load(open(sys.argv[1], encoding="utf-8"))["cells"]
namespace = {"__name__": "__main__"}
outputs = []
for cell in cells:
    if cell["cell_type"] != "code":
        continue
    tree = ast.parse("".join(cell["source"]))
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = ast.Module(tree.body[:-1] if last else tree.body, type_ignores=[])
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(body, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if value is not None:
                print(repr(value))
    outputs.append(buffer.getvalue())
sys.__stdout__.write(json.dumps(outputs))
"""


def test_every_page_has_one_link_line_under_its_title(site_builds: dict[str, Path]) -> None:
    # Not one per docstring section on the API page (mkdocstrings converts each
    # section with the page current), nor none.
    site = site_builds["properdocs"]
    for md in sorted(DOCS.rglob("*.md")):
        relative = md.relative_to(DOCS).as_posix()
        html = (site / page_url(relative) / "index.html").read_text(encoding="utf-8")
        assert html.count('<p class="ce-notebook">') == 1, relative


def test_each_notebook_link_downloads_the_pages_notebook(site_builds: dict[str, Path]) -> None:
    """The link of a page with code downloads, under the page's name for it, the file
    of docs/notebooks/ that the test below runs, as the build copied it."""
    site = site_builds["properdocs"]
    for relative in PAGES:
        folder = site / page_url(relative)
        links = _LINK.findall((folder / "index.html").read_text(encoding="utf-8"))
        assert len(links) == 1, f"{relative}: {len(links)} notebook links"
        name, href = links[0]
        assert name == download_name(relative), relative
        target = (folder / href).resolve()
        # A file of the site beside the page, not inside it: fetched only when asked for.
        assert target == (site / notebook_path(relative)).resolve(), href
        assert target.read_bytes() == (DOCS / notebook_path(relative)).read_bytes(), relative


def test_pages_without_code_have_no_notebook(site_builds: dict[str, Path]) -> None:
    site = site_builds["properdocs"]
    for md in sorted(DOCS.rglob("*.md")):
        relative = md.relative_to(DOCS).as_posix()
        if relative not in PAGES:
            html = (site / page_url(relative) / "index.html").read_text(encoding="utf-8")
            assert not _LINK.search(html), relative


@pytest.mark.parametrize("relative", list(PAGES))
def test_notebook_reproduces_its_outputs(tmp_path: Path, relative: str) -> None:
    name = download_name(relative)
    document = json.loads((DOCS / notebook_path(relative)).read_text(encoding="utf-8"))
    nbformat.validate(nbformat.from_dict(document))  # type: ignore[no-untyped-call]
    cells = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    data = [DATA_TAG in cell["metadata"].get("tags", []) for cell in cells]
    page = Page.read(PAGES[relative])
    # A page that reads files names them, and its notebook's first code cell writes them.
    assert data == [bool(page.notebook_data)] + [False] * (len(cells) - 1)
    code = [cell for cell, writes in zip(cells, data, strict=True) if not writes]
    assert len(code) == len(page.examples), "one code cell per example of the page"
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    folder = tmp_path / "reader"  # nothing of the repository in it
    folder.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"{name} fails in a fresh interpreter:\n{run.stderr}"
    printed = [out for out, writes in zip(json.loads(run.stdout), data, strict=True) if not writes]
    for index, (cell, actual) in enumerate(zip(code, printed, strict=True)):
        stored = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert normalise(actual) == normalise(stored), f"{name}, code cell {index}"
