"""The one fence reader (docs_tooling.markdown): containers, caching, fence ends."""

from __future__ import annotations

import os
import textwrap

from docs_tooling import markdown


def test_a_page_is_parsed_once_while_it_is_unchanged(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nprint(1)\n```\n", encoding="utf-8")
    first = markdown.scan(page)
    assert markdown.scan(page) is first
    page.write_text("```python\nprint(2)\n```\n\n```bash\nls\n```\n", encoding="utf-8")
    later = page.stat().st_mtime_ns + 10**9  # a new mtime even on a coarse-grained clock
    os.utime(page, ns=(later, later))
    again = markdown.scan(page)
    assert again is not first
    assert [f.content for f in again.fences] == ["print(2)\n", "ls\n"]


def test_fences_in_nested_containers_are_read_with_their_indentation_removed():
    page = markdown.parse(
        textwrap.dedent("""\
        !!! note "Outer"

            === "Tab"

                <!--pytest-codeblocks:expected-output-->
                ```python
                if True:
                    print(1)
                ```

        Prose.
        """)
    )
    (fence,) = page.fences
    assert (fence.line, fence.last_line, fence.prefix, fence.info) == (6, 9, "        ", "python")
    assert fence.content == "if True:\n    print(1)\n"
    assert fence.directives == [(5, "pytest-codeblocks:expected-output")]


def test_an_indented_block_outside_a_container_holds_no_fence():
    """Markdown renders it as code text, so the ``` inside is not a block."""
    page = markdown.parse("Prose.\n\n    ```python\n    print(1)\n    ```\n")
    assert page.fences == []


def test_an_unclosed_fence_runs_to_the_end_and_says_so():
    (fence,) = markdown.parse("```python\nprint(1)\n").fences
    assert not fence.closed and fence.content == "print(1)\n"
    (fence,) = markdown.parse("```python\nprint(1)\n```\n").fences
    assert fence.closed and fence.last_line == 3
