"""Every difference in the migration section shows its change running, and old links still land.

A row under `## Differences` on a page of docs/migration/ (migration_table.PAGES) ends its
"What to change" paragraph with a link to `#ROW-fix`; right after the paragraph
a `#### ... {#ROW-fix}` heading opens the fix: a Python block that imports
`keras` (not `tf_keras`), followed by the output it prints. The doc-block tests
run that block and check its output; this test checks that it is there. The
page is read with markdown-it-py, so a fence inside another construct is seen
as Markdown sees it. Nothing here imports TensorFlow or Keras.

The section was one page, docs/migration/keras2-vs-keras3.md, until it was split; that page
stays at its URL and keeps each anchor it published, as an `<a id>` that links to the section
that now holds it.
"""

import re

import pytest

from docs_tooling import markdown, migration_table

SECTION = migration_table.SECTION
OLD_PAGE = SECTION / "keras2-vs-keras3.md"
# Every anchor the single page published before the split (its headings' ids).
OLD_ANCHORS = (
    ["the-table", "differences", "same-in-both", "how-the-table-is-made"]
    + [
        anchor + suffix
        for anchor in (
            "training-positional training-explicit-none autograph two-positional-inputs-fit "
            "non-tensor-positional numpy-arguments build-argument build-several-inputs model-build "
            "first-call-runs-twice summary-before-build add-metric add-loss-callable get-config "
            "save-format save-h5 load-savedmodel compute-output-shape mask-not-supported "
            "optimizer-minimize compiled-loss-metrics metrics-before-fit"
        ).split()
        for suffix in ("", "-fix")
    ]
    + ["same-training-values", "same-symbolic-call", "same-add-loss", "same-mask-argument"]
)
RENAMED = {"differences": "the-table"}
MOVED_LINK = re.compile(r'<a id="(?P<anchor>[\w-]+)"></a>')
CHANGE_PREFIX = "What to change:"
OUTPUT_MARKER = "<!--pytest-codeblocks:expected-output-->"
HEADING_ANCHOR = re.compile(r"\{\s*#(?P<anchor>[A-Za-z0-9_-]+)[^}]*\}\s*$")
KERAS3_IMPORT = re.compile(r"^(import keras\b|from keras\b)", re.MULTILINE)
KERAS2_IMPORT = re.compile(r"^(import tf_keras\b|from tf_keras\b)", re.MULTILINE)


def _anchor(inline_text: str) -> str | None:
    match = HEADING_ANCHOR.search(inline_text)
    return match["anchor"] if match else None


def _difference_rows(tokens):
    """Yield (row anchor, the row's tokens) for each `###` row under `## Differences`."""
    section = None
    row_anchor, row_tokens = None, []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3"):
            if row_anchor is not None:
                yield row_anchor, row_tokens
            row_anchor, row_tokens = None, []
            title = tokens[index + 1].content
            if token.tag == "h2":
                section = title.strip()
            elif section == "Differences":
                row_anchor = _anchor(title) or title
        if row_anchor is not None:
            row_tokens.append(token)
    if row_anchor is not None:
        yield row_anchor, row_tokens


def fix_problems(text: str) -> list[str]:
    """What is missing from each difference row's fix; empty when every row is complete."""
    tokens = markdown.tokens(text)
    problems = []
    rows = list(_difference_rows(tokens))
    if not rows:
        return ["no rows found under '## Differences'"]
    for anchor, row in rows:
        where = f"row #{anchor}"
        fix_anchor = f"{anchor}-fix"
        change_at = next(
            (
                i
                for i, token in enumerate(row)
                if token.type == "inline"
                and row[i - 1].type == "paragraph_open"
                and token.content.startswith(f"**{CHANGE_PREFIX}**")
            ),
            None,
        )
        if change_at is None:
            problems.append(f"{where}: no '**{CHANGE_PREFIX}**' paragraph")
            continue
        links = [
            child.attrs.get("href") for child in row[change_at].children or [] if child.type == "link_open"
        ]
        if f"#{fix_anchor}" not in links:
            problems.append(f"{where}: the '{CHANGE_PREFIX}' paragraph does not link to #{fix_anchor}")
        after = row[change_at + 2 :]  # past the paragraph's inline and paragraph_close
        # The next thing after the paragraph is the fix heading, then the fix block.
        if not (
            len(after) >= 3
            and after[0].type == "heading_open"
            and after[0].tag == "h4"
            and _anchor(after[1].content) == fix_anchor
        ):
            problems.append(
                f"{where}: no '#### ... {{#{fix_anchor}}}' heading right after "
                f"the '{CHANGE_PREFIX}' paragraph"
            )
            continue
        rest = after[3:]  # past heading_open, inline, heading_close
        while rest and rest[0].type == "html_block" and rest[0].content.startswith("<!--pytest.mark."):
            rest = rest[1:]  # the block's own marker (its backends) belongs to it
        if not rest or rest[0].type != "fence" or rest[0].info.strip() != "python":
            problems.append(f"{where}: no ```python block right after the #{fix_anchor} heading")
            continue
        code = rest[0].content
        if not KERAS3_IMPORT.search(code) or KERAS2_IMPORT.search(code):
            problems.append(f"{where}: the fix block must import keras and not tf_keras")
        shown_once = (
            len(rest) >= 3
            and rest[1].type == "html_block"
            and rest[1].content.strip() == OUTPUT_MARKER
            and rest[2].type == "fence"
            and rest[2].info.strip() == "text"
            and rest[2].content.strip()
        )
        # or one output per backend, in tabs (the runner checks each tab holds one text fence)
        tab = None
        if len(rest) >= 2 and rest[1].type == "container_open":
            tab = re.match(r'^===[+!]?\s+"([^"]*)"', rest[1].info.strip())
        shown_in_tabs = tab is not None and tab.group(1) in markdown.BACKEND_TABS
        if not (shown_once or shown_in_tabs):
            problems.append(f"{where}: the fix block's printed output is not shown after it")
    return problems


TEXTS = {name: (SECTION / name).read_text(encoding="utf-8") for name in migration_table.PAGES}
PAGE_TEXT = TEXTS[migration_table.PAGES[0]]  # the page the breakage tests below break


@pytest.mark.parametrize("name", migration_table.PAGES)
def test_every_difference_has_its_fix_block_and_link(name):
    problems = [
        problem for problem in fix_problems(TEXTS[name]) if problem != "no rows found under '## Differences'"
    ]
    assert not problems, f"docs/migration/{name}:\n" + "\n".join(problems)


def test_the_section_has_differences_to_check():
    rows = [row for text in TEXTS.values() for row in _difference_rows(markdown.tokens(text))]
    assert len(rows) >= 12


def moved_anchor_problems(old_page: str, pages: dict[str, str]) -> list[str]:
    """Published anchors missing from the old page, and its links that land nowhere."""
    ids = {name: set(re.findall(r"\{\s*#([\w-]+)\s*\}", text)) for name, text in pages.items()}
    problems = []
    kept = set()
    for line in old_page.splitlines():
        found = MOVED_LINK.findall(line)
        kept |= set(found)
        targets = re.findall(r"\]\(([\w-]+\.md)#([\w-]+)\)", line)
        landing = {target for _, target in targets}
        for anchor in found:
            # The old "Differences" heading sat right above the table, where it now leads.
            if RENAMED.get(anchor, anchor) not in landing:
                problems.append(f"#{anchor} links to no section of that name")
        problems += [
            f"{page}#{target} does not exist" for page, target in targets if target not in ids.get(page, ())
        ]
    problems += [f"#{anchor} is no longer on the old page" for anchor in OLD_ANCHORS if anchor not in kept]
    return problems


def section_texts() -> dict[str, str]:
    return {**TEXTS, "index.md": migration_table.INDEX.read_text(encoding="utf-8")}


def test_every_old_anchor_still_lands_and_links_on():
    problems = moved_anchor_problems(OLD_PAGE.read_text(encoding="utf-8"), section_texts())
    assert not problems, "docs/migration/keras2-vs-keras3.md:\n" + "\n".join(problems)


def test_a_dropped_or_misdirected_old_anchor_is_reported():
    old = OLD_PAGE.read_text(encoding="utf-8")
    dropped = old.replace('<a id="autograph-fix"></a>', "")
    assert moved_anchor_problems(dropped, section_texts()) == ["#autograph-fix is no longer on the old page"]
    misdirected = old.replace("(symbolic.md#autograph)", "(building.md#autograph)")
    assert moved_anchor_problems(misdirected, section_texts()) == ["building.md#autograph does not exist"]
    renamed = old.replace("(symbolic.md#autograph)", "(symbolic.md#tf-ops-on-keras-input)")
    assert moved_anchor_problems(renamed, section_texts()) == ["#autograph links to no section of that name"]


# The checks above must be able to fail: each change below breaks one row of the
# real page, and the checker must name that row.


def _first_fix_section(text: str) -> tuple[int, int]:
    """Start and end offsets of the first '#### Fix' heading through its shown output."""
    start = text.index("\n#### ") + 1
    output = text.index(OUTPUT_MARKER, start)
    end = text.index("```\n", text.index("```text\n", output) + len("```text\n")) + len("```\n")
    return start, end


def _first_row_anchor(text: str) -> str:
    return next(_difference_rows(markdown.tokens(text)))[0]


@pytest.mark.parametrize(
    "breakage",
    ["fix section removed", "link removed", "heading removed", "fix imports tf_keras", "output not shown"],
)
def test_checker_names_the_broken_row(breakage):
    text = PAGE_TEXT
    start, end = _first_fix_section(text)
    section = text[start:end]
    anchor = _first_row_anchor(text)
    if breakage == "fix section removed":
        text = text[:start] + text[end:]
    elif breakage == "link removed":
        text = text.replace(f"(#{anchor}-fix)", "(#elsewhere)", 1)
    elif breakage == "heading removed":
        heading = section.splitlines(keepends=True)[0]
        text = text[:start] + section.replace(heading, "", 1) + text[end:]
    elif breakage == "fix imports tf_keras":
        text = text[:start] + section.replace("import keras\n", "import tf_keras as keras\n") + text[end:]
    elif breakage == "output not shown":
        text = text[:start] + section[: section.index(OUTPUT_MARKER)] + text[end:]
    assert section.startswith("#### ") and f"{{#{anchor}-fix}}" in section.splitlines()[0]
    # Only what the breakage adds counts, so this test fails only on the checker.
    problems = [problem for problem in fix_problems(text) if problem not in fix_problems(PAGE_TEXT)]
    assert problems and all(problem.startswith(f"row #{anchor}:") for problem in problems), problems
