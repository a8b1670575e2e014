"""Deploy a version of the site with mike, and lay out what GitHub Pages serves.

    python tools/gh_pages.py deploy VERSION [ALIAS ...] [--push] --out DIR

1. ``mike deploy --update-aliases VERSION ALIAS...`` builds the site (mike adds its
   plugin, which puts the version into ``site_url``) and commits it to the
   ``gh-pages`` branch under ``VERSION/``, with ``versions.json`` at the top.
2. ``mike set-default`` points the top-level ``index.html`` at ``latest`` once a
   release has that alias, at the newest version before that.
3. The ``gh-pages`` tree is written to ``DIR``, with the default version's
   ``404.html`` copied to the top: GitHub Pages serves the top-level ``404.html`` for
   every missing path, and its links are absolute (built from ``site_url``), so it
   works at any depth.

``DIR`` is what the workflows upload with ``actions/upload-pages-artifact``; the
browser tests deploy two versions into a throw-away repository the same way and
serve ``DIR``. With ``--push`` the branch is pushed to ``origin`` (the workflows);
without it nothing leaves the repository.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

BRANCH = "gh-pages"
LATEST = "latest"


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout


def _mike(repo: Path, *args: str, push: bool) -> None:
    # mike runs the builder (properdocs, or mkdocs without it) found on PATH: the one
    # of this interpreter's environment, which need not be activated.
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(bin_dir / "mike"), *args, *(["--push"] if push else [])]
    subprocess.run(command, cwd=repo, check=True, env=env)


def versions(repo: Path) -> list[dict[str, object]]:
    """The deployed versions, newest first, as mike lists them in ``versions.json``."""
    listed: list[dict[str, object]] = json.loads(_git(repo, "show", f"{BRANCH}:versions.json"))
    return listed


def default_version(listed: Sequence[dict[str, object]]) -> str:
    """``latest`` once a version carries that alias; until then the newest version."""
    if not listed:
        raise ValueError(f"no version deployed on {BRANCH}")
    for entry in listed:
        if LATEST in entry.get("aliases", []):  # type: ignore[operator]
            return LATEST
    return str(listed[0]["version"])


def current_default(repo: Path) -> str | None:
    """The version the top-level ``index.html`` redirects to, if there is one."""
    try:
        index = _git(repo, "show", f"{BRANCH}:index.html").decode()
    except subprocess.CalledProcessError:
        return None
    match = re.search(r'url=([^/"]+)/"', index)
    return match.group(1) if match else None


def write_tree(repo: Path, out: Path, default: str) -> None:
    """Write the ``gh-pages`` tree to ``out``, with ``default``'s 404 page on top."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    archive = _git(repo, "archive", "--format=tar", BRANCH)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(out, filter="data")  # keeps mike's alias symlinks
    not_found = (out / default / "404.html").resolve()
    shutil.copyfile(not_found, out / "404.html")


def deploy(
    repo: Path, version: str, aliases: Sequence[str], *, out: Path, push: bool = False
) -> str:
    """Deploy ``version`` with ``aliases``, set the default, write the tree; the default."""
    # The version's own folder, with its slash, as the base of site_url (mkdocs.yml).
    os.environ["MIKE_CANONICAL_VERSION"] = f"{version}/"
    _mike(repo, "deploy", "--update-aliases", version, *aliases, push=push)
    default = default_version(versions(repo))
    if current_default(repo) != default:
        _mike(repo, "set-default", default, push=push)
    write_tree(repo, out, default)
    return default


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("deploy", help="deploy a version and write the Pages tree")
    run.add_argument("version")
    run.add_argument("aliases", nargs="*")
    run.add_argument("--out", type=Path, required=True, help="where to write the tree")
    run.add_argument("--push", action="store_true", help="push gh-pages to origin")
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    default = deploy(Path.cwd(), args.version, args.aliases, out=args.out, push=args.push)
    print(f"deployed {args.version} {' '.join(args.aliases)}; default {default}; tree {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
