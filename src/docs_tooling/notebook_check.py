"""Run a guide page's notebook top to bottom in a Jupyter kernel and check it against the page.

tests/notebooks runs every guide page's notebook through `check_page`: the
notebook is built as the site build builds it (docs_tooling.notebooks), run
by nbclient in a new ipykernel with no network, and each code cell is held
to the block it came from by the doc-block runner's own rules
(`doc_blocks.check_output`): what the cell printed on standard output equals
the output shown after the block, character for character. A cell that
raises, or that displays a value (a notebook shows a cell's last expression,
which `python block.py` does not print), fails too. Standard error is not
compared, as the runner does not compare it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from docs_tooling import doc_blocks, notebooks
from docs_tooling.paths import DOCS, display_path

CELL_TIMEOUT = 600


class NotebookFailed(Exception):
    """A notebook's cells do not match, or do not print, what its page shows."""


def kernel_environment() -> dict[str, str]:
    """A reader's environment, as for `python block.py`, with the virtual environment on PATH."""
    env = doc_blocks.standalone_environment()
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def build(page: Path) -> nbformat.NotebookNode:
    """The page's notebook, as the site build writes it (links left relative)."""
    docs_path = Path(page).resolve().relative_to(DOCS).as_posix()
    return notebooks.build_notebook(page, docs_path=docs_path)


def check_cells_are_blocks(notebook: nbformat.NotebookNode, page: Path) -> None:
    """Each code cell after the setup cell is one run block of the page, in the page's order."""
    where = display_path(page)
    run = [b for b in doc_blocks.collected_blocks(page) if not doc_blocks._skip_reason(b)]
    cells = [c for c in notebook.cells if c.cell_type == "code" and not c.metadata.get("kcg", {}).get("setup")]
    found = [(c.metadata.get("kcg", {}).get("line"), c.source) for c in cells]
    wanted = []
    for block in run:
        code = block.code.rstrip("\n")
        if block.syntax == "python":
            source = f"{notebooks.FRESH_START}\n\n{code}"
        else:
            source = f"{notebooks.SHELL_MAGIC[block.syntax]}\n{code}"
        wanted.append((block.lineno, source))
    if found != wanted:
        lines = [line for line, _ in wanted]
        got = [line for line, _ in found]
        raise NotebookFailed(
            f"{where}: the notebook's code cells are not the page's run blocks "
            f"(blocks at lines {lines}, cells from lines {got}, or a cell's code differs)"
        )


def execute(notebook: nbformat.NotebookNode, page: Path, kernel_manager=None) -> None:
    """Run every cell in order, in a new kernel started in an empty directory."""
    with tempfile.TemporaryDirectory(prefix="notebook-run-") as workdir:
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
            km=kernel_manager,
        )
        if kernel_manager is None:
            client.km = client.create_kernel_manager()
        client.execute(env=kernel_environment())


def compare(notebook: nbformat.NotebookNode, page: Path) -> list[str]:
    """Each executed code cell against its block's shown output; the failures, one text each."""
    where = display_path(page)
    blocks = {b.lineno: b for b in doc_blocks.collected_blocks(page)}
    failures = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("kcg", {})
        at = f"{where}:{meta['line']}" if "line" in meta else f"{where} (setup cell)"
        stdout = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            trace = "\n".join("\n".join(e.traceback) for e in errors)
            failures.append(f"{at}: the notebook cell raised {errors[0].ename}:\n{trace}\nIt printed:\n{stdout}")
            continue
        shown = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
        if shown:
            failures.append(
                f"{at}: the notebook cell displays a value that `python block.py` would not print: "
                f"{shown[0].get('data', {}).get('text/plain', shown[0])!r}"
            )
            continue
        if "line" not in meta:
            if stdout:
                failures.append(f"{at}: the setup cell printed {stdout!r}")
            continue
        try:
            doc_blocks.check_output(blocks[meta["line"]], stdout, at)
        except doc_blocks.BlockFailed as error:
            failures.append(f"in the notebook: {error}")
    return failures


def check_page(page: Path, kernel_manager=None) -> nbformat.NotebookNode:
    """Build the page's notebook, run it, and raise NotebookFailed unless it matches the page."""
    notebook = build(page)
    check_cells_are_blocks(notebook, page)
    execute(notebook, page, kernel_manager)
    failures = compare(notebook, page)
    if failures:
        raise NotebookFailed("\n\n".join(failures))
    return notebook
