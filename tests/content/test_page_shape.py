"""Every guide page answers first, holds one concept, and the cheat sheet's rules are backed by blocks.

The page shape (issue #20, docs/maintainers/writing-pages.md, "One concept per page"):

- Right under its `# Title`, before anything else, a guide page has an "In short" box,
  `!!! abstract "In short"`, holding only a bullet list of at most five one-line answers, each
  with a link to a section of the same page that proves it, and the anchor must exist there.
- No guide page is longer than MAX_LINES lines of Markdown.
- Every rule on the cheat sheet (`docs/guide/cheat-sheet.md`) links to a section, on some guide page,
  that holds a ```python block with its shown output (`<!--pytest-codeblocks:expected-output-->`),
  which the doc-block tests run and check. A link to a section without one fails here.

The pages checked are docs/guide/*.md and the pages of the migration section, docs/migration/*.md,
under the same rules. Its index is held to them too: it is a generated table, but its own Markdown
(the includes, the errata) is short, and its answers link to its own sections. Two files there are
left out: results.md, which is not a page but the table the index includes, and
keras2-vs-keras3.md, the section's old URL, which holds only the anchors it published, each a link
to its new page (tests/content/test_migration_fixes.py).

The troubleshooting section, docs/guide/troubleshooting/*.md, is checked too. A troubleshooting page
is an index of error messages, one entry per `## ` heading (the entries' own convention is tested in
tests/content/test_troubleshooting_entries.py); its box answers "error X -> cause, fix", each line
linking to the entry that reproduces it. The section's index.md is held to the length budget but
needs no box: it proves nothing itself, its table sends each message to an entry on another page,
and a box's links must land on the page they are on.

Pages are read with markdown-it-py through docs_tooling.markdown, so a heading or a link inside a
code block does not count. Anchors are the explicit `{ #anchor }` of a heading, the id MkDocs's toc
extension derives from a heading without one, and `id="..."` attributes of raw HTML (the anchors
that a split page keeps for its moved sections). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

from docs_tooling import markdown
from docs_tooling.paths import DOCS

GUIDE = DOCS / "guide"
MIGRATION = DOCS / "migration"
NOT_PAGES = {MIGRATION / "results.md", MIGRATION / "keras2-vs-keras3.md"}
PAGES = sorted(GUIDE.glob("*.md")) + sorted(set(MIGRATION.glob("*.md")) - NOT_PAGES)
TROUBLESHOOTING = GUIDE / "troubleshooting"
TROUBLESHOOTING_PAGES = sorted(TROUBLESHOOTING.glob("*.md"))
# The pages that must open with a box, and the pages held to the length budget.
BOXED_PAGES = PAGES + [page for page in TROUBLESHOOTING_PAGES if page.name != "index.md"]
BUDGETED_PAGES = PAGES + TROUBLESHOOTING_PAGES
CHEAT_SHEET = GUIDE / "cheat-sheet.md"

MAX_LINES = 450  # "about 450 lines of Markdown" per page (issue #20)
MAX_ANSWERS = 5
IN_SHORT = '!!! abstract "In short"'
EXPECTED_OUTPUT = "<!--pytest-codeblocks:expected-output-->"
EXPLICIT_ANCHOR = re.compile(r"\s*\{\s*#([\w-]+)\s*\}\s*$")
HTML_ID = re.compile(r"""\bid=["']([\w-]+)["']""")
FRONT_MATTER = re.compile(r"\A---\n.*?^---\n", re.S | re.M)


@dataclass
class Section:
    anchor: str
    level: int  # 2 for ##, 3 for ###
    line: int  # 1-based line of the heading
    start: int  # index of its heading_open token
    end: int  # index of the next heading of the same or a higher level, or len(tokens)


def heading_anchor(inline) -> str:
    """The id MkDocs gives a heading: its explicit `{ #anchor }`, else the toc extension's slug."""
    found = EXPLICIT_ANCHOR.search(inline.content)
    if found:
        return found.group(1)
    text = "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))
    return slugify(text, "-")


def sections(tokens) -> list[Section]:
    heads = [
        (index, int(token.tag[1]), token.map[0] + 1, heading_anchor(tokens[index + 1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag in ("h2", "h3", "h4")
    ]
    found = []
    for number, (index, level, line, anchor) in enumerate(heads):
        later = (other for other, other_level, _, _ in heads[number + 1 :] if other_level <= level)
        end = next(later, len(tokens))
        found.append(Section(anchor, level, line, index, end))
    return found


def anchors(tokens) -> set[str]:
    ids = {section.anchor for section in sections(tokens)}
    for token in tokens:
        if token.type == "html_block":
            ids |= set(HTML_ID.findall(token.content))
        for child in token.children or []:
            if child.type == "html_inline":
                ids |= set(HTML_ID.findall(child.content))
    return ids


def links(inline) -> list[str]:
    return [child.attrGet("href") for child in inline.children or [] if child.type == "link_open"]


def shows_backend_tabs(tokens, index: int) -> bool:
    """The fence at `index` is followed by backend tabs, each holding that backend's output."""
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return (
        following is not None
        and following.type == "container_open"
        and following.info.strip().removeprefix("===").strip(' +!"') in markdown.BACKEND_TABS
    )


def has_checked_block(tokens, section: Section) -> bool:
    """A ```python fence in the section, directly followed by the expected-output comment and a fence,
    or by backend tabs."""
    for index in range(section.start, section.end):
        token = tokens[index]
        if token.type == "fence" and token.info.strip() == "python":
            if markdown.shown_output(tokens, index) is not None or shows_backend_tabs(tokens, index):
                return True
    return False


def without_front_matter(text: str) -> str:
    """The page without its YAML front matter (`---` ... `---`), which MkDocs reads as metadata."""
    found = FRONT_MATTER.match(text)
    return text[found.end() :] if found else text


def in_short_problems(text: str) -> list[str]:
    """What is wrong with a page's "In short" box; empty when it follows the convention."""
    tokens = markdown.tokens(without_front_matter(text))
    if not tokens or tokens[0].type != "heading_open" or tokens[0].tag != "h1":
        return ["the page does not start with a `# Title`"]
    box = tokens[3] if len(tokens) > 3 else None
    if box is None or box.type != "container_open" or box.info.strip() != IN_SHORT:
        return [f"no `{IN_SHORT}` box directly under the title"]
    depth, close = 0, len(tokens)
    for index in range(3, len(tokens)):
        depth += {"container_open": 1, "container_close": -1}.get(tokens[index].type, 0)
        if depth == 0:
            close = index
            break
    body = tokens[4:close]
    if not body or body[0].type != "bullet_list_open" or body[-1].type != "bullet_list_close":
        return ["the box must hold one bullet list and nothing else"]
    problems = []
    item_level = body[0].level + 1
    items = [
        index
        for index, token in enumerate(body)
        if token.type == "list_item_open" and token.level == item_level
    ]
    if not 1 <= len(items) <= MAX_ANSWERS:
        problems.append(f"the box has {len(items)} answers; 1 to {MAX_ANSWERS} allowed")
    on_page = anchors(tokens)
    for number, start in enumerate(items, 1):
        item = body[start]
        if item.map[1] - item.map[0] != 1:
            problems.append(f"answer {number} spans {item.map[1] - item.map[0]} lines; one line each")
        inline = next(token for token in body[start:] if token.type == "inline")
        hrefs = [href for href in links(inline) if href.startswith("#")]
        if not hrefs:
            problems.append(f"answer {number} has no link to a section of this page (#anchor)")
        problems += [
            f"answer {number} links to #{href[1:]}, which is not on this page"
            for href in hrefs
            if href[1:] not in on_page
        ]
    return problems


def cheat_sheet_problems(text: str, read=lambda path: path.read_text(encoding="utf-8")) -> list[str]:
    """Rules of the cheat sheet without a link, and links that land in no section with a checked block."""
    tokens = markdown.tokens(text)
    problems, checked = [], 0
    in_box = 0
    for index, token in enumerate(tokens):
        if token.type in ("container_open", "container_close"):
            in_box += 1 if token.type == "container_open" else -1
        if in_box or token.type != "list_item_open":
            continue
        inline = next(later for later in tokens[index:] if later.type == "inline")
        hrefs = [href for href in links(inline) if ".md#" in href]
        if not hrefs:
            problems.append(f"line {token.map[0] + 1}: a rule without a link to the section that proves it")
        for href in hrefs:
            page_name, _, anchor = href.partition("#")
            page = (GUIDE / page_name).resolve()
            if not page.is_file():
                problems.append(f"line {token.map[0] + 1}: {href}: no such page")
                continue
            target = markdown.tokens(without_front_matter(read(page)))
            section = next((found for found in sections(target) if found.anchor == anchor), None)
            if section is None:
                problems.append(f"line {token.map[0] + 1}: {href}: no heading with that anchor")
            elif not has_checked_block(target, section):
                problems.append(f"line {token.map[0] + 1}: {href}: no python block with shown output there")
            else:
                checked += 1
    return problems if problems or checked else ["the cheat sheet links to no section at all"]


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


def test_the_guide_has_its_pages():
    names = {page.name for page in PAGES}
    assert {"cheat-sheet.md", "call-vs-dunder-call.md", "misconceptions.md", "training-argument.md"} <= names
    assert not any(page.parent.name == "troubleshooting" for page in PAGES)
    assert {"index.md", "arguments.md", "legacy.md"} <= {
        page.name for page in PAGES if page.parent == MIGRATION
    }
    boxed = {page_id(page) for page in BOXED_PAGES}
    assert {"guide/troubleshooting/building.md", "guide/troubleshooting/saving.md"} <= boxed
    assert "guide/troubleshooting/index.md" not in boxed
    assert TROUBLESHOOTING / "index.md" in BUDGETED_PAGES


@pytest.mark.parametrize("page", BOXED_PAGES, ids=page_id)
def test_page_opens_with_its_in_short_box(page: Path):
    problems = in_short_problems(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.relative_to(DOCS.parent)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", BUDGETED_PAGES, ids=page_id)
def test_page_is_within_the_length_budget(page: Path):
    lines = len(page.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, (
        f"{page.relative_to(DOCS.parent)} has {lines} lines (budget {MAX_LINES}): "
        "split it into pages of one concept each, keeping old anchors as links"
    )


def test_every_cheat_sheet_rule_links_to_a_checked_block():
    problems = cheat_sheet_problems(CHEAT_SHEET.read_text(encoding="utf-8"))
    assert not problems, "docs/guide/cheat-sheet.md:\n  " + "\n  ".join(problems)


def test_the_cheat_sheet_covers_the_rules():
    text = CHEAT_SHEET.read_text(encoding="utf-8")
    # Level 1: the lists of the page itself, not the one inside the "In short" box.
    rules = [token for token in markdown.tokens(text) if token.type == "list_item_open" and token.level == 1]
    assert len(rules) >= 20, f"only {len(rules)} rules on the cheat sheet"


# The checks above must be able to fail: each case below breaks a well-formed page one way.
GOOD_PAGE = """# Title

!!! abstract "In short"
    - The answer. [Proof](#the-proof)
    - Another answer. [Proof](#the-proof-of-two)

Introduction.

## The proof { #the-proof }

```python
print(1)
```
<!--pytest-codeblocks:expected-output-->
```text
1
```

## The proof of `two`

Prose only.
"""


def test_a_good_page_passes():
    assert in_short_problems(GOOD_PAGE) == []
    assert in_short_problems("---\nsearch:\n  boost: 2\n---\n\n" + GOOD_PAGE) == []


@pytest.mark.parametrize(
    "broken, problem",
    [
        (GOOD_PAGE.replace('!!! abstract "In short"', '!!! note "In short"'), "no `!!! abstract"),
        (GOOD_PAGE.replace("# Title\n\n", "# Title\n\nIntro first.\n\n"), "no `!!! abstract"),
        (GOOD_PAGE.replace("(#the-proof)", "(#elsewhere)"), "#elsewhere, which is not on this page"),
        (GOOD_PAGE.replace(" [Proof](#the-proof)\n", "\n"), "answer 1 has no link"),
        (GOOD_PAGE.replace("(#the-proof)", "(other.md#the-proof)"), "answer 1 has no link"),
        (GOOD_PAGE.replace("    - Another", "    - A\n" * 4 + "    - Another"), "6 answers"),
        (GOOD_PAGE.replace("answer. [Proof]", "answer,\n      on two lines. [Proof]"), "spans 2 lines"),
        (GOOD_PAGE.replace("    - Another answer. [Proof](#the-proof-of-two)", "\n    Text."), "bullet list"),
    ],
)
def test_a_broken_in_short_box_fails(broken, problem):
    assert any(problem in found for found in in_short_problems(broken)), in_short_problems(broken)


def test_a_cheat_sheet_link_to_a_section_without_a_checked_block_fails():
    pages = {GUIDE / "page.md": GOOD_PAGE}
    read = pages.__getitem__
    sheet = "# Cheat sheet\n\n- A rule. [Proof](page.md#the-proof)\n"

    def check(text):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Path, "is_file", lambda path: path in pages)
            return cheat_sheet_problems(text, read=read)

    assert check(sheet) == []
    assert "no python block with shown output" in check(sheet.replace("#the-proof", "#the-proof-of-two"))[0]
    assert "no heading with that anchor" in check(sheet.replace("#the-proof", "#missing"))[0]
    assert "without a link" in check(sheet + "- A rule with no proof.\n")[0]
    shown_output_removed = GOOD_PAGE.replace(EXPECTED_OUTPUT + "\n", "")
    pages[GUIDE / "page.md"] = shown_output_removed
    assert "no python block with shown output" in check(sheet)[0]
