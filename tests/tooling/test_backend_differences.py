"""The "Where the backends differ" page is the table rendered from the pages' backend tabs."""

from __future__ import annotations

import textwrap

import pytest

from docs_tooling import backend_differences
from docs_tooling.paths import DOCS


def test_the_page_on_disk_is_the_table_of_the_tabs():
    rendered = backend_differences.render(backend_differences.rows())
    assert backend_differences.PAGE.read_text(encoding="utf-8") == rendered, (
        "docs/reference/backend-differences.md is stale: run `make backend-differences`"
    )


PAGE = """\
---
# A comment in the front matter is not the title.
search:
  boost: 2
---

# A page

## Trace under jit { #under-jit }

Prose.

```python
import keras

print(keras.backend.backend())
```

=== "TensorFlow"

    ```text
    tensorflow | tf
    ```

=== "JAX"

    ```text
    jax
    two <lines>
    ```

=== "PyTorch"

    ```text
    torch
    ```
"""


def test_a_block_with_tabs_becomes_a_linked_row_with_each_backends_output(tmp_path):
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "page.md").write_text(textwrap.dedent(PAGE), encoding="utf-8")
    (tmp_path / "guide" / "plain.md").write_text("# Plain\n\n```python\nprint(1)\n```\n", encoding="utf-8")
    found = backend_differences.rows(tmp_path)
    assert found == [
        backend_differences.Row(
            page="guide/page.md",
            title="A page",
            line=13,
            section="Trace under jit",
            anchor="under-jit",
            outputs={"tensorflow": "tensorflow | tf\n", "jax": "jax\ntwo <lines>\n", "torch": "torch\n"},
        )
    ]
    rendered = backend_differences.render(found).splitlines()
    section = rendered[rendered.index("## A page") :]
    assert section == [
        "## A page",
        "",
        "From [`guide/page.md`](../guide/page.md):",
        "",
        '<div class="kcg-deferred" markdown>',
        "",
        "| Block | TensorFlow | JAX | PyTorch |",
        "| --- | --- | --- | --- |",
        "| [Trace under jit (line 13)](../guide/page.md#under-jit) | <code>tensorflow &#124; tf</code> "
        "| <code>jax<br>two &lt;lines&gt;</code> | <code>torch</code> |",
        "",
        "</div>",
    ]


def test_each_page_gets_its_own_section_and_table(tmp_path):
    for name in ("a.md", "b.md"):
        text = textwrap.dedent(PAGE).replace("# A page", f"# Page {name[0].upper()}")
        (tmp_path / name).write_text(text + "\n" + text[text.index("```python") :], encoding="utf-8")
    rendered = backend_differences.render(backend_differences.rows(tmp_path)).splitlines()
    assert [line for line in rendered if line.startswith("## ")] == ["## Page A", "## Page B"]
    assert sum(line.startswith("| --- |") for line in rendered) == 2
    assert sum(line.startswith("| [Trace under jit") for line in rendered) == 4


def test_a_page_with_tabs_but_no_title_is_an_error(tmp_path):
    (tmp_path / "page.md").write_text(textwrap.dedent(PAGE).replace("# A page\n", ""), encoding="utf-8")
    with pytest.raises(ValueError, match="needs a '# Title' line"):
        backend_differences.rows(tmp_path)


def test_no_tabs_anywhere_says_so(tmp_path):
    (tmp_path / "plain.md").write_text("# Plain\n", encoding="utf-8")
    assert "No block prints differently" in backend_differences.render(backend_differences.rows(tmp_path))


def test_the_generated_page_is_in_the_docs():
    assert backend_differences.PAGE.parent == DOCS / "reference"
