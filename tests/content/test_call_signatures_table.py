"""The tables of the call-signatures pages say what the pages' blocks print.

Each row of the table is a `## ... { #anchor }` section holding one block that
runs six entry points and prints one line for each (`fit: TypeError: ...`,
`save/load: 2 of 2 weights restored`). `pytest --doc-blocks` checks that
output against a real run; these tests check that every cell of the table is
the verdict of the matching line of that shown output and links to the
section that printed it, so the table cannot drift from the runs. The
table is what the TensorFlow backend prints: where a block's output differs
by backend, the verdicts are read from its TensorFlow tab.
Nothing here imports TensorFlow or Keras.
"""

import re

import pytest

from docs_tooling.doc_blocks import collected_blocks, shown_for
from docs_tooling.paths import DOCS

PAGES = [
    DOCS / "guide" / "call-signatures.md",
    DOCS / "guide" / "call-signatures-training-mask.md",
    DOCS / "guide" / "call-signatures-args-kwargs.md",
]
ENTRY_POINTS = ("direct", "symbolic", "fit", "evaluate", "predict", "save/load")
HEADER = "| `call(self, ...)` | " + " | ".join(ENTRY_POINTS) + " |"
SECTION = re.compile(r"^## .+ \{ #(?P<anchor>[a-z0-9-]+) \}$")
# The list of sections that moved to the other page when the page was split.
MOVED = "moved"
CELL = re.compile(r"^\[(?P<text>.+)\]\(#(?P<anchor>[a-z0-9-]+)\)$")
# A line of a block's output: the entry point, then "ok", "N of M" (weights restored)
# or an exception's type name, then the details the table leaves out.
LINE = re.compile(
    r"^(?P<entry>direct|symbolic|fit|evaluate|predict|save/load): "
    r"(?P<verdict>ok|\d+ of \d+|[A-Z]\w*(?:Error|Exception))(?:$|: | weights restored$)"
)


def split_cells(row):
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def parse_table(lines):
    """The table's rows as lists of (text, anchor), one pair per cell."""
    start = lines.index(HEADER)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = []
        for cell in split_cells(line):
            match = CELL.match(cell)
            assert match, f"cell is not a link to a section: {cell!r}"
            cells.append((match["text"], match["anchor"]))
        rows.append(cells)
    return rows


def shown_verdicts(lines, blocks, path):
    """For each section, in page order: its anchor and the verdict its shown output gives each entry point.

    The shown output is the block's one output, or its TensorFlow tab.
    """
    sections = [
        (number, SECTION.match(line)["anchor"])
        for number, line in enumerate(lines, start=1)
        if SECTION.match(line) and SECTION.match(line)["anchor"] != MOVED
    ]
    verdicts = {}
    for block in blocks:
        owners = [anchor for number, anchor in sections if number < block.lineno]
        assert owners, f"block at line {block.lineno} is above the first section"
        assert owners[-1] not in verdicts, f"section {owners[-1]} has more than one block"
        shown = shown_for(path, block, "tensorflow")
        assert shown, f"block at line {block.lineno} shows no output"
        matches = [LINE.match(line) for line in shown.splitlines()]
        verdicts[owners[-1]] = {match["entry"]: match["verdict"] for match in matches if match}
        entries = [match["entry"] for match in matches if match]
        assert entries == list(ENTRY_POINTS), f"{owners[-1]}: output lines for {entries}"
    return [(anchor, verdicts.get(anchor)) for _, anchor in sections]


def mismatches(page_text, blocks, path):
    """Every way in which the table disagrees with the shown outputs, as messages.

    `page_text` is the text whose table is checked; `blocks` and `path` give the outputs.
    """
    lines = page_text.splitlines()
    rows = parse_table(lines)
    sections = shown_verdicts(lines, blocks, path)
    problems = []
    if [row[0][1] for row in rows] != [anchor for anchor, _ in sections]:
        problems.append("the table's rows are not the page's sections, in order")
    # A length mismatch is reported just above; compare the rows both have.
    for row, (anchor, verdicts) in zip(rows, sections, strict=False):
        if verdicts is None:
            problems.append(f"{anchor}: the section has no block")
            continue
        if len(row) != 1 + len(ENTRY_POINTS):
            problems.append(f"{anchor}: {len(row)} cells")
            continue
        for entry, (text, target) in zip(ENTRY_POINTS, row[1:], strict=True):
            if target != anchor:
                problems.append(f"{anchor}/{entry}: links to #{target}")
            if text != verdicts[entry]:
                problems.append(f"{anchor}/{entry}: table says {text!r}, block shows {verdicts[entry]!r}")
    return problems


PATHS = {page.name: page for page in PAGES}
TEXTS = {page.name: page.read_text(encoding="utf-8") for page in PAGES}
BLOCKS = {page.name: collected_blocks(page) for page in PAGES}


@pytest.mark.parametrize("page", TEXTS)
def test_every_cell_is_the_verdict_its_section_shows(page):
    assert mismatches(TEXTS[page], BLOCKS[page], PATHS[page]) == []


def test_the_pages_cover_every_signature_and_both_kinds_of_result():
    rows = [row for text in TEXTS.values() for row in parse_table(text.splitlines())]
    assert len(rows) >= 12
    verdicts = {text for row in rows for text, _ in row[1:]}
    assert {"ok", "TypeError", "0 of 2", "2 of 2"} <= verdicts


def test_an_altered_cell_is_caught():
    # The check itself must be able to fail: change one verdict in the table only.
    text, blocks = TEXTS["call-signatures.md"], BLOCKS["call-signatures.md"]
    altered = text.replace("[TypeError](#several-tensors)", "[ok](#several-tensors)", 1)
    assert altered != text
    path = PATHS["call-signatures.md"]
    assert mismatches(altered, blocks, path) == [
        "several-tensors/fit: table says 'ok', block shows 'TypeError'"
    ]


def test_a_cell_linking_elsewhere_is_caught():
    text, blocks = TEXTS["call-signatures.md"], BLOCKS["call-signatures.md"]
    altered = text.replace("[ok](#one-tensor)", "[ok](#a-tuple)", 1)
    assert mismatches(altered, blocks, PATHS["call-signatures.md"]) == [
        "one-tensor/direct: links to #a-tuple"
    ]


def test_the_tensorflow_tab_is_read_and_an_altered_tab_is_caught(tmp_path):
    # The several-tensors block has backend tabs; its JAX and PyTorch tabs show a RuntimeError
    # for fit, which the table (TensorFlow's) does not: only the TensorFlow tab is compared.
    text = TEXTS["call-signatures.md"]
    tab = "    fit: TypeError: missing a required argument: 'b'\n"
    assert '=== "TensorFlow"' in text and tab in text
    assert "    fit: RuntimeError: Unable to automatically build the model\n" in text
    page = tmp_path / "call-signatures.md"
    page.write_text(
        text.replace(tab, "    fit: ValueError: missing a required argument: 'b'\n", 1), encoding="utf-8"
    )
    problems = mismatches(page.read_text(encoding="utf-8"), collected_blocks(page), page)
    assert problems == ["several-tensors/fit: table says 'TypeError', block shows 'ValueError'"]
