"""MkDocs hook: code blocks stay out of the search index.

Every first visit of any page downloads the whole search index, so the index
counts against the page-weight budget (docs/maintainers/benchmarks.md).
Material's search plugin indexes the full text of every code block, and in
this guide the Python examples and their printed outputs are most of the
text. What readers search for is in the prose, with its inline code, and in
the headings, which on the troubleshooting pages are the error messages
themselves. Each code block is marked `data-search-exclude`, the attribute
the search plugin skips. Measured compressed, this is a quarter of the
heaviest first visit (`make bench`).
"""

from __future__ import annotations

import re

# What pymdownx.highlight writes around a fenced block (```python, ```text, ...).
CODE_BLOCK = re.compile(r'<div class="(?:language-[\w+-]+ )?highlight"(?![^>]*data-search-exclude)')


def on_page_content(html: str, page, config, files) -> str:
    return CODE_BLOCK.sub(r"\g<0> data-search-exclude", html)
