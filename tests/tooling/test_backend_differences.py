"""The "Where the backends differ" page is the table rendered from the pages' backend tabs."""

from __future__ import annotations

import textwrap

from docs_tooling import backend_differences
from docs_tooling.paths import DOCS


def test_the_page_on_disk_is_the_table_of_the_tabs():
    rendered = backend_differences.render(backend_differences.rows())
    assert backend_differences.PAGE.read_text(encoding="utf-8") == rendered, (
        "docs/reference/backend-differences.md is stale: run `make backend-differences`"
    )


PAGE = """\
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
            line=7,
            section="Trace under jit",
            anchor="under-jit",
            outputs={"tensorflow": "tensorflow | tf\n", "jax": "jax\ntwo <lines>\n", "torch": "torch\n"},
        )
    ]
    table_row = backend_differences.render(found).splitlines()[-1]
    assert table_row == (
        "| [Trace under jit (line 7)](../guide/page.md#under-jit) | <code>tensorflow &#124; tf</code> "
        "| <code>jax<br>two &lt;lines&gt;</code> | <code>torch</code> |"
    )


def test_no_tabs_anywhere_says_so(tmp_path):
    (tmp_path / "plain.md").write_text("# Plain\n", encoding="utf-8")
    assert "No block prints differently" in backend_differences.render(backend_differences.rows(tmp_path))


def test_the_generated_page_is_in_the_docs():
    assert backend_differences.PAGE.parent == DOCS / "reference"
