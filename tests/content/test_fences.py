"""No block escapes: every Python or shell fence of the guide runs, or says why not.

pytest-codeblocks runs a fence only when its info string is exactly
`python`, `sh` or `bash` and the fence is a ``` fence at the start of a
line. Any other spelling (`py`, `python3`, `python title="x.py"`,
`{.python}`, `~~~python`, a fence in a blockquote) is silently left out.
These tests read the pages' fences the way Markdown renders them
(docs_tooling/markdown.py) and fail on every Python or shell fence that the
doc-block runner does not collect and that is not marked as not run with a
written reason.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from docs_tooling import markdown as markdown_fences
from docs_tooling.doc_blocks import PageError, audit, read_blocks, shown_for
from docs_tooling.paths import ROOT, display_path

PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]

# Places where a block continues the one before it (<!--pytest-codeblocks:cont-->),
# as (page, line of the continuing fence). A continued block is not what a
# reader can paste alone, so each one is a decision, listed here. None so far.
ALLOWED_CONTINUATIONS: set[tuple[str, int]] = set()


def test_every_python_and_shell_fence_is_run_or_says_why_not(capsys):
    result = audit(PAGES, ALLOWED_CONTINUATIONS)
    with capsys.disabled():
        print(
            f"\nfence audit of {len(PAGES)} pages: {result.found} Python/shell fences found, "
            f"{result.collected} collected, {result.not_run} not run (with a reason)"
        )
    assert not result.problems, "\n".join(result.problems)
    assert result.found == result.collected + result.not_run


def test_every_listed_continuation_is_still_in_the_pages():
    present = set()
    for path in PAGES:
        for fence in markdown_fences.scan(path).fences:
            if fence.has_directive("cont"):
                present.add((display_path(path), fence.line))
    assert ALLOWED_CONTINUATIONS <= present, (
        f"listed but gone, remove from ALLOWED_CONTINUATIONS: {ALLOWED_CONTINUATIONS - present}"
    )


def test_no_page_demonstrates_an_error_with_xfail_or_expect_exception():
    """A bare xfail or expect-exception passes on any error, even the wrong one."""
    found = []
    for path in PAGES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"<!--.*(pytest\.mark\.xfail|expect-exception|expect-error)", line):
                found.append(f"{display_path(path)}:{number}: {line.strip()}")
    assert not found, (
        "catch the exception and print its type and message instead "
        "(docs/maintainers/writing-pages.md):\n" + "\n".join(found)
    )


def test_blocks_that_catch_an_exception_show_what_they_print():
    """Without shown output, a try/except block passes even when nothing is raised."""
    unchecked = []
    for path in PAGES:
        for block in read_blocks(path):
            if (
                block.syntax == "python"
                and re.search(r"^\s*except\b", block.code, re.M)
                and shown_for(path, block) is None
            ):
                unchecked.append(f"{display_path(path)}:{block.lineno}")
    assert not unchecked, "these blocks catch an exception but show no output:\n" + "\n".join(unchecked)


# The audit itself, on pages written for the purpose.

ESCAPING_FENCES = [
    "```py",
    "```python3",
    "```pycon",
    "```ipython",
    "```Python",
    "```py3",
    '```python title="x.py"',
    '```python hl_lines="2"',
    "``` { .python .copy }",
    "```{.python}",
    "~~~python",
    "~~~~bash",
    "```console",
    "```shell",
    "```zsh",
    "```sh title=x",
]


@pytest.mark.parametrize("opening", ESCAPING_FENCES)
def test_audit_fails_on_a_fence_that_would_escape(tmp_path, opening):
    closing = re.match(r"[`~]+", opening.strip()).group(0)
    page = tmp_path / "page.md"
    page.write_text(f"# Page\n\n{opening}\nprint(1)\n{closing}\n", encoding="utf-8")
    result = audit([page])
    assert result.found == 1 and result.collected == 0
    assert len(result.problems) == 1 and "page.md:3" in result.problems[0]


@pytest.mark.parametrize("container", ["!!! note", '??? example "Title"', '=== "Keras 3"'])
def test_audit_fails_on_an_escaping_fence_inside_an_admonition_or_tab(tmp_path, container):
    page = tmp_path / "page.md"
    page.write_text(f"{container}\n\n    ```py\n    print(1)\n    ```\n", encoding="utf-8")
    result = audit([page])
    assert (result.found, result.collected) == (1, 0) and "page.md:3" in result.problems[0]


def test_audit_fails_on_a_fence_in_a_blockquote_or_list_item(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("> ```python\n> print(1)\n> ```\n\n1. ```python\n   print(2)\n   ```\n", encoding="utf-8")
    result = audit([page])
    assert (result.found, result.collected) == (2, 0)
    assert any("page.md:1:" in p for p in result.problems)
    assert any("page.md:5:" in p for p in result.problems)


def test_audit_accepts_plain_fences_in_admonitions_and_skips_with_reasons(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent("""\
        ```python
        print(1)
        ```

        !!! note

            ```python
            print(2)
            ```

        === "Tab"

            <!--pytest.mark.skip(reason="starts a server")-->
            ```console
            $ make serve
            ```

        <!--pytest.mark.skip(reason="shown for comparison only")-->
        ```py
        print(3)
        ```
        """),
        encoding="utf-8",
    )
    result = audit([page])
    assert not result.problems
    assert (result.found, result.collected, result.not_run) == (4, 2, 2)


def test_a_skip_without_a_reason_does_not_count_as_not_run(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('<!--pytest.mark.skip(reason="")-->\n```console\n$ ls\n```\n', encoding="utf-8")
    assert len(audit([page]).problems) == 1


def test_four_backtick_examples_are_not_counted_as_blocks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent("""\
        ````markdown
        ```python
        print("an example of how to write a block")
        ```
        <!--pytest-codeblocks:expected-output-->
        ```text
        an example
        ```
        ````

        ```python
        print("real")
        ```
        <!--pytest-codeblocks:expected-output-->
        ```text
        real
        ```
        """),
        encoding="utf-8",
    )
    result = audit([page])
    assert not result.problems
    assert (result.found, result.collected) == (1, 1)
    assert [b.lineno for b in read_blocks(page)] == [1, 11]


def test_writing_pages_examples_are_not_miscounted():
    page = ROOT / "docs" / "maintainers" / "writing-pages.md"
    fences = markdown_fences.scan(page).fences
    outer = [f for f in fences if f.marker == "````"]
    assert outer, "writing-pages.md shows its examples in ```` fences"
    for fence in outer:
        assert "```" in fence.content  # the example fences stay inside, as text
    python = [f for f in fences if markdown_fences.is_python_or_shell(f.lang)]
    assert all(f.marker == "```" for f in python)


def test_tilde_fence_around_backticks_is_refused(tmp_path):
    """pytest-codeblocks does not know ~~~ and would run the example inside as a block."""
    page = tmp_path / "page.md"
    page.write_text("~~~markdown\n```python\nraise SystemExit(3)\n```\n~~~\n", encoding="utf-8")
    with pytest.raises(PageError, match="reads this block differently|finds 1 blocks"):
        read_blocks(page)


def test_a_comment_away_from_its_block_is_refused(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        '<!--pytest.mark.skip(reason="x")-->\nSome prose.\n\n```python\nprint(1)\n```\n', encoding="utf-8"
    )
    with pytest.raises(PageError, match="not directly above a code block"):
        read_blocks(page)


@pytest.mark.parametrize(
    "text", ["```text\nbefore\n```python\nafter\n```\n", "```text\n```python\nprint(1)\n```\n```\n"]
)
def test_a_fence_that_opens_inside_a_block_is_refused(tmp_path, text):
    """Markdown keeps ```python inside a ``` block as text; pytest-codeblocks ends the block there."""
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    with pytest.raises(PageError, match="reads this block differently|finds|cannot read"):
        read_blocks(page)


def test_empty_lines_of_an_indented_block_are_kept(tmp_path):
    """pytest-codeblocks drops them; the runner puts them back, so lines and output match the page."""
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent('''\
        !!! note

            ```python
            text = """a

            b"""
            print(text)
            ```
            <!--pytest-codeblocks:expected-output-->
            ```text
            a

            b
            ```
        '''),
        encoding="utf-8",
    )
    (block,) = read_blocks(page)
    assert block.code == 'text = """a\n\nb"""\nprint(text)\n'
    assert block.expected_output == "a\n\nb\n"


def test_a_continuation_not_in_the_list_is_refused(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n<!--pytest-codeblocks:cont-->\n```python\nprint(x)\n```\n", encoding="utf-8"
    )
    assert len(audit([page]).problems) == 1
    assert not audit([page], {(display_path(page), 5)}).problems
