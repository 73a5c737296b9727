"""Generate the Keras 2 to Keras 3 migration table from the pages' own blocks.

The pages of the migration section (`docs/migration/`, listed in PAGES in reading
order) are the single source; the table is the section's entry page
(`docs/migration/index.md` includes `results.md`). Each row is a
`### Behaviour {#anchor}` section under a page's `## Differences` or `## Same in both`
that opens with a pair of Python blocks, each followed by its shown output:
first the Keras 2 block (`import tf_keras`), then the Keras 3 block
(`import keras`). A Keras 3 block whose output differs by backend shows it in
backend tabs; the table takes its TensorFlow tab, the backend Keras 2 runs on.
A difference also has a paragraph starting with
`**What to change:**`. Later blocks in a section (the fix) are not part of the
table. The table cells are the pair's outputs, so the page and the table cannot
disagree:

* `make test` runs every block and compares its output with the output shown
  after it (docs_tooling.doc_blocks), and tests/tooling/test_migration_table.py checks that
  `docs/migration/results.md` is exactly the table rendered from those shown
  outputs. A Keras release that changes a result fails one or the other.
* Each row links to its section on its own page, and the links of its "What
  to change" cell to the same page (`#anchor`) become `page.md#anchor`, so
  that they land from the entry page too.
* `make migration-table` (scripts/migration_table.py, over this module) runs
  each pair in-process with the same runner, writes `results.md` from what the blocks printed, and reports any
  block whose shown output is stale; `--update-page` rewrites those outputs in
  the pages too, for review with `git diff`.

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

SECTION = DOCS / "migration"
# The pages that hold pairs, in reading order: the order of the table's rows and
# of the section in mkdocs.yml's nav (tests/tooling/test_migration_table.py).
PAGES = (
    "arguments.md",
    "building.md",
    "symbolic.md",
    "layer-state.md",
    "shapes-and-masks.md",
    "training-steps.md",
    "losses-and-metrics.md",
    "saving.md",
    "legacy.md",
)
# The other files of the section: the entry page (the table and the errata), the
# generated table it includes, and the page at the section's old URL, which only
# keeps its anchors as links to their new homes.
NOT_PAIRS = ("index.md", "results.md", "keras2-vs-keras3.md")
INDEX = SECTION / "index.md"
RESULTS = SECTION / "results.md"
KINDS = {"## Differences": "difference", "## Same in both": "same"}
ROW_HEADING = re.compile(r"^### (?P<title>.+?) \{#(?P<anchor>[a-z0-9-]+)\}\s*$")
CHANGE_PREFIX = "**What to change:**"
KERAS2_IMPORT = re.compile(r"^import tf_keras\b", re.MULTILINE)
KERAS3_IMPORT = re.compile(r"^import keras\b", re.MULTILINE)
SAME_PAGE_LINK = re.compile(r"\]\(#")


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
    page: str  # file name in docs/migration/, e.g. "arguments.md"
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

    @property
    def where(self) -> str:
        return f"docs/migration/{self.page}"

    def key(self, block: Block) -> tuple[str, int]:
        """How `outputs` names a block: its page and its fence line."""
        return (self.page, block.fence_line)


def section_pages(section=SECTION) -> list[str]:
    """PAGES, after checking that the section holds no other page of pairs.

    Raises:
        PageError: if a page is listed but missing, or a Markdown file of the
            section is neither listed nor one of NOT_PAIRS (its rows would be
            left out of the table without a word).
    """
    present = {path.name for path in section.glob("*.md")}
    missing = [name for name in PAGES if name not in present]
    unlisted = sorted(present - set(PAGES) - set(NOT_PAIRS))
    if missing:
        raise PageError(f"listed in migration_table.PAGES but not in {section}: {missing}")
    if unlisted:
        raise PageError(
            f"{section} holds {unlisted}, which migration_table.PAGES does not list: add each page "
            "of pairs to PAGES, in reading order"
        )
    return list(PAGES)


def parse_section(section=SECTION) -> list[Row]:
    """The rows of every page of the section, in reading order."""
    rows: list[Row] = []
    for name in section_pages(section):
        rows += parse_page((section / name).read_text(encoding="utf-8"), name)
    return rows


def parse_page(text: str, page: str = "page.md") -> list[Row]:
    """The rows of one page of the migration section, in page order.

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
    tabbed = markdown.backend_outputs_in(text)
    for fence in fences:
        if not fence.closed:
            raise PageError(f"docs/migration/{page}:{fence.line}: unclosed code fence")
    opening = {fence.line - 1: i for i, fence in enumerate(fences)}
    rows: list[Row] = []
    kind = None
    row = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if i in opening:
            fence = fences[opening[i]]
            block = _block(fence, fences[opening[i] + 1 :], tabbed.get(fence.line))
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
                        f"docs/migration/{page}:{i + 1}: a row heading needs an anchor: "
                        f"'### Behaviour {{#anchor}}', got {line!r}"
                    )
                row = Row(page, kind, match["title"], match["anchor"], [], None)
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


def _block(
    fence: markdown.Fence, later: list[markdown.Fence], tabs: markdown.BackendOutputs | None = None
) -> Block | None:
    """A ```python fence as a Block, with the output shown right after it, if any: the
    expected-output fence, or the TensorFlow tab of the backend tabs that follow it."""
    if fence.info != "python":
        return None
    shown = shown_lines = None
    if tabs is not None:
        # Tabs are rewritten by hand (update_page leaves them alone: shown_lines stays None).
        return Block(fence.line, fence.content, tabs.outputs.get("tensorflow"), None)
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
    where = f"{row.where}, row '{row.title}'"
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


Outputs = dict[tuple[str, int], str]  # (page, fence line) -> what the block printed


def _change_cell(row: Row) -> str:
    """The "What to change" paragraph, its same-page links made to land from the entry page."""
    return SAME_PAGE_LINK.sub(f"]({row.page}#", row.change or "")


def render(rows: list[Row], outputs: Outputs | None = None) -> str:
    """The table file. `outputs` maps a block (Row.key) to what it printed
    (default: the output shown in the page)."""

    def out(row: Row, block: Block) -> str:
        # parse_page refuses a row whose blocks show no output.
        return outputs[row.key(block)] if outputs is not None else block.shown or ""

    parts = [
        "<!-- Generated by `make migration-table` (scripts/migration_table.py) from the output of",
        "     each pair of blocks on the pages of docs/migration/. Do not edit: change the pages,",
        "     then regenerate. tests/tooling/test_migration_table.py fails when this file is stale. -->",
        "<!-- --8<-- [start:differences] -->",
        "| Behaviour | Keras 2 (`tf_keras`) prints "
        "| Keras 3 (`keras`, TensorFlow backend) prints | What to change |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        if row.kind == "difference":
            parts.append(
                f"| [{row.title}]({row.page}#{row.anchor}) | {_cell(out(row, row.keras2))} "
                f"| {_cell(out(row, row.keras3))} | {_change_cell(row)} |"
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
            parts.append(f"| [{row.title}]({row.page}#{row.anchor}) | {_cell(out(row, row.keras2))} |")
    parts.append("<!-- --8<-- [end:same] -->")
    return "\n".join(parts) + "\n"


def classification_errors(rows: list[Row], outputs: Outputs | None = None) -> list[str]:
    """Rows filed as a difference whose pair prints the same, and the reverse."""
    errors = []
    for row in rows:
        if outputs is None:
            first, second = row.keras2.shown, row.keras3.shown
        else:
            first, second = outputs[row.key(row.keras2)], outputs[row.key(row.keras3)]
        if row.kind == "difference" and first == second:
            errors.append(f"'{row.title}' is listed as a difference, but both blocks print the same")
        if row.kind == "same" and first != second:
            errors.append(
                f"'{row.title}' is listed as the same in both, but the blocks print different output"
            )
    return errors


def run_pairs(rows: list[Row]) -> Outputs:
    """Run each row's pair the way `make test` does; map each block (Row.key) to its printed output."""
    from docs_tooling.doc_blocks import collected_blocks, run_python_block

    by_page: dict[str, dict[int, object]] = {}
    outputs = {}
    for row in rows:
        if row.page not in by_page:
            by_page[row.page] = {block.lineno: block for block in collected_blocks(SECTION / row.page)}
        for block in (row.keras2, row.keras3):
            print(f"  running {row.where}:{block.fence_line}: {row.title}", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix="migration-") as workdir:
                # An absolute name: the block runs in `workdir`, and AutoGraph (Keras 2's
                # graph calls) finds a relative file name nowhere, so it cannot convert `call`.
                outputs[row.key(block)] = run_python_block(
                    by_page[row.page][block.fence_line], str(SECTION / row.page), workdir
                )
    return outputs


def update_page(text: str, rows: list[Row], outputs: Outputs) -> str:
    """The page with the shown outputs of `rows` (all on this page) replaced by `outputs`."""
    lines = text.splitlines()
    for row in reversed(rows):
        for block in (row.keras3, row.keras2):
            if block.shown_lines is None:  # shown in backend tabs: main() reports it instead
                continue
            start, end = block.shown_lines
            lines[start:end] = outputs[row.key(block)].rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update-page",
        action="store_true",
        help="also rewrite the pages' shown outputs that no longer match",
    )
    args = parser.parse_args(argv)
    rows = parse_section()
    outputs = run_pairs(rows)
    stale = [
        (row, block)
        for row in rows
        for block in (row.keras2, row.keras3)
        if outputs[row.key(block)] != block.shown
    ]
    RESULTS.write_text(render(rows, outputs), encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}: {len(rows)} rows", file=sys.stderr)
    errors = classification_errors(rows, outputs)
    for message in errors:
        print(f"error: {message}; move the row or fix the blocks", file=sys.stderr)
    # update_page cannot rewrite a TensorFlow tab (it has no line range): always report those.
    tabbed = [(row, block) for row, block in stale if block.shown_lines is None]
    for row, block in tabbed:
        print(
            f"error: {row.where}:{block.fence_line} ('{row.title}') now prints, on TensorFlow:\n"
            f"{outputs[row.key(block)]}(its output is in backend tabs: update them by hand)",
            file=sys.stderr,
        )
    if stale and args.update_page:
        for page in sorted({row.page for row, _ in stale}):
            path = SECTION / page
            page_rows = [row for row in rows if row.page == page]
            path.write_text(
                update_page(path.read_text(encoding="utf-8"), page_rows, outputs), encoding="utf-8"
            )
        updated = len(stale) - len(tabbed)
        print(f"updated {updated} shown output(s); review with git diff", file=sys.stderr)
        return 1 if errors or tabbed else 0
    elif stale:
        for row, block in stale:
            if block.shown_lines is None:
                continue  # reported above
            print(
                f"error: {row.where}:{block.fence_line} ('{row.title}') now prints:\n"
                f"{outputs[row.key(block)]}",
                file=sys.stderr,
            )
        print("rerun with --update-page to copy these outputs into the pages", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
