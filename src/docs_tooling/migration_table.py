"""Generate the Keras 2 to Keras 3 migration table from the page's own blocks.

The page `docs/migration/keras2-vs-keras3.md` is the single source. Each row is a
`### Behaviour {#anchor}` section under `## Differences` or `## Same in both`
that opens with a pair of Python blocks, each followed by its shown output:
first the Keras 2 block (`import tf_keras`), then the Keras 3 block
(`import keras`). A difference also has a paragraph starting with
`**What to change:**`. Later blocks in a section (the fix) are not part of the
table. The table cells are the pair's outputs, so the page and the table cannot
disagree:

* `make test` runs every block and compares its output with the output shown
  after it (docs_tooling.doc_blocks), and tests/tooling/test_migration_table.py checks that
  `docs/migration/results.md` is exactly the table rendered from those shown
  outputs. A Keras release that changes a result fails one or the other.
* `make migration-table` (scripts/migration_table.py, over this module) runs
  each pair in-process with the same runner, writes `results.md` from what the blocks printed, and reports any
  block whose shown output is stale; `--update-page` rewrites those outputs in
  the page too, for review with `git diff`.

This module does not import TensorFlow or Keras unless it runs the blocks.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import re
import sys
import tempfile

from docs_tooling import markdown
from docs_tooling.paths import DOCS, ROOT

PAGE = DOCS / "migration" / "keras2-vs-keras3.md"
RESULTS = DOCS / "migration" / "results.md"
PAGE_NAME = "docs/migration/keras2-vs-keras3.md"
KINDS = {"## Differences": "difference", "## Same in both": "same"}
ROW_HEADING = re.compile(r"^### (?P<title>.+?) \{#(?P<anchor>[a-z0-9-]+)\}\s*$")
CHANGE_PREFIX = "**What to change:**"
KERAS2_IMPORT = re.compile(r"^import tf_keras\b", re.MULTILINE)
KERAS3_IMPORT = re.compile(r"^import keras\b", re.MULTILINE)


class PageError(ValueError):
    """The page does not follow the layout this table is generated from."""


@dataclasses.dataclass
class Block:
    fence_line: int  # 1-based line of the opening ```python, as pytest-codeblocks counts
    code: str
    shown: str | None  # the output shown after the block, None if there is none
    shown_lines: tuple[int, int] | None  # 0-based [start, end) of the shown output's lines


@dataclasses.dataclass
class Row:
    kind: str  # "difference" or "same"
    title: str
    anchor: str
    blocks: list[Block]
    change: str | None

    @property
    def keras2(self) -> Block:
        return self.blocks[0]

    @property
    def keras3(self) -> Block:
        return self.blocks[1]


def parse_page(text: str) -> list[Row]:
    """The rows of the migration page, in page order.

    The fences come from the one Markdown reader (docs_tooling.markdown); the
    headings and the "What to change" paragraph are read from the lines
    outside them.

    Raises:
        PageError: if a row lacks its pair of blocks, their outputs, or (for a
            difference) its "What to change" paragraph.
    """
    lines = text.splitlines()
    # Top-level fences only (not those in admonitions or lists), by opening line.
    fences = [f for f in markdown.parse(text).fences if f.prefix == ""]
    for fence in fences:
        if not fence.closed:
            raise PageError(f"{PAGE_NAME}:{fence.line}: unclosed code fence")
    opening = {fence.line - 1: i for i, fence in enumerate(fences)}
    rows: list[Row] = []
    kind = None
    row = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if i in opening:
            fence = fences[opening[i]]
            block = _block(fence, fences[opening[i] + 1 :])
            if row is not None and block is not None:
                row.blocks.append(block)
            i = fence.last_line
            continue
        if line.startswith("## "):
            kind = KINDS.get(line.strip())
            row = None
        elif line.startswith("### "):
            row = None
            if kind is not None:
                match = ROW_HEADING.match(line)
                if match is None:
                    raise PageError(
                        f"{PAGE_NAME}:{i + 1}: a row heading needs an anchor: "
                        f"'### Behaviour {{#anchor}}', got {line!r}"
                    )
                row = Row(kind, match["title"], match["anchor"], [], None)
                rows.append(row)
        elif row is not None and line.startswith(CHANGE_PREFIX):
            paragraph = []
            while i < len(lines) and lines[i].strip():
                paragraph.append(lines[i].strip())
                i += 1
            row.change = " ".join(paragraph)[len(CHANGE_PREFIX) :].strip()
            continue
        i += 1
    for row in rows:
        _check_row(row)
    return rows


def _block(fence: markdown.Fence, later: list[markdown.Fence]) -> Block | None:
    """A ```python fence as a Block, with the output shown right after it, if any."""
    if fence.info != "python":
        return None
    shown = shown_lines = None
    if later:
        output = later[0]
        # The output fence opens two lines below this one's closing fence,
        # under the expected-output comment.
        if (
            output.line == fence.last_line + 2
            and output.info == "text"
            and output.has_directive("expected-output")
        ):
            shown = output.content
            shown_lines = (output.line, output.line + output.content.count("\n"))
    return Block(fence.line, fence.content, shown, shown_lines)


def _check_row(row: Row) -> None:
    where = f"{PAGE_NAME}, row '{row.title}'"
    if len(row.blocks) < 2:
        raise PageError(
            f"{where}: needs a Keras 2 block and a Keras 3 block, found {len(row.blocks)} Python block(s)"
        )
    if not KERAS2_IMPORT.search(row.keras2.code) or KERAS3_IMPORT.search(row.keras2.code):
        raise PageError(f"{where}: the first block must import tf_keras and not keras")
    if not KERAS3_IMPORT.search(row.keras3.code) or KERAS2_IMPORT.search(row.keras3.code):
        raise PageError(f"{where}: the second block must import keras and not tf_keras")
    for block in (row.keras2, row.keras3):
        if not block.shown:
            raise PageError(f"{where}: the block at line {block.fence_line} needs its output shown")
    if row.kind == "difference" and not row.change:
        raise PageError(f"{where}: a difference needs a '{CHANGE_PREFIX}' paragraph")
    if row.change and "|" in row.change:
        raise PageError(f"{where}: '|' would split the table cell; rephrase")


def _cell(output: str) -> str:
    """An output as a table cell: one <code> line per printed line, nothing Markdown can touch."""

    def escape(line: str) -> str:
        text = html.escape(line, quote=False)
        for char in "|`*_[]\\":
            text = text.replace(char, f"&#{ord(char)};")
        return f"<code>{text}</code>"

    return "<br>".join(escape(line) for line in output.rstrip("\n").splitlines())


def render(rows: list[Row], outputs: dict[int, str] | None = None) -> str:
    """The table file. `outputs` maps a block's fence line to what it printed
    (default: the output shown in the page)."""

    def out(block: Block) -> str:
        # parse_page refuses a row whose blocks show no output.
        return outputs[block.fence_line] if outputs is not None else block.shown or ""

    parts = [
        "<!-- Generated by `make migration-table` (scripts/migration_table.py) from the output of",
        "     each pair of blocks in keras2-vs-keras3.md. Do not edit: change the page, then",
        "     regenerate. tests/tooling/test_migration_table.py fails when this file is stale. -->",
        "<!-- --8<-- [start:differences] -->",
        "| Behaviour | Keras 2 (`tf_keras`) prints | Keras 3 (`keras`) prints | What to change |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        if row.kind == "difference":
            parts.append(
                f"| [{row.title}](#{row.anchor}) | {_cell(out(row.keras2))} "
                f"| {_cell(out(row.keras3))} | {row.change} |"
            )
    parts += [
        "<!-- --8<-- [end:differences] -->",
        "",
        "<!-- --8<-- [start:same] -->",
        "| Behaviour | Keras 2 and Keras 3 both print |",
        "| --- | --- |",
    ]
    for row in rows:
        if row.kind == "same":
            parts.append(f"| [{row.title}](#{row.anchor}) | {_cell(out(row.keras2))} |")
    parts.append("<!-- --8<-- [end:same] -->")
    return "\n".join(parts) + "\n"


def classification_errors(rows: list[Row], outputs: dict[int, str] | None = None) -> list[str]:
    """Rows filed as a difference whose pair prints the same, and the reverse."""
    errors = []
    for row in rows:
        if outputs is None:
            first, second = row.keras2.shown, row.keras3.shown
        else:
            first, second = outputs[row.keras2.fence_line], outputs[row.keras3.fence_line]
        if row.kind == "difference" and first == second:
            errors.append(f"'{row.title}' is listed as a difference, but both blocks print the same")
        if row.kind == "same" and first != second:
            errors.append(
                f"'{row.title}' is listed as the same in both, but the blocks print different output"
            )
    return errors


def run_pairs(rows: list[Row]) -> dict[int, str]:
    """Run each row's pair the way `make test` does; map fence line to printed output."""
    from docs_tooling.doc_blocks import collected_blocks, run_python_block

    by_line = {block.lineno: block for block in collected_blocks(PAGE)}
    outputs = {}
    for row in rows:
        for block in (row.keras2, row.keras3):
            print(f"  running line {block.fence_line}: {row.title}", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix="migration-") as workdir:
                outputs[block.fence_line] = run_python_block(by_line[block.fence_line], PAGE_NAME, workdir)
    return outputs


def update_page(text: str, rows: list[Row], outputs: dict[int, str]) -> str:
    lines = text.splitlines()
    for row in reversed(rows):
        for block in (row.keras3, row.keras2):
            assert block.shown_lines is not None  # parse_page refuses a row without shown output
            start, end = block.shown_lines
            lines[start:end] = outputs[block.fence_line].rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update-page",
        action="store_true",
        help="also rewrite the page's shown outputs that no longer match",
    )
    args = parser.parse_args(argv)
    text = PAGE.read_text(encoding="utf-8")
    rows = parse_page(text)
    outputs = run_pairs(rows)
    stale = [
        (row, block)
        for row in rows
        for block in (row.keras2, row.keras3)
        if outputs[block.fence_line] != block.shown
    ]
    RESULTS.write_text(render(rows, outputs), encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}: {len(rows)} rows", file=sys.stderr)
    errors = classification_errors(rows, outputs)
    for message in errors:
        print(f"error: {message}; move the row or fix the blocks", file=sys.stderr)
    if stale and args.update_page:
        PAGE.write_text(update_page(text, rows, outputs), encoding="utf-8")
        print(f"updated {len(stale)} shown output(s) in {PAGE_NAME}; review with git diff", file=sys.stderr)
    elif stale:
        for row, block in stale:
            print(
                f"error: {PAGE_NAME}:{block.fence_line} ('{row.title}') now prints:\n"
                f"{outputs[block.fence_line]}",
                file=sys.stderr,
            )
        print("rerun with --update-page to copy these outputs into the page", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
