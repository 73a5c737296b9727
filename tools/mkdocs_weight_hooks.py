"""MkDocs hook: keep the bytes a reader downloads down, without changing what
the reader sees.

Every first visit downloads the page and the whole search index, so both
count against the page-weight target (docs/maintainers/benchmarks.md).

* Code blocks are kept out of the search index. Material's search plugin
  indexes the full text of every code block, and with the guide written the
  Python examples and their outputs were over half of all indexed text. What
  readers search for is in the prose, with its inline code, and in the
  headings, which on the troubleshooting pages are the error messages
  themselves. Code blocks are marked `data-search-exclude`, the attribute the
  search plugin skips.
* Pygments wraps every name and every run of spaces in code in a span of its
  own. The theme paints names in the code's own colour and gives whitespace
  no style, so those spans change nothing on screen; they were about a fifth
  of a code-heavy page. Their text stays, the span tags go. Every other
  token keeps its span and its colour.
"""

from __future__ import annotations

import re

# What pymdownx.highlight writes around a fenced block (```python, ```text, ...).
CODE_BLOCK = re.compile(r'<div class="(?:language-[\w+-]+ )?highlight"(?![^>]*data-search-exclude)')
CODE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
UNSTYLED_TOKEN = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


def on_page_content(html: str, page, config, files) -> str:
    html = CODE_BLOCK.sub(r"\g<0> data-search-exclude", html)
    return CODE.sub(lambda block: UNSTYLED_TOKEN.sub(r"\1", block.group(0)), html)
