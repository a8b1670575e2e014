"""Shared test set-up: hypothesis settings, tests/reference.py importable as
``reference``, and the site built strictly by each builder (``site_builds``)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

from _shared import made_once, shared_figures

# No deadline: timings on a shared 2-core CI machine vary; the example count keeps
# the suite to seconds.
settings.register_profile("crossentropy", max_examples=60, deadline=None)
# On demand, for the differential test against PyTorch (CONTRIBUTING.md):
#   HYPOTHESIS_PROFILE=differential-long .venv/bin/python -m pytest tests/test_differential.py
settings.register_profile("differential-long", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "crossentropy"))


REPO_ROOT = Path(__file__).resolve().parents[1]
BUILDERS = ("mkdocs", "properdocs")

#: What the Zensical build does not copy: caches, environments, builds, the git store.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "site",
    ".cache",
    "dist",
    "build",
    "test-artifacts",
    "node_modules",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def _zensical() -> Path | None:
    executable = Path(sys.executable).with_name("zensical")
    return executable if executable.is_file() else None


def build_sites(root: Path) -> None:
    """The site built strictly by each builder into ``root/<builder>``, the builders
    running side by side: MkDocs and ProperDocs from a working directory outside the
    repository (data paths must not depend on it), Zensical (when installed) in a copy
    of the checkout, since it writes ``site/`` and its cache beside ``mkdocs.yml``."""
    config = str(REPO_ROOT / "mkdocs.yml")
    elsewhere = root / "cwd"
    elsewhere.mkdir()
    commands: dict[str, tuple[list[str], Path]] = {}
    for builder in BUILDERS:
        executable = str(Path(sys.executable).with_name(builder))
        output = str(root / builder)
        commands[builder] = (
            [executable, "build", "--strict", "--quiet", "-f", config, "-d", output],
            elsewhere,
        )
    zensical = _zensical()
    if zensical is not None:
        tree = root / "zensical-tree"
        shutil.copytree(REPO_ROOT, tree, ignore=_NOT_COPIED)
        commands["zensical"] = ([str(zensical), "build", "--strict", "--clean"], tree)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **shared_figures(root)}
    running = {
        builder: subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for builder, (command, cwd) in commands.items()
    }
    failures = []
    for builder, process in running.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            failures.append(f"{builder} build --strict failed:\n{output}")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
    if zensical is not None:
        (root / "zensical-tree" / "site").rename(root / "zensical")


@pytest.fixture(scope="session")
def site_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The site built by MkDocs, by ProperDocs and (when installed) by Zensical:
    builder -> site directory (see :func:`build_sites`)."""
    root = made_once(tmp_path_factory, "site-builds", build_sites)
    return {
        builder: root / builder for builder in (*BUILDERS, "zensical") if (root / builder).is_dir()
    }
