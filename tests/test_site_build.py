"""The site builds with MkDocs 1.6 and with ProperDocs, the same files either way, and
needs nothing of its own from the MkDocs plugin API (so that a builder that runs only
Python-Markdown extensions, such as Zensical, can build it too)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def _files(site_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("*") if p.is_file())


def test_mkdocs_and_properdocs_build_the_same_files(site_builds: dict[str, Path]) -> None:
    mkdocs, properdocs = _files(site_builds["mkdocs"]), _files(site_builds["properdocs"])
    assert mkdocs == properdocs
    assert "index.html" in mkdocs
    assert "404.html" in mkdocs
    # The math font cut to the formulas' characters (crossentropy_site.font), not the
    # full font it is cut from, which stays in tools/fonts/.
    assert "assets/fonts/STIXTwoMath-subset.woff2" in mkdocs
    assert not [name for name in mkdocs if name.endswith((".ttf", ".otf"))]
    assert "assets/fonts/OFL.txt" in mkdocs  # the font's licence ships beside it
    print(f"\n{len(mkdocs)} files from each of {', '.join(site_builds)}")


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


def test_the_built_site_numbers_its_equations_and_explains_its_terms(
    site_builds: dict[str, Path],
) -> None:
    """What the Markdown extensions add, in the built pages: numbered formulas with
    their anchors, references linked across pages, the checked-formula note, and the
    glossary's terms as tooltips."""
    site = site_builds["properdocs"]
    gradient = (site / "explanation" / "gradient" / "index.html").read_text(encoding="utf-8")
    assert '<div class="equation" id="eq-gradient-entry">' in gradient
    assert "<mtext>(4)</mtext>" in gradient  # the number is drawn in the formula
    assert 'href="../logits/#eq-log-softmax"' in gradient  # a reference to another page
    assert gradient.count('class="formula-check"') >= 10
    entropy = (site / "explanation" / "entropy" / "index.html").read_text(encoding="utf-8")
    assert '<abbr title="The information an outcome carries' in entropy
