"""A reader who pastes an error message, or types a symptom, into the site's
search box lands on the page that answers it.

Every entry of docs/guide/troubleshooting/ (each `## ` heading of its pages
other than index.md, read by globbing, so new pages are covered) is searched
for with the text a reader has in hand: for an error entry, the message its
heading quotes; for a symptom entry, the heading itself.
The text is pasted into the real search box in Chromium; the first result must
be that entry. A list of symptom phrases, worded as readers describe the
problem rather than as the pages do, must find the page that answers it among
the first three results.

When one fails, improve what is indexed (headings, page titles, `search.boost`
front matter, the search plugin's settings in mkdocs.yml; the ranking rules
are in docs/maintainers/writing-pages.md), not these expectations. A page
joins a phrase's answers below only when it answers the phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from docs_tooling import markdown
from docs_tooling.browser import harness
from docs_tooling.paths import ROOT

SECTION = ROOT / "docs" / "guide" / "troubleshooting"
HEADING_ANCHOR = re.compile(r"\s*\{\s*#([\w-]+)\s*\}\s*$")
# A heading that is an error message: "`ValueError: ...`", possibly followed by words.
HEADING_ERROR = re.compile(r"^`((?:[A-Z]\w*(?:Error|Exception|Warning)|WARNING:tensorflow):[^`]*)`")

# Phrases a reader types, and the pages that answer each (a guide page, or
# the troubleshooting page whose entry is that symptom): one of them must be
# among the first three results.
TS = "guide/troubleshooting/"
SYMPTOMS = {
    "dropout active at inference": {
        "guide/training-in-layers/",
        "guide/training-argument/",
        TS + "symptoms/",
        TS + "calling/",
    },
    "fit missing argument": {TS + "calling/"},
    "batchnorm statistics not updating": {"guide/training-in-layers/", TS + "calling/", TS + "symptoms/"},
    "model retraces every step": {
        "guide/retracing/",
        TS + "retracing/",
        TS + "symptoms/",
        TS + "graph-mode/",
    },
    "saved model will not reload": {
        "guide/saving/",
        "guide/saving-weights/",
        TS + "saving/",
        TS + "symptoms/",
    },
    "training argument not passed to call": {"guide/training-argument/", "guide/training-in-layers/"},
    "mask not propagated": {"guide/masks/", "guide/masking-layers/", TS + "calling/"},
    "weights not created until first call": {
        "guide/building/",
        "guide/building-explicitly/",
        "guide/layers-and-weights/",
        TS + "building/",
    },
    "model summary shows unbuilt": {TS + "building/", "guide/building/", "guide/building-explicitly/"},
    "custom train_step": {"guide/training-loop/", "guide/custom-training/", "guide/gan-style-training/"},
    "add_loss inside call": {"guide/losses-in-call/"},
    "python if on a tensor in call": {"guide/graph-mode/", TS + "graph-mode/"},
    "get_config for a custom model": {
        "guide/saving-weights/",
        "guide/saving/",
        TS + "saving/",
        TS + "get-config/",
    },
    "mixed precision dtype of outputs": {"guide/mixed-precision/"},
    "tf.keras vs keras 3": {"migration/", "migration/legacy/", "migration/symbolic/"},
}


@dataclass
class Entry:
    page: str  # built path, "guide/troubleshooting/building/"
    anchor: str
    query: str


def entries() -> list[Entry]:
    found = []
    for path in sorted(SECTION.glob("*.md")):
        if path.name == "index.md":
            continue
        tokens = markdown.tokens(path.read_text(encoding="utf-8"))
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag == "h2":
                entry = _entry(f"guide/troubleshooting/{path.stem}/", tokens[index + 1].content)
                # The list of entries that moved to other pages (a split page keeps its old
                # anchors there) is no entry of its own.
                if entry.anchor != "moved":
                    found.append(entry)
    return found


def _entry(built: str, heading: str) -> Entry:
    anchor = HEADING_ANCHOR.search(heading)
    assert anchor, f"{built}: entry without an explicit anchor: {heading}"
    title = heading[: anchor.start()]
    error = HEADING_ERROR.match(title)
    # An error entry's heading quotes the message in backticks; a reader pastes the message.
    query = error.group(1) if error else title.replace("`", "")
    return Entry(built, anchor.group(1), query)


ENTRIES = entries()


def test_entries_are_found():
    assert len(ENTRIES) >= 20, [e.anchor for e in ENTRIES]


@pytest.fixture(scope="module")
def search(browser, server):
    """A function that pastes a query into the search box of one open page
    and returns the result groups: for each page, its link and its section links."""
    context = harness.sandboxed_context(browser, server)
    page = context.new_page()
    page.goto(server.base, wait_until="load")
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    page.wait_for_function("document.querySelector('.md-search-result__meta').textContent.trim() !== ''")

    def run(query: str) -> list[list[str]]:
        box.fill("")
        # Empties the list the last query left, so the wait below sees this one's.
        page.evaluate('document.querySelector(".md-search-result__list").replaceChildren()')
        page.evaluate("text => navigator.clipboard.writeText(text)", query)
        box.press("Control+V")
        page.wait_for_function(
            """query => {
              const box = document.querySelector("input[data-md-component=search-query]");
              return box.value === query
                && document.querySelectorAll(".md-search-result__item").length > 0;
            }""",
            arg=query,
            timeout=10_000,
        )
        return page.eval_on_selector_all(
            ".md-search-result__item",
            """items => items.map(item => [...item.querySelectorAll("a.md-search-result__link")]
                 .map(a => a.getAttribute("href")))""",
        )

    yield run
    context.close()


def _path(server, href: str) -> str:
    path = urlsplit(href).path
    base = urlsplit(server.base).path
    return path[len(base) :] if path.startswith(base) else path


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.anchor)
def test_pasted_error_lands_on_its_entry(search, server, entry):
    groups = search(entry.query)
    first_page = _path(server, groups[0][0])
    sections = [urlsplit(href).fragment for href in groups[0] if urlsplit(href).fragment]
    shown = [[f"{_path(server, h)}#{urlsplit(h).fragment}" for h in group[:3]] for group in groups[:3]]
    assert (first_page, sections[:1]) == (entry.page, [entry.anchor]), (
        f"pasting {entry.query!r}: the first result is not {entry.page}#{entry.anchor}; results: {shown}"
    )


@pytest.mark.parametrize("phrase", SYMPTOMS)
def test_symptom_phrase_finds_its_page_in_the_top_three(search, server, phrase):
    groups = search(phrase)
    pages = [_path(server, group[0]) for group in groups[:3]]
    assert SYMPTOMS[phrase] & set(pages), (
        f"{phrase!r}: expected one of {sorted(SYMPTOMS[phrase])} in the first three, got {pages}"
    )
