"""Let the copy button leave ``>>>`` prompts and doctest output out cleanly.

Material for MkDocs copies a code block as ``code.innerText`` while the
``code`` element carries ``data-md-copying``; ``extra.css`` hides the Pygments
prompt (``.gp``) and output (``.go``) spans in that state. Pygments puts the
newline that ends an output line *after* its ``.go`` span, so hiding the span
alone leaves an empty line in the clipboard for every output line. This
postprocessor moves that newline inside the span; the page looks the same.

Usage: ``markdown_extensions: [crossentropy_site.console]``.
"""

from __future__ import annotations

import re
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor

__all__ = ["ConsoleCopyExtension", "makeExtension"]

_OUTPUT_LINE = re.compile(r'(<span class="go">[^<]*)</span>\n')


class _OutputNewlinePostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        if 'class="go"' not in text:
            return text
        return _OUTPUT_LINE.sub("\\1\n</span>", text)


class ConsoleCopyExtension(Extension):
    """Python-Markdown extension; see the module docstring."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.postprocessors.register(_OutputNewlinePostprocessor(md), "console_copy", 4)


def makeExtension(**kwargs: Any) -> ConsoleCopyExtension:
    return ConsoleCopyExtension(**kwargs)
