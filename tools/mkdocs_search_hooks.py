"""MkDocs hook: keep Python example sources out of the search index.

Material's search plugin indexes the full text of every code block, and the
theme downloads the whole index on every first visit. Here the Python
examples are about half of all indexed text, while what readers search for
is in the prose (with its inline code) and in the printed outputs, such as
error messages. So Python source blocks are marked `data-search-exclude`, the
attribute the search plugin skips; output blocks stay searchable.

The page itself is unchanged apart from that attribute.
"""

from __future__ import annotations

import re

# What pymdownx.highlight writes for a ```python fence.
PYTHON_BLOCK = re.compile(r'<div class="language-python highlight"(?![^>]*data-search-exclude)')


def on_page_content(html: str, page, config, files) -> str:
    return PYTHON_BLOCK.sub(r'\g<0> data-search-exclude', html)
