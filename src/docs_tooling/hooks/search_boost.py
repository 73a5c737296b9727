"""MkDocs hook: the troubleshooting entries rank first for their own messages.

A reader pastes an error message into the search box; the entry whose heading
is that message should be the first result. Material's search scores every
query word as a prefix (`in` also matches `input`, `inside`), so a long
message also matches many headings elsewhere that share its common words
(`layer`, `call`, `model`), and some of them outrank the entry. Each page of
docs/guide/troubleshooting/ (not its index) has its documents' scores
multiplied by BOOST, as `search: boost:` front matter does for one page, so
the rule covers pages added to the section later. A page's own front matter
wins. tests/browser/test_search_lands.py checks every entry and a list of
symptom phrases.
"""

from __future__ import annotations

SECTION = "guide/troubleshooting/"
BOOST = 2.0


def on_page_markdown(markdown: str, page, config, files) -> str:
    path = page.file.src_uri
    if path.startswith(SECTION) and not path.endswith("index.md"):
        search = page.meta.setdefault("search", {})
        if isinstance(search, dict):
            search.setdefault("boost", BOOST)
    return markdown
