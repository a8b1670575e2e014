"""Shared test set-up: hypothesis settings, tests/reference.py importable as
``reference``, and the site built strictly by each builder (``site_builds``)."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# No deadline: timings on a shared 2-core CI machine vary; the example count keeps
# the suite to seconds.
settings.register_profile("crossentropy", max_examples=60, deadline=None)
# On demand, for the differential test against PyTorch (CONTRIBUTING.md):
#   HYPOTHESIS_PROFILE=differential-long .venv/bin/python -m pytest tests/test_differential.py
settings.register_profile("differential-long", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "crossentropy"))


REPO_ROOT = Path(__file__).resolve().parents[1]
BUILDERS = ("mkdocs", "properdocs")


def build_site(builder: str, site_dir: Path, cwd: Path) -> None:
    """``<builder> build --strict`` of the repository's site into ``site_dir``."""
    import os
    import subprocess

    executable = Path(sys.executable).with_name(builder)
    config = str(REPO_ROOT / "mkdocs.yml")
    result = subprocess.run(
        [str(executable), "build", "--strict", "--quiet", "-f", config, "-d", str(site_dir)],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{builder} build --strict failed:\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def site_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The site built by MkDocs and by ProperDocs, each from a working directory outside
    the repository (data paths must not depend on it): builder -> site directory."""
    elsewhere = tmp_path_factory.mktemp("cwd")
    sites = {}
    for builder in BUILDERS:
        sites[builder] = tmp_path_factory.mktemp(builder)
        build_site(builder, sites[builder], elsewhere)
    return sites
