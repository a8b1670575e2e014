"""The release workflow's build: an sdist and a wheel that twine accepts, holding the
whole package, its type marker and licence, at the version the code reports."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import crossentropy

REPO_ROOT = Path(__file__).resolve().parents[1]


def _version() -> str:
    """The ``version`` of pyproject.toml's [project] table (no tomllib on Python 3.10)."""
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version = "([^"]+)"$', project, re.MULTILINE)
    assert match is not None, "pyproject.toml has no [project] version"
    return match.group(1)


def test_package_reports_the_version_of_pyproject() -> None:
    assert crossentropy.__version__ == _version()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    files = sorted(p.name for p in dist.iterdir())
    version = _version()
    assert files == [f"crossentropy-{version}-py3-none-any.whl", f"crossentropy-{version}.tar.gz"]
    twine = Path(sys.executable).with_name("twine")
    checked = subprocess.run(
        [str(twine), "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_wheel_holds_the_package(dist: Path) -> None:
    wheel = next(dist.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {
        f"crossentropy/{p.relative_to(REPO_ROOT / 'src' / 'crossentropy').as_posix()}"
        for p in (REPO_ROOT / "src" / "crossentropy").rglob("*.py")
    }
    assert modules <= names
    assert "crossentropy/py.typed" in names
    assert any(name.endswith("licenses/LICENSE") for name in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Version: {_version()}" in text
    assert "Requires-Dist: numpy" in text
