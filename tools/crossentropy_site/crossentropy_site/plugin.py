"""MkDocs plugin ``crossentropy-site``: ship the OpenType MATH font.

MathML is laid out by the browser; Chromium only stretches large operators and
``\\Bigl(`` delimiters when the font has an OpenType ``MATH`` table. The
``ziamath`` wheel bundles STIX Two Math (SIL Open Font License), so instead of
committing a binary font we copy it into ``<site_dir>/assets/fonts/`` after every
build (``mkdocs build`` and each rebuild of ``mkdocs serve``).
``docs/stylesheets/extra.css`` declares the matching ``@font-face``.

The plugin also tells :mod:`crossentropy_site.figures` where the project root
is, so figure fences can name data files relative to ``mkdocs.yml``.
"""

from __future__ import annotations

import shutil
from importlib.util import find_spec
from pathlib import Path

from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, get_plugin_logger

from . import figures

__all__ = ["FONT_FILE", "FONT_TARGET", "CrossentropySitePlugin", "math_font_path"]

FONT_FILE = "STIXTwoMath-Regular.ttf"
#: Path of the font inside the built site (referenced by extra.css).
FONT_TARGET = f"assets/fonts/{FONT_FILE}"

log = get_plugin_logger(__name__)


def math_font_path() -> Path:
    """Location of STIX Two Math inside the installed ziamath package."""
    # find_spec locates the package without importing it (importing ziamath
    # emits a DeprecationWarning from its own font loading).
    spec = find_spec("ziamath")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0] if locations else ".") / "fonts" / FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{FONT_FILE} not found in the ziamath package")
    return path


class PluginConfig(Config):  # type: ignore[no-untyped-call]
    """The plugin takes no options."""


class CrossentropySitePlugin(BasePlugin[PluginConfig]):  # type: ignore[no-untyped-call]
    """Copy the math font into the site; point figures at the project root."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        figures.set_base_dir(Path(config.config_file_path).parent)
        return config

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        target = Path(config.site_dir) / FONT_TARGET
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(math_font_path(), target)
        log.debug("copied %s to %s", FONT_FILE, target)
