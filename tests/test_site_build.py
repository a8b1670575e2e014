"""The site builds with MkDocs 1.6 and with ProperDocs, the same files either way, and
needs nothing of its own from the MkDocs plugin API (so that a builder that runs only
Python-Markdown extensions, such as Zensical, can build it too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILDERS = ("mkdocs", "properdocs")


def _build(builder: str, site_dir: Path, cwd: Path) -> list[str]:
    """Build strictly with ``builder`` (from another working directory) and list the files."""
    executable = Path(sys.executable).with_name(builder)
    result = subprocess.run(
        [
            str(executable),
            "build",
            "--strict",
            "--quiet",
            "-f",
            str(REPO_ROOT / "mkdocs.yml"),
            "-d",
            str(site_dir),
        ],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{builder} build --strict failed:\n{result.stderr}"
    return sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    elsewhere = tmp_path_factory.mktemp("cwd")  # data paths must not depend on the cwd
    return {b: _build(b, tmp_path_factory.mktemp(b), elsewhere) for b in BUILDERS}


def test_mkdocs_and_properdocs_build_the_same_files(builds: dict[str, list[str]]) -> None:
    mkdocs, properdocs = builds["mkdocs"], builds["properdocs"]
    assert mkdocs == properdocs
    assert "index.html" in mkdocs
    assert "404.html" in mkdocs
    assert "assets/fonts/STIXTwoMath-Regular.ttf" in mkdocs
    assert "assets/fonts/OFL.txt" in mkdocs  # the font's licence ships beside it
    print(f"\n{len(mkdocs)} files from each of {', '.join(BUILDERS)}")


class _AnyTag(yaml.SafeLoader):
    """Reads mkdocs.yml without constructing its tags (!ENV, !!python/name)."""


_AnyTag.add_multi_constructor("!", lambda loader, suffix, node: None)
_AnyTag.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def test_config_has_no_project_plugin_or_hooks() -> None:
    config = yaml.load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTag)
    assert "hooks" not in config
    plugins = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    # Third-party plugins only: Zensical has its own search and mkdocstrings, and
    # ignores mike's (which only matters inside a mike deploy).
    assert set(plugins) <= {"search", "mkdocstrings", "mike"}, plugins
