"""What the test modules share across pytest-xdist workers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from crossentropy_site.figures import CACHE_ENV
from filelock import FileLock


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A directory ``make`` fills once per test run. Under pytest-xdist the workers share
    it: the first to ask makes it, under a file lock, and the others wait and reuse it
    (a failed ``make`` leaves no mark, so each worker that asks fails the same way)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        path = tmp_path_factory.mktemp(name)
        make(path)
        return path
    root = tmp_path_factory.getbasetemp().parent  # the same for every worker of a run
    path, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir()
            make(path)
            done.touch()
    return path


def shared_figures(made: Path) -> dict[str, str]:
    """The environment under which the site builds of one test run (a directory of
    :func:`made_once` is ``made``) share the numbers of the pages' session figures:
    the first build to draw one computes them (crossentropy_site.figures.CACHE_ENV)."""
    folder = made.parent / "session-figures"
    folder.mkdir(exist_ok=True)
    return {CACHE_ENV: str(folder)}
