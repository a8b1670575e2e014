"""Render ``pymdownx.arithmatex`` (generic mode) output as MathML at build time.

Usage (``mkdocs.yml`` or any Python-Markdown ``extensions=[...]`` list)::

    markdown_extensions:
      - pymdownx.arithmatex:
          generic: true
      - crossentropy_site.mathml

Arithmatex recognises the math delimiters (``$...$``, ``\\(...\\)``, ``$$...$$``,
``\\[...\\]``, ``\\begin{env}...``) and protects the TeX from Markdown; in generic
mode it emits::

    <span class="arithmatex">\\(TeX\\)</span>
    <div class="arithmatex">\\[TeX\\]</div>

This extension registers a *postprocessor* that runs after the raw-HTML stash has
been restored and replaces each of those elements by the MathML that
``math_core`` produces (``display="block"`` for the ``div`` form), with the TeX as
its ``alttext``. No JavaScript is needed in the browser.

A TeX error raises :class:`MathError` (an ``Exception``) naming the offending TeX,
so ``mkdocs build`` stops instead of shipping a broken formula.
"""

from __future__ import annotations

import html
import re
from typing import Any

import math_core
from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor

__all__ = ["MathError", "MathMLExtension", "MathMLPostprocessor", "makeExtension"]

# The wrappers are arithmatex's defaults in generic mode (``tex_inline_wrap`` and
# ``tex_block_wrap``). The TeX inside is HTML-escaped (``<`` is ``&lt;``).
_INLINE = re.compile(r'<span class="arithmatex">\\\((?P<tex>.*?)\\\)</span>', re.DOTALL)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(?P<tex>.*?)\\\]</div>', re.DOTALL)


# A sized delimiter (``\\Bigr)``: ``<mo minsize=...>``) that is the base of a script,
# as in ``\\Bigr)^{-1/n}``. Chromium applies ``minsize`` only to operators it
# stretches inside an ``mrow``; as the bare base of ``msup`` the delimiter keeps its
# normal size. Wrapping the base in an ``mrow`` gets it the requested size.
_SCRIPTED_SIZED_DELIMITER = re.compile(
    r"(<(?:msub|msup|msubsup)(?:\s[^>]*)?>)(<mo\s[^>]*\bminsize=\"[^\"]*\"[^>]*>[^<]*</mo>)"
)


#: What the alttext leaves out: comments (the formula checks' directives), and the
#: equation environment, label and tag that number a formula.
_READER_NOISE = re.compile(r"%[^\n]*|\\(?:begin|end)\{equation\}|\\label\{[^{}]*\}|\\tag\{[^{}]*\}")


_LABEL = re.compile(r"\\label\{[^{}]*\}")


class MathError(Exception):
    """A formula could not be converted; the message contains the TeX."""


def _describe(tex: str, error: Exception) -> str:
    """Build a readable message from math_core's ``"<offset>: <message>"``."""
    text = str(error).strip()
    offset_text, sep, message = text.partition(": ")
    lines = [f"LaTeX error: {message if sep else text}", f"  TeX: {tex}"]
    if sep and offset_text.isdigit():
        lines.append("       " + " " * int(offset_text) + "^")
    return "\n".join(lines)


class MathMLPostprocessor(Postprocessor):
    """Replace arithmatex's generic-mode wrappers with MathML."""

    def __init__(self, md: Markdown, macros: dict[str, str] | None = None) -> None:
        super().__init__(md)
        self.converter = math_core.LatexToMathML(macros=macros or None, fancy_error=False)

    def convert(self, tex: str, *, display: bool) -> str:
        """Convert one formula; ``tex`` is plain (already HTML-unescaped) TeX. A
        ``\\label`` that the equations extension has not numbered (a page converted
        without it) is dropped: math_core accepts labels in numbered equations only."""
        if "\\label{" in tex and "\\begin{equation}" not in tex:
            tex = _LABEL.sub("", tex)
        try:
            mathml: str = self.converter.convert_with_local_state(tex.strip(), displaystyle=display)
        except math_core.LatexError as error:
            raise MathError(_describe(tex.strip(), error)) from None
        mathml = _SCRIPTED_SIZED_DELIMITER.sub(r"\1<mrow>\2</mrow>", mathml)
        # The TeX source as the formula's text alternative (MathML's alttext), for
        # assistive technology that does not read MathML itself: without the
        # numbering's markup and the checks' comments.
        alt = html.escape(" ".join(_READER_NOISE.sub(" ", tex).split()), quote=True)
        return f'<math alttext="{alt}"' + mathml.removeprefix("<math")

    def _inline(self, match: re.Match[str]) -> str:
        return self.convert(html.unescape(match.group("tex")), display=False)

    def _block(self, match: re.Match[str]) -> str:
        return self.convert(html.unescape(match.group("tex")), display=True)

    def run(self, text: str) -> str:
        if "arithmatex" not in text:
            return text
        return _INLINE.sub(self._inline, _BLOCK.sub(self._block, text))


class MathMLExtension(Extension):
    """Python-Markdown extension; see the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "macros": [{}, "TeX macros, e.g. {'R': '\\\\mathbb{R}'}"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        macros: dict[str, str] = dict(self.getConfig("macros"))
        # Priority 5: after 'raw_html' (30) restores stashed HTML, where both
        # arithmatex's block output and mkdocstrings' rendered docstrings live.
        md.postprocessors.register(MathMLPostprocessor(md, macros), "mathml", 5)


def makeExtension(**kwargs: Any) -> MathMLExtension:
    return MathMLExtension(**kwargs)
