"""Every difference on the migration page shows its change running, and links to it.

A row under `## Differences` in docs/migration/keras2-vs-keras3.md ends its
"What to change" paragraph with a link to `#ROW-fix`; right after the paragraph
a `#### ... {#ROW-fix}` heading opens the fix: a Python block that imports
`keras` (not `tf_keras`), followed by the output it prints. The doc-block tests
run that block and check its output; this test checks that it is there. The
page is read with markdown-it-py, so a fence inside another construct is seen
as Markdown sees it. Nothing here imports TensorFlow or Keras.
"""

import re

import pytest

from docs_tooling import markdown
from docs_tooling.paths import ROOT

PAGE = ROOT / "docs" / "migration" / "keras2-vs-keras3.md"
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
        if not rest or rest[0].type != "fence" or rest[0].info.strip() != "python":
            problems.append(f"{where}: no ```python block right after the #{fix_anchor} heading")
            continue
        code = rest[0].content
        if not KERAS3_IMPORT.search(code) or KERAS2_IMPORT.search(code):
            problems.append(f"{where}: the fix block must import keras and not tf_keras")
        if not (
            len(rest) >= 3
            and rest[1].type == "html_block"
            and rest[1].content.strip() == OUTPUT_MARKER
            and rest[2].type == "fence"
            and rest[2].info.strip() == "text"
            and rest[2].content.strip()
        ):
            problems.append(f"{where}: the fix block's printed output is not shown after it")
    return problems


PAGE_TEXT = PAGE.read_text(encoding="utf-8")


def test_every_difference_has_its_fix_block_and_link():
    problems = fix_problems(PAGE_TEXT)
    assert not problems, "\n".join(problems)


def test_the_page_has_differences_to_check():
    rows = list(_difference_rows(markdown.tokens(PAGE_TEXT)))
    assert len(rows) >= 12


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
