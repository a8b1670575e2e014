"""crossentropy_site.project: the site's files, asked of the running builder."""

from __future__ import annotations

from pathlib import Path

import markdown
from crossentropy_site.project import Project, find_page, project


def test_plain_markdown_has_no_project() -> None:
    assert project(markdown.Markdown()) is None


def test_paths_resolve_against_the_config_directory(tmp_path: Path) -> None:
    site = Project(config_dir=tmp_path, docs_dir=tmp_path / "docs", site_url=None, page=None)
    assert site.resolve("benchmarks/results.json") == tmp_path / "benchmarks" / "results.json"
    assert site.resolve("/abs/file.json") == Path("/abs/file.json")


def test_a_page_is_found_by_its_text(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "how-to").mkdir(parents=True)
    (docs / "how-to" / "a.md").write_text("# A\n\nText.\n")
    (docs / "b.md").write_text("---\ntitle: B\n---\n# B\n")
    site = Project(config_dir=tmp_path, docs_dir=docs, site_url=None, page=None)
    assert find_page(site, "# A\r\n\r\nText.") == docs / "how-to" / "a.md"
    assert find_page(site, "# B\n") == docs / "b.md"
    assert find_page(site, "# C\n") is None
