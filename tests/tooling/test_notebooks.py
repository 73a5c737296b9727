"""docs_tooling.notebooks, notebook_check and hooks/notebooks.py, on pages of their own.

No kernel runs here (tests/notebooks runs the guide's notebooks): these tests
check what the builder writes and what the checker refuses.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from docs_tooling import notebook_check, notebooks
from docs_tooling.hooks import notebooks as hook

PAGE = """\
---
search:
  boost: 2
---

# A page

!!! abstract "In short"
    - Dense layers are named in order. [Proof](#names)

Some prose before the first block, with a [link](other.md#there) and an
![image](../assets/x.svg).

## Names { #names }

```python
import keras

print(keras.layers.Dense(2).name)
```
<!--pytest-codeblocks:expected-output-->
```text
dense
```

Prose between the blocks.

```python
try:
    int("seven")
except ValueError as error:
    print(f"{type(error).__name__}: {error}")
```
<!--pytest-codeblocks:expected-output-->
```text
ValueError: invalid literal for int() with base 10: 'seven'
```

=== "Keras 3"

    ```python
    print("three")
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    three
    ```

=== "Keras 2"

    Inside the second tab.

    ```python
    x = 2
    ```

A shell block that runs:

```bash
echo hello
```
<!--pytest-codeblocks:expected-output-->
```text
hello
```

<!--pytest.mark.skip(reason="starts a server that runs until it is stopped")-->
```bash
make serve
```

A fence of Markdown is shown as it is:

```markdown
## Kept { #kept }
[kept](kept.md)
<!--pytest-codeblocks:expected-output-->
```

The end.
"""


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "guide" / "page.md"
    path.parent.mkdir(parents=True)
    path.write_text(PAGE, encoding="utf-8")
    return path


def build(page: Path, **kwargs) -> nbformat.NotebookNode:
    return notebooks.build_notebook(page, docs_path="guide/page.md", **kwargs)


def code_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and "line" in c.metadata["kcg"]]


def test_the_code_cells_are_the_run_blocks_in_order_each_after_a_fresh_start(page):
    notebook = build(page)
    cells = code_cells(notebook)
    assert [c.metadata["kcg"]["line"] for c in cells] == [16, 28, 41, 53, 59]
    assert cells[0].source == "fresh_start()\n\nimport keras\n\nprint(keras.layers.Dense(2).name)"
    # A block inside a content tab loses the tab's indentation.
    assert cells[2].source == 'fresh_start()\n\nprint("three")'
    assert cells[3].source == "fresh_start()\n\nx = 2"
    nbformat.validate(notebook)


def test_each_cell_stores_the_output_the_page_shows_errors_included(page):
    cells = code_cells(build(page))
    outputs = [[(o.output_type, o.name, o.text) for o in c.outputs] for c in cells]
    assert outputs == [
        [("stream", "stdout", "dense\n")],
        [("stream", "stdout", "ValueError: invalid literal for int() with base 10: 'seven'\n")],
        [("stream", "stdout", "three\n")],
        [],
        [("stream", "stdout", "hello\n")],
    ]


def test_a_shell_block_runs_as_a_cell_magic_and_a_skipped_one_stays_prose_with_its_reason(page):
    notebook = build(page)
    assert code_cells(notebook)[4].source == "%%bash\necho hello"
    last = notebook.cells[-1]
    assert last.cell_type == "markdown"
    assert "*Not run in this notebook: starts a server that runs until it is stopped*" in last.source
    assert "```bash\nmake serve\n```" in last.source
    assert (
        "```markdown\n## Kept { #kept }\n[kept](kept.md)\n<!--pytest-codeblocks:expected-output-->\n```"
        in (last.source)
    )
    assert "pytest.mark" not in "".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_prose_sits_between_the_cells_it_sits_between_on_the_page(page):
    cells = build(page).cells
    kinds = [c.cell_type for c in cells]
    assert kinds == ["markdown", "code"] + ["markdown", "code"] * 4 + ["markdown", "code", "markdown"]
    first, setup = cells[0], cells[1]
    assert first.source.startswith("# A page")
    assert setup.metadata["kcg"] == {"setup": True} and "def fresh_start():" in setup.source
    assert "**In short**\n\n- Dense layers are named in order. [Proof](#names)" in cells[2].source
    assert '<a id="names"></a>\n\n## Names' in cells[2].source
    assert "{ #names }" not in cells[2].source
    assert cells[4].source == "Prose between the blocks."
    assert cells[6].source == "**Keras 3**"
    assert cells[8].source == "**Keras 2**\n\nInside the second tab."
    assert "boost" not in cells[2].source  # the front matter


def test_relative_links_become_links_to_the_published_site(page):
    cells = build(page, resolve_link=lambda target: f"https://site/v/{target}").cells
    assert "[link](https://site/v/guide/other.md#there)" in cells[2].source
    assert "![image](https://site/v/assets/x.svg)" in cells[2].source
    assert "[Proof](#names)" in cells[2].source
    assert "[kept](kept.md)" in cells[-1].source  # inside a fence
    kept = build(page).cells[2].source
    assert "[link](other.md#there)" in kept


class Shell:
    ast_node_interactivity = "last_expr"


def test_the_setup_cell_defines_fresh_start_and_prints_nothing(page):
    setup = build(page).cells[1].source
    assert 'get_ipython().ast_node_interactivity = "none"' in setup
    namespace: dict = {"shell": Shell()}
    exec(compile(setup.replace("get_ipython()", "shell"), "setup", "exec"), namespace)
    assert namespace["shell"].ast_node_interactivity == "none"
    assert callable(namespace["fresh_start"])


def test_a_page_the_two_readers_disagree_on_is_refused(tmp_path):
    page = tmp_path / "bad.md"
    page.write_text("# Bad\n\n~~~markdown\n```python\nprint(1)\n```\n~~~\n", encoding="utf-8")
    with pytest.raises(notebooks.NotebookError, match="cannot be read reliably"):
        notebooks.build_notebook(page, docs_path="guide/bad.md")


def test_a_page_without_a_title_is_refused(tmp_path):
    page = tmp_path / "untitled.md"
    page.write_text("Just prose.\n", encoding="utf-8")
    with pytest.raises(notebooks.NotebookError, match="Title"):
        notebooks.build_notebook(page, docs_path="guide/untitled.md")


def test_notebook_paths_mirror_the_guide():
    assert notebooks.notebook_path("guide/masks.md") == "notebooks/masks.ipynb"
    assert (
        notebooks.notebook_path("guide/troubleshooting/index.md") == "notebooks/troubleshooting/index.ipynb"
    )
    with pytest.raises(notebooks.NotebookError):
        notebooks.notebook_path("reference/models.md")


# The checker, on notebooks whose outputs are made up rather than run.


def executed(page: Path, replace: dict[int, list]) -> nbformat.NotebookNode:
    """The page's notebook as if run, each cell printing what the page shows unless replaced."""
    notebook = build(page)
    for cell in code_cells(notebook):
        line = cell.metadata["kcg"]["line"]
        if line in replace:
            cell.outputs = replace[line]
    return notebook


def stdout(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_the_checker_accepts_the_outputs_the_page_shows(page):
    assert notebook_check.compare(executed(page, {}), page) == []


def test_the_checker_refuses_other_output_an_error_or_a_displayed_value(page):
    failures = notebook_check.compare(
        executed(
            page,
            {
                16: [stdout("dense_1\n")],
                28: [nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=["tb"])],
                41: [stdout("three\n"), nbformat.v4.new_output("execute_result", data={"text/plain": "3"})],
                53: [stdout("surprise\n")],
            },
        ),
        page,
    )
    assert len(failures) == 4, failures
    assert "page.md:16: the block's output differs" in failures[0] and "+dense_1" in failures[0]
    assert "page.md:28: the notebook cell raised NameError" in failures[1]
    assert "page.md:41: the notebook cell displays a value" in failures[2]
    assert "page.md:53: the block printed output but the page shows none" in failures[3]


def test_the_checker_refuses_a_notebook_whose_cells_are_not_the_blocks(page):
    notebook = build(page)
    notebook_check.check_cells_are_blocks(notebook, page)
    code_cells(notebook)[1].source += "\nprint('extra')"
    with pytest.raises(notebook_check.NotebookFailed, match="not the page's run blocks"):
        notebook_check.check_cells_are_blocks(notebook, page)
    notebook = build(page)
    del notebook.cells[3]
    with pytest.raises(notebook_check.NotebookFailed, match="not the page's run blocks"):
        notebook_check.check_cells_are_blocks(notebook, page)


# The hook.

CONFIG = {
    "site_url": "https://example.org/",
    "extra": {"social": [{"link": "https://github.com/owner/repo", "icon": "x"}]},
}


def test_the_colab_link_names_the_version_mike_deploys(monkeypatch):
    monkeypatch.setenv("MIKE_DOCS_VERSION", "0.2")
    hook.on_config(dict(CONFIG))
    links = hook.links_html("guide/troubleshooting/saving/", "notebooks/troubleshooting/saving.ipynb")
    assert 'href="../../../notebooks/troubleshooting/saving.ipynb" download' in links
    assert (
        'href="https://colab.research.google.com/github/owner/repo/blob/gh-pages/0.2/'
        'notebooks/troubleshooting/saving.ipynb"' in links
    )
    assert "<img" not in links and "<script" not in links  # a plain link loads nothing


def test_a_plain_build_links_to_dev(monkeypatch):
    monkeypatch.delenv("MIKE_DOCS_VERSION", raising=False)
    hook.on_config(dict(CONFIG))
    assert "/blob/gh-pages/dev/notebooks/masks.ipynb" in hook.links_html(
        "guide/masks/", "notebooks/masks.ipynb"
    )


def test_the_hook_needs_the_repository_link():
    with pytest.raises(Exception, match="extra.social"):
        hook.on_config({"site_url": None, "extra": {}})


def test_the_links_go_under_the_title(monkeypatch):
    monkeypatch.delenv("MIKE_DOCS_VERSION", raising=False)
    hook.on_config(dict(CONFIG))
    hook._state["pages"]["guide/masks.md"] = "notebooks/masks.ipynb"

    class Page:
        url = "guide/masks/"

        class file:  # noqa: N801 - the attribute MkDocs pages have
            src_uri = "guide/masks.md"

    content = hook.on_page_content('<h1 id="masks">Masks</h1><p>Text</p>', Page(), None, None)
    assert content.startswith('<h1 id="masks">Masks</h1><p class="notebook-links"')
    assert content.endswith("<p>Text</p>")
    Page.file.src_uri = "index.md"
    assert hook.on_page_content("<h1>Home</h1>", Page(), None, None) == "<h1>Home</h1>"


def test_the_notebook_says_what_to_install_when_a_cell_imports_more_than_keras(tmp_path, page):
    other = tmp_path / "legacy.md"
    other.write_text("# Legacy\n\n```python\nimport tf_keras\n```\n", encoding="utf-8")
    intro = notebooks.build_notebook(other, docs_path="guide/legacy.md").cells[0].source
    assert "Some cells import `tf_keras`" in intro and "`%pip install tf-keras`" in intro
    assert "%pip install" not in build(page).cells[0].source


BACKEND_PAGE = """\
# Backends

```python
import keras

print(keras.backend.backend())
```

=== "TensorFlow"

    ```text
    tensorflow
    ```

=== "JAX"

    ```text
    jax
    ```

=== "PyTorch"

    ```text
    torch
    ```

<!--pytest.mark.backends("jax", reason="calls jax.jit")-->
```python
import jax

print(jax.jit(lambda x: x + 1)(1))
```
<!--pytest-codeblocks:expected-output-->
```text
2
```
"""


def test_a_block_with_backend_tabs_stores_the_tensorflow_output_and_keeps_the_tabs_as_prose(tmp_path):
    path = tmp_path / "backends.md"
    path.write_text(BACKEND_PAGE, encoding="utf-8")
    notebook = notebooks.build_notebook(path, docs_path="guide/backends.md")
    cells = code_cells(notebook)
    assert [c.metadata["kcg"]["line"] for c in cells] == [3]
    assert [(o.name, o.text) for o in cells[0].outputs] == [("stdout", "tensorflow\n")]
    prose = "".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "```text\njax\n```" in prose and "```text\ntorch\n```" in prose


def test_a_block_that_does_not_claim_tensorflow_stays_prose_with_its_backends(tmp_path):
    path = tmp_path / "backends.md"
    path.write_text(BACKEND_PAGE, encoding="utf-8")
    last = notebooks.build_notebook(path, docs_path="guide/backends.md").cells[-1]
    assert last.cell_type == "markdown"
    assert "*Not run in this notebook: this block runs on JAX only" in last.source
    assert "print(jax.jit(lambda x: x + 1)(1))" in last.source
