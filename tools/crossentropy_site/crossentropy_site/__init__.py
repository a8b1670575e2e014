"""Build-time helpers and authoring tools for the crossentropy documentation site.

Markdown extensions (listed in ``mkdocs.yml``; the site has no MkDocs plugin or hook):

* :mod:`crossentropy_site.mathml` -- ``pymdownx.arithmatex`` (generic mode) output to
  MathML with ``math_core``, the TeX kept as ``alttext``.
* :mod:`crossentropy_site.figures` -- inline SVG figures (:mod:`crossentropy_site.svg`)
  from the package's functions, committed JSON, or the page's own code.
* :mod:`crossentropy_site.benchtable` -- benchmark tables from ``results.json``.
* :mod:`crossentropy_site.bindings` -- numbers in the text bound to the page's code.
* :mod:`crossentropy_site.notebooks` -- each page as a downloadable notebook.
* :mod:`crossentropy_site.console` -- a clean copy of ``>>>`` blocks.

Shared by the tests and the commands: :mod:`crossentropy_site.pages` (how a page is
read), :mod:`crossentropy_site.session` (how its code is run),
:mod:`crossentropy_site.project` (where the site's files are). Commands:
:mod:`crossentropy_site.update` (``make docs-update``) and
:mod:`crossentropy_site.lint` (in ``make lint``).
"""
