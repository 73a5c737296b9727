"""Every link in the docs says where it goes.

Lighthouse's SEO audit `link-text` fails a page with a link whose whole text is a generic word
("more", "here", "click here", ...), and screen-reader users who list a page's links hear only
that word. `make bench` found one ("[more](retracing.md#...)" on guide/backends.md, SEO 91);
this test finds the next before Lighthouse does. GENERIC is the English part of the audit's
BLOCKLIST in Lighthouse 12.2.3 (node_modules/lighthouse/core/audits/seo/link-text.js). The audit
compares a link's trimmed, lower-cased text with it; this test also drops surrounding
punctuation first, so "more." fails here too.
"""

from __future__ import annotations

import pytest

from docs_tooling import markdown
from docs_tooling.paths import ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
GENERIC = {
    "click here", "click this", "go", "here", "information", "learn more", "more", "more info",
    "more information", "right here", "read more", "see more", "start", "this",
}  # fmt: skip


def generic_links(text: str) -> list[str]:
    found = []
    for token in markdown.tokens(text):
        words: list[str] | None = None  # the text of the link being read, if any
        href = ""
        for child in token.children or []:
            if child.type == "link_open":
                words, href = [], str(child.attrGet("href"))
            elif child.type == "link_close" and words is not None:
                if "".join(words).strip(" .,:;!?()[]\"'").lower() in GENERIC:
                    found.append(f"[{''.join(words)}]({href})")
                words = None
            elif words is not None and child.type in ("text", "code_inline"):
                words.append(child.content)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_no_link_text_is_a_generic_word(page):
    found = generic_links(page.read_text(encoding="utf-8"))
    assert not found, f"{page.relative_to(ROOT)}: name where each link goes instead of {found}"


def test_a_generic_link_is_found():
    assert generic_links("Off on a CPU ([More](retracing.md#cpu)), on with [`jit_compile`](a.md).") == [
        "[More](retracing.md#cpu)"
    ]
