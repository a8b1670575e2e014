"""Build-time helpers for the crossentropy documentation site.

* :mod:`crossentropy_site.mathml` -- Python-Markdown extension turning
  ``pymdownx.arithmatex`` (generic mode) output into MathML with ``math_core``.
* :mod:`crossentropy_site.figures` -- ``pymdownx.superfences`` custom fence that
  draws inline SVG figures at build time.
* :mod:`crossentropy_site.project` -- where the site's files are, asked of
  whichever builder is running (the site has no MkDocs plugin or hook).
"""
