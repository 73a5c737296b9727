"""Every troubleshooting entry reproduces its message, proves its cause and runs its fix.

The convention (docs/maintainers/writing-pages.md, "Troubleshooting entries"): each `## ` heading
on docs/guide/troubleshooting/*.md other than index.md is an entry with an explicit anchor, and
holds, in this order, the labels **Reproduce.**, **Cause.** and **Fix.** (or **Fix 1.**,
**Fix 2.**, ...), each a paragraph that starts with the bold label and is followed by at least one
```python block with its shown output before the next label or heading. The doc-block tests run
those blocks and check their output; these tests check that the blocks are there, and that the
index table links only to entries that exist.

A page that was split ends with `## Moved to their own pages { #moved }`, which is not an entry: a
list, kept out of search, of `<a id="old-anchor"></a>[heading](new-page.md#old-anchor)` lines, so that
an old link lands on a link to the entry's new home. PUBLISHED holds every entry anchor each page has
published; each must stay on its page, as an entry or as such a link, and each link must lead to the
entry of the same anchor.

The pages are read with markdown-it-py, the CommonMark parser, so a label or a fence inside a code
block or an HTML comment does not count. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from docs_tooling import markdown
from docs_tooling.paths import ROOT

SECTION = ROOT / "docs" / "guide" / "troubleshooting"
INDEX = SECTION / "index.md"
PAGES = sorted(path for path in SECTION.glob("*.md") if path.name != "index.md")

MOVED = "moved"  # the anchor of the list of entries that moved to another page
MOVED_ITEM = re.compile(r'^- <a id="([\w-]+)"></a>\[.+\]\(([\w-]+\.md)#([\w-]+)\)$')

# Every anchor each page has published, entries and moved alike: an old link must keep landing.
# Add a page's new anchors here; when an entry moves, leave its anchor under the old page.
PUBLISHED = {
    "build-warnings.md": ["build-was-called-but-no-build-method", "build-warning-unused-sublayer"],
    "building.md": [
        "you-forgot-to-call-super-init",
        "unrecognized-keyword-arguments",
        "does-not-have-a-call-method-implemented",
        "count-params-layer-isnt-built",
        "you-must-build-the-layer-before-accessing",
        "loading-weights-into-a-model-that-has-not-yet-been-built",
        "summary-shows-unbuilt",
        "has-never-been-called-and-thus-has-no-defined-input",
        "incompatible-with-the-layer-expected-axis",
    ],
    "calling.md": [
        "missing-a-required-argument",
        "only-input-tensors-may-be-passed-as-positional-arguments",
        "you-must-call-compile-before-using-the-model",
        "add-metric-method-is-deprecated",
        "passed-an-input-with-a-mask-attached",
        "predictions-change-between-calls",
        "batchnormalization-statistics-never-move",
    ],
    "compile-and-fit.md": ["you-must-call-compile-before-using-the-model", "add-metric-method-is-deprecated"],
    "defining.md": [
        "you-forgot-to-call-super-init",
        "unrecognized-keyword-arguments",
        "does-not-have-a-call-method-implemented",
    ],
    "first-call.md": ["built-false-after-a-call", "call-runs-twice-on-the-first-call"],
    "get-config.md": [
        "non-serializable-argument-values",
        "a-total-of-objects-could-not-be-loaded",
        "could-not-be-deserialized-properly",
    ],
    "graph-mode.md": [
        "symbolic-tensor-as-a-python-bool",
        "cannot-convert-a-symbolic-tensor-to-a-numpy-array",
        "build-was-called-but-no-build-method",
        "build-warning-unused-sublayer",
        "looks-like-it-has-unbuilt-state",
        "triggered-tf-function-retracing",
    ],
    "inputs.md": [
        "has-never-been-called-and-thus-has-no-defined-input",
        "incompatible-with-the-layer-expected-axis",
    ],
    "retracing.md": ["triggered-tf-function-retracing", "traced-again-every-step"],
    "saving.md": [
        "saving-a-model-that-has-not-yet-been-built",
        "could-not-locate-class",
        "non-serializable-argument-values",
        "a-total-of-objects-could-not-be-loaded",
        "could-not-be-deserialized-properly",
        "reloaded-outputs-differ",
    ],
    "symptoms.md": [
        "layers-never-in-training-mode-in-fit",
        "training-false-reaches-later-layers",
        "built-false-after-a-call",
        "call-runs-twice-on-the-first-call",
        "weights-never-change",
        "traced-again-every-step",
        "reloaded-outputs-differ",
    ],
    "training-value.md": [
        "predictions-change-between-calls",
        "batchnormalization-statistics-never-move",
        "training-false-reaches-later-layers",
    ],
    "layer-state.md": [
        "add-weight-name-must-be-a-keyword",
        "cannot-add-new-elements-of-state",
        "singleton-variables-created-on-the-first-call",
    ],
    "functional-inputs.md": [
        "kerastensor-cannot-be-used-as-input-to-a-tensorflow-function",
        "structure-of-inputs-doesnt-match",
        "dict-keys-must-match-input-names",
    ],
    "output-shapes.md": [
        "failed-to-convert-none-to-tensor",
        "compute-output-shape-receives-none",
        "unknown-tensorshape",
        "compute-output-shape-is-trusted",
    ],
    "outputs-and-losses.md": [
        "loss-path-cant-be-found",
        "one-loss-key-for-two-outputs",
        "gradients-do-not-exist-for-variables",
    ],
    "metrics.md": ["metrics-tuple-arity-mismatch", "evaluate-longer-than-metrics-names"],
    "untraceable-build.md": ["looks-like-it-has-unbuilt-state"],
    "steps-per-execution.md": ["callbacks-every-n-batches"],
    "monitored-metrics.md": ["cannot-determine-monitor-direction", "can-save-best-model-only-with-available"],
    "fit-logs.md": [
        "history-holds-the-last-batch",
        "train-step-returned-a-tensor",
        "callbacks-every-n-batches",
        "no-loss-to-compute",
    ],
    "targets-and-weights.md": [
        "one-sample-weight-array-per-output",
        "class-weight-single-output",
        "list-targets-for-dict-outputs",
        "target-and-output-same-rank",
        "add-loss-grows-with-batch-size",
    ],
    "data-and-callbacks.md": [
        "validation-split-only-for-arrays",
        "input-ran-out-of-data",
        "early-stopping-val-loss-not-available",
        "filepath-must-end-in-keras",
        "fit-without-targets",
    ],
}

LABEL = re.compile(r"^\*\*(Reproduce|Cause|Fix(?: (\d+))?)\.\*\*")
HEADING_ANCHOR = re.compile(r"\{\s*#([\w-]+)\s*\}\s*$")
# A line of shown output that reports an error or a warning: "ValueError: ...", "UserWarning: ...".
ERROR_LINE = re.compile(r"^[A-Z]\w*(?:Error|Exception|Warning): ")


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    output: str | None  # the shown output under it (its backend tabs' joined), or None when none is shown


@dataclass
class Part:
    label: str  # "Reproduce", "Cause", "Fix", "Fix 1", ...
    line: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Entry:
    page: Path
    heading: str
    line: int
    anchor: str | None
    parts: list[Part] = field(default_factory=list)
    unlabelled_blocks: list[Block] = field(default_factory=list)  # python blocks before any label

    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line} ({self.anchor or self.heading})"


def tab_outputs(page_tokens: list, index: int) -> str | None:
    """The outputs shown in backend tabs (`=== "TensorFlow"`, ...) right after the fence at `index`,
    one after the other, or None when no tab follows it."""
    shown, at = [], index + 1
    while at < len(page_tokens) and page_tokens[at].type == "container_open":
        title = re.match(r'^===[+!]?\s+"([^"]*)"\s*$', page_tokens[at].info.strip())
        if title is None or title.group(1) not in markdown.BACKEND_TABS:
            break
        depth, at = 1, at + 1
        while at < len(page_tokens) and depth:
            depth += {"container_open": 1, "container_close": -1}.get(page_tokens[at].type, 0)
            if depth == 1 and page_tokens[at].type == "fence":
                shown.append(str(page_tokens[at].content))
            at += 1
    return "".join(shown) if shown else None


def parse(text: str, page: Path) -> list[Entry]:
    """The entries of one page: its `## ` headings, with their labelled parts and python blocks."""
    tokens = markdown.tokens(text)
    entries: list[Entry] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            heading = tokens[index + 1].content
            anchor = HEADING_ANCHOR.search(heading)
            entries.append(Entry(page, heading, token.map[0] + 1, anchor and anchor.group(1)))
            continue
        if not entries:  # the page's title and introduction
            continue
        entry = entries[-1]
        if token.type == "paragraph_open":
            found = LABEL.match(tokens[index + 1].content)
            if found:
                entry.parts.append(Part(found.group(1), token.map[0] + 1))
        elif token.type == "fence" and token.info.strip() == "python":
            shown = markdown.shown_output(tokens, index)
            block = Block(token.map[0] + 1, shown if shown is not None else tab_outputs(tokens, index))
            (entry.parts[-1].blocks if entry.parts else entry.unlabelled_blocks).append(block)
    return entries


def structure_problems(entry: Entry) -> list[str]:
    """What is missing or out of order in one entry; empty when it follows the convention."""
    problems = []
    if entry.anchor is None:
        problems.append("the heading has no explicit anchor { #... }")
    labels = [part.label for part in entry.parts]
    fixes = labels[2:]
    numbered = [f"Fix {number}" for number in range(1, len(fixes) + 1)]
    if labels[:2] != ["Reproduce", "Cause"] or not (
        fixes == ["Fix"] or (len(fixes) >= 2 and fixes == numbered)
    ):
        problems.append(f"labels {labels}: expected Reproduce, Cause, then Fix (or Fix 1, Fix 2, ...)")
    if entry.unlabelled_blocks:
        problems.append(f"python block at line {entry.unlabelled_blocks[0].line} comes before **Reproduce.**")
    for part in entry.parts:
        if not part.blocks:
            problems.append(f"**{part.label}.** (line {part.line}) has no python block before the next label")
        for block in part.blocks:
            if block.output is None:
                problems.append(f"python block at line {block.line} (**{part.label}.**) shows no output")
    return problems


def error_lines(part: Part) -> set[str]:
    return {
        line for block in part.blocks for line in (block.output or "").splitlines() if ERROR_LINE.match(line)
    }


ENTRIES = [
    entry
    for page in PAGES
    for entry in parse(page.read_text(encoding="utf-8"), page)
    if entry.anchor != MOVED
]


def moved_links(text: str, page: Path) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The page's moved list as {old anchor: (page, anchor) it links to}, and what is wrong with it."""
    parsed = parse(text, page)
    sections = [entry for entry in parsed if entry.anchor == MOVED]
    if not sections:
        return {}, []
    moved, problems = sections[0], []
    if parsed[-1] is not moved:
        problems.append("the moved list is not the last `## ` section")
    if moved.parts or moved.unlabelled_blocks:
        problems.append("the moved list holds labels or python blocks, which belong to an entry")
    body = text.split(f"{{ #{MOVED} }}", 1)[1]
    links = {}
    for line in body.splitlines():
        if "<a id=" not in line:
            continue
        found = MOVED_ITEM.match(line)
        if not found:
            problems.append(f"not a moved-list line: {line}")
        else:
            links[found.group(1)] = (found.group(2), found.group(3))
    return links, problems


def test_the_section_has_pages_and_entries():
    assert {page.name for page in PAGES} >= {"building.md", "calling.md", "graph-mode.md", "saving.md"}
    assert len(ENTRIES) >= 27


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: f"{entry.page.stem}#{entry.anchor}")
def test_entry_reproduces_proves_its_cause_and_runs_its_fix(entry):
    problems = structure_problems(entry)
    assert not problems, f"{entry.where()}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: f"{entry.page.stem}#{entry.anchor}")
def test_fix_output_no_longer_shows_the_error(entry):
    """A cheap check that the fix removes the error: no error line of Reproduce reappears in a Fix."""
    reproduced = set().union(*(error_lines(p) for p in entry.parts if p.label == "Reproduce"))
    for part in entry.parts:
        if part.label.startswith("Fix"):
            still = reproduced & error_lines(part)
            assert not still, f"{entry.where()}: **{part.label}.** still prints {sorted(still)}"


def landing_problems(text: str, page: Path, published: list[str], entries: set[tuple[str, str]]) -> list[str]:
    """Published anchors of a page that no longer land: neither an entry there nor a moved link."""
    links, problems = moved_links(text, page)
    here = {anchor for name, anchor in entries if name == page.name}
    for anchor in published:
        if anchor not in here and anchor not in links:
            problems.append(f"#{anchor} is neither an entry here nor in the moved list")
    for anchor, (target, target_anchor) in links.items():
        if anchor in here:
            problems.append(f"#{anchor} is both an entry and a moved link")
        if target_anchor != anchor or (target, anchor) not in entries:
            problems.append(f"#{anchor} links to {target}#{target_anchor}, which is not that entry")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_published_anchor_still_lands(page):
    """An old link page.md#anchor lands on the entry, or on a link to the entry's new home."""
    assert page.name in PUBLISHED, f"add the anchors of {page.name} to PUBLISHED"
    entries = {(entry.page.name, entry.anchor) for entry in ENTRIES if entry.anchor}
    problems = landing_problems(page.read_text(encoding="utf-8"), page, PUBLISHED[page.name], entries)
    assert not problems, f"{page.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def index_links() -> list[tuple[str, str]]:
    """(link text, href) of every link in the index page's tables."""
    tokens = markdown.tokens(tables=True, text=INDEX.read_text(encoding="utf-8"))
    links, in_table = [], False
    for token in tokens:
        if token.type in ("table_open", "table_close"):
            in_table = token.type == "table_open"
        elif in_table and token.type == "inline":
            links += [
                (child.attrGet("href"), token.content)
                for child in token.children or []
                if child.type == "link_open"
            ]
    return [(text, href) for href, text in links]


def test_every_index_table_link_points_at_an_entry():
    anchors = {(entry.page.name, entry.anchor) for entry in ENTRIES}
    links = index_links()
    assert len(links) >= 27
    broken = []
    for text, href in links:
        page, _, anchor = href.partition("#")
        if (page, anchor) not in anchors:
            broken.append(f"{href} (row: {text})")
    assert not broken, "index.md links to entries that do not exist:\n  " + "\n  ".join(broken)


def test_every_entry_of_an_indexed_page_is_in_the_index_table():
    linked = {href for _, href in index_links()}
    indexed_pages = {href.partition("#")[0] for href in linked}
    missing = [
        entry.where()
        for entry in ENTRIES
        if entry.page.name in indexed_pages and f"{entry.page.name}#{entry.anchor}" not in linked
    ]
    assert not missing, "entries no row of the index table links to:\n  " + "\n  ".join(missing)


# The checks above must be able to fail: each case below breaks a well-formed entry one way.
GOOD_ENTRY = """# Page

## `ValueError: boom` { #boom }

**Reproduce.** It fails.

```python
print("ValueError: boom")
```
<!--pytest-codeblocks:expected-output-->
```text
ValueError: boom
```

**Cause.** Why.

```python
print("state")
```
<!--pytest-codeblocks:expected-output-->
```text
state
```

**Fix.** Like this.

```python
print("fixed")
```
<!--pytest-codeblocks:expected-output-->
```text
fixed
```
"""

FIX_BLOCK = (
    '\n```python\nprint("fixed")\n```\n<!--pytest-codeblocks:expected-output-->\n```text\nfixed\n```\n'
)


@pytest.mark.parametrize(
    "broken, expected",
    [
        (GOOD_ENTRY.replace(FIX_BLOCK, "\n"), "**Fix.** (line 25) has no python block"),
        (GOOD_ENTRY.replace("**Cause.** Why.", "Why."), "expected Reproduce, Cause, then Fix"),
        (
            GOOD_ENTRY.replace("**Fix.** Like this.", "**Fix 1.** Like this."),
            "expected Reproduce, Cause, then Fix",
        ),
        (GOOD_ENTRY.replace(" { #boom }", ""), "no explicit anchor"),
        (
            GOOD_ENTRY.replace('```python\nprint("state")', '```text\nprint("state")'),
            "**Cause.** (line 15) has no python block",
        ),
        (
            GOOD_ENTRY.replace("<!--pytest-codeblocks:expected-output-->\n```text\nfixed", "```text\nfixed"),
            "shows no output",
        ),
        (
            GOOD_ENTRY.replace(
                "**Reproduce.** It fails.", "```python\nprint(1)\n```\n\n**Reproduce.** It fails."
            ),
            "comes before **Reproduce.**",
        ),
    ],
)
def test_structure_check_catches_a_broken_entry(broken, expected):
    assert not structure_problems(parse(GOOD_ENTRY, SECTION / "good.md")[0])
    problems = structure_problems(parse(broken, SECTION / "broken.md")[0])
    assert any(expected in problem for problem in problems), problems


def test_a_label_inside_a_code_block_does_not_count():
    hidden = GOOD_ENTRY.replace("**Fix.** Like this.", "```text\n**Fix.** Like this.\n```")
    problems = structure_problems(parse(hidden, SECTION / "hidden.md")[0])
    assert any("expected Reproduce, Cause, then Fix" in problem for problem in problems), problems


def test_error_check_catches_a_fix_that_still_fails():
    still_failing = GOOD_ENTRY.replace(
        'print("fixed")\n```\n<!--pytest-codeblocks:expected-output-->\n```text\nfixed',
        'print("ValueError: boom")\n```\n<!--pytest-codeblocks:expected-output-->\n```text\nValueError: boom',
    )
    entry = parse(still_failing, SECTION / "still.md")[0]
    with pytest.raises(AssertionError, match="still prints"):
        test_fix_output_no_longer_shows_the_error(entry)


def test_backend_tabs_count_as_shown_output():
    # An error raised on one backend only is reproduced with one tab per backend.
    tabs = "\n".join(
        f'=== "{title}"\n\n    ```text\n    {text}\n    ```\n'
        for title, text in [("TensorFlow", "ValueError: boom"), ("JAX", "ran"), ("PyTorch", "ran")]
    )
    shown = "<!--pytest-codeblocks:expected-output-->\n```text\nValueError: boom\n```"
    tabbed = GOOD_ENTRY.replace(shown, tabs)
    entry = parse(tabbed, SECTION / "tabbed.md")[0]
    assert not structure_problems(entry)
    assert entry.parts[0].blocks[0].output == "ValueError: boom\nran\nran\n"
    still_failing = tabbed.replace(FIX_BLOCK, "\n```python\nprint(1)\n```\n\n" + tabs)
    with pytest.raises(AssertionError, match="still prints"):
        test_fix_output_no_longer_shows_the_error(parse(still_failing, SECTION / "still.md")[0])


MOVED_LIST = """
## Moved to their own pages { #moved }

Entries that were on this page before it was split; old links land here.

<div markdown data-search-exclude>

- <a id="gone"></a>[`ValueError: gone`](other.md#gone)

</div>
"""


@pytest.mark.parametrize(
    "text, published, expected",
    [
        (GOOD_ENTRY, ["boom", "gone"], "#gone is neither an entry here nor in the moved list"),
        (GOOD_ENTRY + MOVED_LIST.replace("other.md#gone", "other.md#elsewhere"), ["gone"], "which is not"),
        (GOOD_ENTRY + MOVED_LIST.replace("other.md", "missing.md"), ["gone"], "which is not that entry"),
        (GOOD_ENTRY + MOVED_LIST.replace('id="gone"', 'id="boom"'), ["boom"], "both an entry and"),
        (MOVED_LIST.replace("# Page", "") + GOOD_ENTRY.replace("# Page", ""), ["gone"], "not the last"),
        (GOOD_ENTRY + MOVED_LIST + FIX_BLOCK, ["gone"], "labels or python blocks"),
        (GOOD_ENTRY + MOVED_LIST.replace("](other.md#gone)", "]"), ["gone"], "not a moved-list line"),
    ],
)
def test_landing_check_catches_an_anchor_that_no_longer_lands(text, published, expected):
    entries = {("good.md", "boom"), ("other.md", "gone")}
    good = GOOD_ENTRY + MOVED_LIST
    assert landing_problems(good, SECTION / "good.md", ["boom", "gone"], entries) == []
    problems = landing_problems(text, SECTION / "good.md", published, entries)
    assert any(expected in problem for problem in problems), problems
