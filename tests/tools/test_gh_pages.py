"""tools/gh_pages.py: which version is the default, and the tree GitHub Pages serves.
(The whole deploy, with mike, runs in the browser tests' fixture.)"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "gh_pages.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gh_pages", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gh_pages = _load()


def test_default_is_latest_once_a_release_has_the_alias() -> None:
    dev = {"version": "dev", "title": "dev", "aliases": []}
    release = {"version": "0.1", "title": "0.1", "aliases": ["latest"]}
    assert gh_pages.default_version([dev]) == "dev"
    assert gh_pages.default_version([dev, release]) == "latest"
    with pytest.raises(ValueError, match="no version deployed"):
        gh_pages.default_version([])


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def test_tree_has_the_default_versions_404_page_on_top(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "0.1").mkdir(parents=True)
    (repo / "0.1" / "404.html").write_text("<h1>404 of 0.1</h1>")
    (repo / "0.1" / "index.html").write_text("0.1")
    (repo / "latest").symlink_to("0.1")
    (repo / "index.html").write_text('<meta http-equiv="refresh" content="1; url=latest/" />')
    versions = [{"version": "0.1", "title": "0.1", "aliases": ["latest"]}]
    (repo / "versions.json").write_text(json.dumps(versions))
    _git(repo, "init", "-q", "-b", "gh-pages")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "pages")
    assert gh_pages.versions(repo) == versions
    assert gh_pages.current_default(repo) == "latest"
    out = tmp_path / "out"
    gh_pages.write_tree(repo, out, "latest")
    assert (out / "404.html").read_text() == "<h1>404 of 0.1</h1>"
    assert (out / "latest").is_symlink()
    assert (out / "latest" / "index.html").read_text() == "0.1"
