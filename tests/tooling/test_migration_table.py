"""The migration table is exactly what the page's Keras 2 and Keras 3 blocks print.

`pytest --doc-blocks docs` checks that every block on the migration page
prints the output shown under it. These tests close the loop: the committed
table (docs/migration/results.md) must be the one rendered from those shown
outputs, so a Keras release that changes a result fails one or the other.
Nothing here imports TensorFlow; the blocks themselves run in the doc-block
tests and in `make migration-table`.
"""

import pytest

from docs_tooling import migration_table
from docs_tooling.doc_blocks import collected_blocks

PAGE_TEXT = migration_table.PAGE.read_text(encoding="utf-8")
ROWS = migration_table.parse_page(PAGE_TEXT)


def test_page_has_rows_of_both_kinds():
    kinds = [row.kind for row in ROWS]
    assert kinds.count("difference") >= 12
    assert kinds.count("same") >= 1


def test_results_file_is_the_table_of_the_shown_outputs():
    committed = migration_table.RESULTS.read_text(encoding="utf-8")
    assert committed == migration_table.render(ROWS), (
        "docs/migration/results.md does not match the outputs shown on the migration page; "
        "run `make migration-table` and commit the result"
    )


def test_differences_differ_and_sames_agree():
    assert migration_table.classification_errors(ROWS) == []


def test_parser_sees_the_blocks_pytest_codeblocks_runs():
    run = {block.lineno: block for block in collected_blocks(migration_table.PAGE)}
    for row in ROWS:
        for block in row.blocks:
            assert block.fence_line in run, f"{row.title}: no runnable block at {block.fence_line}"
            assert run[block.fence_line].code == block.code
            assert run[block.fence_line].expected_output == block.shown


def test_anchors_are_unique_and_the_page_includes_both_tables():
    anchors = [row.anchor for row in ROWS]
    assert len(anchors) == len(set(anchors))
    assert '--8<-- "migration/results.md:differences"' in PAGE_TEXT
    assert '--8<-- "migration/results.md:same"' in PAGE_TEXT


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


def test_the_table_shows_each_pair_with_its_advice():
    page = difference(
        "Renamed {#renamed}",
        block("import tf_keras", "old"),
        block("import keras", "new"),
        change="**What to change:** Use `new`.\n",
    )
    table = migration_table.render(migration_table.parse_page(page))
    assert "| [Renamed](#renamed) | <code>old</code> | <code>new</code> | Use `new`. |" in table


def test_cells_escape_markdown_and_table_syntax():
    assert migration_table._cell("a|b `c` __d__ [e]\nf<g>\n") == (
        "<code>a&#124;b &#96;c&#96; &#95;&#95;d&#95;&#95; &#91;e&#93;</code><br><code>f&lt;g&gt;</code>"
    )
