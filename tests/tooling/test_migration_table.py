"""The migration table is exactly what the section's Keras 2 and Keras 3 blocks print.

`pytest --doc-blocks docs` checks that every block on the migration pages
prints the output shown under it. These tests close the loop: the committed
table (docs/migration/results.md, included by the section's index) must be the
one rendered from those shown outputs, so a Keras release that changes a result
fails one or the other; and the pages it is read from are the section's pages,
in the order of the nav.
Nothing here imports TensorFlow; the blocks themselves run in the doc-block
tests and in `make migration-table`.
"""

import re

import pytest

from docs_tooling import migration_table
from docs_tooling.doc_blocks import collected_blocks, shown_for
from docs_tooling.paths import ROOT

ROWS = migration_table.parse_section()
INDEX_TEXT = migration_table.INDEX.read_text(encoding="utf-8")


def test_page_has_rows_of_both_kinds():
    kinds = [row.kind for row in ROWS]
    assert kinds.count("difference") >= 12
    assert kinds.count("same") >= 1
    assert {row.page for row in ROWS} == set(migration_table.PAGES), "a page of the section has no row"


def test_results_file_is_the_table_of_the_shown_outputs():
    committed = migration_table.RESULTS.read_text(encoding="utf-8")
    assert committed == migration_table.render(ROWS), (
        "docs/migration/results.md does not match the outputs shown on the migration page; "
        "run `make migration-table` and commit the result"
    )


def test_differences_differ_and_sames_agree():
    assert migration_table.classification_errors(ROWS) == []


def test_parser_sees_the_blocks_pytest_codeblocks_runs():
    for row in ROWS:
        run = {block.lineno: block for block in collected_blocks(migration_table.SECTION / row.page)}
        for block in row.blocks:
            assert block.fence_line in run, f"{row.title}: no runnable block at {block.fence_line}"
            assert run[block.fence_line].code == block.code
            # The output `make test` checks under TensorFlow: the shown one, or the TensorFlow tab.
            path = migration_table.SECTION / row.page
            assert shown_for(path, run[block.fence_line], "tensorflow") == block.shown


def test_anchors_are_unique_and_the_index_includes_both_tables():
    # Unique across the section: the page at the old URL maps each anchor to one page.
    anchors = [row.anchor for row in ROWS]
    assert len(anchors) == len(set(anchors))
    assert '--8<-- "migration/results.md:differences"' in INDEX_TEXT
    assert '--8<-- "migration/results.md:same"' in INDEX_TEXT


def nav_pages() -> list[str]:
    """The migration pages in mkdocs.yml's nav, in order (read as text: the file has !tags)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    return re.findall(r"^\s+- (?:[^:\n]+: )?migration/([\w.-]+\.md)\s*$", nav, re.MULTILINE)


def test_the_nav_lists_the_index_then_the_pages_in_table_order():
    assert nav_pages() == ["index.md", *migration_table.PAGES]


def test_a_page_left_out_of_pages_is_reported(tmp_path):
    for name in (*migration_table.PAGES, *migration_table.NOT_PAIRS):
        (tmp_path / name).write_text("# Page\n", encoding="utf-8")
    assert migration_table.section_pages(tmp_path) == list(migration_table.PAGES)
    (tmp_path / "new-theme.md").write_text("# New\n", encoding="utf-8")
    with pytest.raises(migration_table.PageError, match=r"holds \['new-theme.md'\]"):
        migration_table.section_pages(tmp_path)
    (tmp_path / "new-theme.md").unlink()
    (tmp_path / migration_table.PAGES[0]).unlink()
    with pytest.raises(migration_table.PageError, match="listed in migration_table.PAGES but not"):
        migration_table.section_pages(tmp_path)


def test_every_table_link_lands_on_a_heading_of_its_page():
    headings = {
        name: set(
            re.findall(r"\{\s*#([\w-]+)\s*\}", (migration_table.SECTION / name).read_text(encoding="utf-8"))
        )
        for name in migration_table.PAGES
    }
    table = migration_table.RESULTS.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([\w-]+\.md)#([\w-]+)\)", table)
    assert len(links) >= 2 * len(ROWS) - sum(row.kind == "same" for row in ROWS)
    for page, anchor in links:
        if page in headings:
            assert anchor in headings[page], f"the table links to {page}#{anchor}, which is not there"
    assert not re.search(r"\]\(#", table), "a same-page link in the table lands nowhere from the index"


def block(code, output=None):
    """A Python fence, with its shown output if given, as the page writes them."""
    text = f"```python\n{code}\n```\n"
    if output is not None:
        text += f"<!--pytest-codeblocks:expected-output-->\n```text\n{output}\n```\n"
    return text + "\n"


def difference(heading, *blocks, change="**What to change:** Nothing.\n"):
    return f"## Differences\n\n### {heading}\n\n" + "".join(blocks) + change


@pytest.mark.parametrize(
    "page, message",
    [
        (difference("No anchor"), "needs an anchor"),
        (
            difference("One block {#one}", block("import tf_keras", "1")),
            "needs a Keras 2 block and a Keras 3 block",
        ),
        (
            difference("Swapped {#swapped}", block("import keras", "1"), block("import tf_keras", "2")),
            "the first block must import tf_keras",
        ),
        (
            difference("No output {#no-output}", block("import tf_keras"), block("import keras")),
            "needs its output shown",
        ),
        (
            difference(
                "No advice {#no-advice}", block("import tf_keras", "1"), block("import keras", "2"), change=""
            ),
            r"needs a '\*\*What to change:\*\*' paragraph",
        ),
    ],
)
def test_a_malformed_row_is_reported(page, message):
    with pytest.raises(migration_table.PageError, match=message):
        migration_table.parse_page(page)


def test_a_difference_that_vanished_is_reported():
    page = difference("Same now {#same-now}", block("import tf_keras", "1"), block("import keras", "1"))
    errors = migration_table.classification_errors(migration_table.parse_page(page))
    assert errors == ["'Same now' is listed as a difference, but both blocks print the same"]


def test_the_table_shows_each_pair_with_its_advice_and_links_to_its_page():
    page = difference(
        "Renamed {#renamed}",
        block("import tf_keras", "old"),
        block("import keras", "new"),
        change="**What to change:** Use `new` ([runs](#renamed-fix), [guide](../guide/x.md#y)).\n",
    )
    table = migration_table.render(migration_table.parse_page(page, "theme.md"))
    assert (
        "| [Renamed](theme.md#renamed) | <code>old</code> | <code>new</code> "
        "| Use `new` ([runs](theme.md#renamed-fix), [guide](../guide/x.md#y)). |"
    ) in table


def test_cells_escape_markdown_and_table_syntax():
    assert migration_table._cell("a|b `c` __d__ [e]\nf<g>\n") == (
        "<code>a&#124;b &#96;c&#96; &#95;&#95;d&#95;&#95; &#91;e&#93;</code><br><code>f&lt;g&gt;</code>"
    )


def tabbed_block(code, **outputs):
    """A Python fence followed by backend tabs (`TensorFlow="..."`, `JAX="..."`)."""
    text = f"```python\n{code}\n```\n\n"
    for title, output in outputs.items():
        text += f'=== "{title}"\n\n    ```text\n    {output}\n    ```\n\n'
    return text


def test_a_keras3_block_with_backend_tabs_shows_its_tensorflow_tab():
    page = difference(
        "By backend {#by-backend}",
        block("import tf_keras", "old"),
        tabbed_block("import keras", TensorFlow="new on tf", JAX="new on jax"),
    )
    rows = migration_table.parse_page(page, "theme.md")
    assert rows[0].keras3.shown == "new on tf\n"
    assert "| <code>old</code> | <code>new on tf</code> |" in migration_table.render(rows)
    # update_page cannot rewrite a tab: it leaves the page as it was.
    outputs = {rows[0].key(rows[0].keras2): "old\n", rows[0].key(rows[0].keras3): "changed\n"}
    assert migration_table.update_page(page, rows, outputs) == page.rstrip("\n") + "\n"


def test_backend_tabs_without_a_tensorflow_tab_are_reported():
    page = difference(
        "JAX only {#jax-only}", block("import tf_keras", "old"), tabbed_block("import keras", JAX="new")
    )
    with pytest.raises(migration_table.PageError, match="needs its output shown"):
        migration_table.parse_page(page)
