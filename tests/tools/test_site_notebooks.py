"""crossentropy_site.notebooks: a page as a notebook (the shipped notebooks are run in
tests/test_notebooks.py), written as files of the docs and kept current."""

from __future__ import annotations

import textwrap
from pathlib import Path

from crossentropy_site.notebooks import (
    download_name,
    generated_notebooks,
    main,
    notebook,
    notebook_path,
    page_url,
)
from crossentropy_site.pages import Page

DOCS = Path(__file__).resolve().parents[2] / "docs"

SITE = "https://example.org/crossentropy/"


def test_page_urls_and_file_names() -> None:
    assert page_url("index.md") == ""
    assert page_url("how-to/index.md") == "how-to/"
    assert page_url("explanation/gradient.md") == "explanation/gradient/"
    assert download_name("explanation/gradient.md") == "explanation-gradient.ipynb"
    assert download_name("index.md") == "index.ipynb"
    assert download_name("tutorial/index.md") == "tutorial.ipynb"
    assert notebook_path("explanation/gradient.md") == "notebooks/explanation-gradient.ipynb"


def test_the_committed_notebooks_are_current() -> None:
    # make docs-update rewrites them; a page changed without it fails here.
    assert main([str(DOCS), "--check"]) == 0


def test_one_notebook_per_page_with_code() -> None:
    files = generated_notebooks(DOCS)
    pages = [p for p in DOCS.rglob("*.md") if Page.read(p).examples]
    assert sorted(files) == sorted(
        DOCS / notebook_path(p.relative_to(DOCS).as_posix()) for p in pages
    )
    # The page as converted: the front matter is gone, formulas are numbered.
    entropy = files[DOCS / "notebooks/explanation-entropy.ipynb"]
    assert "boost" not in entropy
    assert "\\tag{1}" in entropy


PAGE = textwrap.dedent("""\
    # Gradient

    See [logits](logits.md#log-sum-exp), [the API](../reference/api.md) and
    [the web](https://numpy.org/), with 0.80{= x}.

    ```python
    x = 0.8
    print(x)
    ```

    ```text
    0.8
    ```

    !!! note "A note"
        Quoted text.

        ```python
        y = 2
        ```

        More quoted text.

    ```figure
    name: neg-log
    caption: The surprisal.
    ```

    <!-- skip: next "needs a GPU" -->

    ```python
    import torch
    ```
    """)


def test_page_as_cells() -> None:
    document = notebook(Page(PAGE, "docs/explanation/gradient.md"), "explanation/gradient.md", SITE)
    cells = document["cells"]
    kinds = [c["cell_type"] for c in cells]
    assert kinds == [
        "markdown",
        "markdown",
        "code",
        "markdown",
        "code",
        "markdown",
        "markdown",
        "markdown",
    ]
    assert "".join(cells[7]["source"]).startswith("Not run here (needs a GPU):")
    text = "".join(cells[1]["source"])
    assert "[logits](https://example.org/crossentropy/explanation/logits/#log-sum-exp)" in text
    assert "[the API](https://example.org/crossentropy/reference/api/)" in text
    assert "(https://numpy.org/)" in text
    assert "with 0.80." in text  # the binding is gone, the number stays
    assert cells[2]["outputs"][0]["text"] == ["0.8\n"]
    assert "".join(cells[3]["source"]) == "> **A note**\n>\n> Quoted text."
    assert "".join(cells[5]["source"]).startswith("> More quoted text.")
    assert "The surprisal." in "".join(cells[6]["source"])
    assert "Not run here" in "".join(cells[7]["source"])
    assert document["nbformat"] == 4
    assert all("id" in cell for cell in cells)
