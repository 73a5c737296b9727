"""A guide page as a Jupyter notebook: its run blocks as code cells, its prose between them.

The blocks come from the doc-block runner's own reading of the page
(`doc_blocks.collected_blocks`, which checks pytest-codeblocks against
`docs_tooling.markdown`), so a notebook holds exactly the code `make test`
runs, and each code cell carries the output the page shows as its stored
output. A block marked as not run stays in the prose, as a fenced block, with
its reason. Admonitions and content tabs become a bold line over their
body, explicit heading anchors become HTML anchors (the page's own `#...`
links keep working), and links to other pages or assets become absolute
links to the published site when a resolver is given.

Every code cell starts with `fresh_start()`, defined in the notebook's first
code cell: the blocks of a page each stand alone, and the runner resets
Keras between them (`doc_blocks.reset_keras_state`); one kernel running them
in sequence would otherwise number layers `dense_1`, `dense_2`, ... across
cells, keep a mixed-precision policy a cell set, or refuse a class name an
earlier cell registered. The notebook's first Markdown cell says so.

Building imports neither TensorFlow nor Keras and executes nothing: the
MkDocs hook (hooks/notebooks.py) calls `build_notebook` for every guide page.
tests/notebooks runs the notebooks and compares each cell with the page.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from docs_tooling import doc_blocks
from docs_tooling import markdown as markdown_fences

# The call at the top of every code cell, and the name the test looks for.
FRESH_START = "fresh_start()"

SETUP_CODE = """\
# Run this cell first. Each cell below begins with fresh_start(), which puts the
# kernel back into the state a new `python block.py` would start from, so every
# cell prints what the page shows, whichever cells ran before it.
import os
import sys
import tempfile

from IPython import get_ipython

# As in a script, a cell's last expression is not displayed: a cell shows what it prints.
get_ipython().ast_node_interactivity = "none"

_BLOCKS_DIR = os.path.realpath(tempfile.mkdtemp(prefix="keras-call-guide-"))


def fresh_start():
    os.chdir(tempfile.mkdtemp(dir=_BLOCKS_DIR))  # an empty working directory
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(_BLOCKS_DIR):
            del sys.modules[name]  # written by an earlier cell; a new file would import its own
    if "keras" in sys.modules:
        import keras
        from keras.src.saving import object_registration

        # Layer-name counters and the seed generator. free_memory=False skips a full garbage
        # collection, a quarter of a second with TensorFlow loaded; Python collects as usual.
        keras.utils.clear_session(free_memory=False)
        keras.config.set_dtype_policy("float32")
        keras.config.set_floatx("float32")
        keras.config.set_epsilon(1e-7)
        keras.config.set_image_data_format("channels_last")
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
        keras.config.enable_traceback_filtering()
        # Forget the classes earlier cells registered, not those of imported modules.
        for table in (object_registration.GLOBAL_CUSTOM_OBJECTS, object_registration.GLOBAL_CUSTOM_NAMES):
            for key, value in list(table.items()):
                registered = key if isinstance(value, str) else value
                if getattr(registered, "__module__", None) == "__main__":
                    del table[key]
    if "tf_keras" in sys.modules:
        import tf_keras

        tf_keras.backend.clear_session()
        tf_keras.backend.set_floatx("float32")
        tf_keras.mixed_precision.set_global_policy("float32")
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.config.run_functions_eagerly(False)
        # TensorFlow counts the retracings of each function for the whole process and warns
        # from the fifth on; a new process starts from zero.
        from tensorflow.python.eager.polymorphic_function import polymorphic_function as tracing

        tracing._frequent_tracing_detector_manager = tracing._FrequentTracingDetectorManager()
"""

# A fence's run block: the shell magic that runs it in a notebook cell.
SHELL_MAGIC = {"bash": "%%bash", "sh": "%%sh"}

_HEADING_ATTRS = re.compile(r"^(?P<heading>#{1,6}\s.*?)\s*\{(?P<attrs>[^{}]*)\}\s*$")
_ANCHOR = re.compile(r"(?:^|\s)#([\w.:-]+)")
_CONTAINER_TITLE = re.compile(r'^(?:!!!|\?\?\?\+?|===[+!]?)\s*(?P<kind>[\w-]*)\s*(?:"(?P<title>[^"]*)")?')
_HTML_WRAPPER = re.compile(r"^\s*(?:<div\b[^>]*\bmarkdown\b[^>]*>|</div>)\s*$")
_DIRECTIVE = re.compile(r"^\s*<!--[-\s]*(?:pytest-codeblocks:.*|pytest\.mark\..*)-->\s*$")
# An inline link or image target: ](target) or ](target "title").
_LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


class NotebookError(Exception):
    """A page cannot be turned into a notebook; the message says where and why."""


@dataclass
class _Unit:
    """The lines of a page that become one code cell: a block and its shown output."""

    block: object  # pytest_codeblocks CodeBlock
    first: int  # 0-based first line (the opening fence)
    stop: int  # 0-based line after the last (the output fence's closing line)


def build_notebook(
    page: Path,
    *,
    docs_path: str,
    intro: str = "",
    resolve_link: Callable[[str], str | None] | None = None,
) -> nbformat.NotebookNode:
    """The notebook of the Markdown page at `page`.

    Args:
        page: The page's file.
        docs_path: The page's path inside `docs/`, e.g. `guide/masks.md`: relative
            links are resolved against it.
        intro: Markdown put right under the page's title, before the setup cell.
        resolve_link: Given a link target relative to `docs/` (`guide/masks.md#a`,
            `assets/x.svg`), the absolute URL to write instead, or None to keep the
            link as the page has it.

    Raises:
        NotebookError: the page cannot be read, or pytest-codeblocks and Markdown
            read its blocks differently (`doc_blocks.PageError`).
    """
    page = Path(page)
    try:
        text = page.read_text(encoding="utf-8")
        blocks = doc_blocks.collected_blocks(page)
    except OSError as error:
        raise NotebookError(f"{page}: cannot read the page: {error}") from None
    except doc_blocks.PageError as error:
        raise NotebookError(f"{page}: its blocks cannot be read reliably:\n{error}") from None
    lines = re.split(r"\r\n?|\n", text)
    units, notes = _units(page, blocks)
    depth, openings = _containers(text)
    link = _link_rewriter(docs_path, resolve_link)
    # The lines of fences left in the prose are code: no heading, link or comment is rewritten there.
    verbatim = {
        number
        for fence in markdown_fences.scan(page).fences
        for number in range(fence.line - 1, fence.last_line)
    }

    cells: list[nbformat.NotebookNode] = []
    prose: list[str] = []

    def flush() -> None:
        source = _tidy(prose)
        if source:
            cells.append(nbformat.v4.new_markdown_cell(source))
        prose.clear()

    index = markdown_fences.front_matter_end(lines)
    pending_units = iter(units)
    unit = next(pending_units, None)
    while index < len(lines):
        if unit is not None and index == unit.first:
            flush()
            cells.append(_code_cell(unit.block, page))
            index = unit.stop
            unit = next(pending_units, None)
            continue
        line = lines[index]
        if index in notes:
            prose += [_dedent(notes[index], depth[index]), ""]
        if index in verbatim:
            prose.append(_dedent(line, depth[index]))
        elif index in openings:
            prose += ["", _dedent(_container_title(line.strip()), depth[index]), ""]
        elif not (_DIRECTIVE.match(line) or _HTML_WRAPPER.match(line)):
            prose += _heading(link(_dedent(line, depth[index])))
        index += 1
    flush()

    title, cells = _take_title(cells, page)
    used = sorted(_used(units))
    if used:
        names = " and ".join(f"`{name}`" for name in used)
        intro += (
            f"\n\nSome cells import {names}, which a new environment may lack (Colab's, for one): "
            f"`%pip install {' '.join(_INSTALLS[name] for name in used)}` installs what is missing."
        )
    head = [nbformat.v4.new_markdown_cell(f"{title}\n\n{intro}".strip())]
    head.append(nbformat.v4.new_code_cell(SETUP_CODE.rstrip("\n"), metadata={"kcg": {"setup": True}}))
    notebook = nbformat.v4.new_notebook(cells=head + cells)
    # nbformat gives each new cell a random id; numbered ids make the build reproducible,
    # so republishing the same commit changes nothing (tests/publishing).
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    notebook.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "kcg": {"page": docs_path},
        }
    )
    nbformat.validate(notebook)
    return notebook


# Modules the blocks import beyond TensorFlow, Keras and NumPy, and the distribution of each.
_INSTALLS = {"keras_call_guide": "keras-call-guide", "tf_keras": "tf-keras"}


def _used(units: list[_Unit]) -> set[str]:
    code = "\n".join(unit.block.code for unit in units)  # type: ignore[attr-defined]
    return {name for name in _INSTALLS if re.search(rf"^\s*(?:from|import)\s+{name}\b", code, re.MULTILINE)}


def _units(page: Path, blocks: list) -> tuple[list[_Unit], dict[int, str]]:
    """The code cells' line ranges, and a note for each block that is not run."""
    by_line = {block.lineno: block for block in blocks}
    units: list[_Unit] = []
    notes: dict[int, str] = {}
    current: _Unit | None = None
    for fence in markdown_fences.scan(page).fences:
        joins = fence.has_directive("cont") or any(
            fence.has_directive(k) for k in ("expected-output", "expected-output-ignore-whitespace")
        )
        if joins and current is not None:
            current.stop = fence.last_line
            continue
        current = None
        block = by_line.get(fence.line) if fence.visible_to_codeblocks else None
        if block is None:
            continue
        reason = doc_blocks._skip_reason(block)
        backends = doc_blocks.block_backends(block, f"{page}:{block.lineno}")
        if not reason and "tensorflow" not in backends:
            # The notebook runs on Keras's default backend, TensorFlow (Colab's too).
            titles = {backend: title for title, backend in markdown_fences.BACKEND_TABS.items()}
            names = " and ".join(titles[name] for name in backends)
            reason = f"this block runs on {names} only (set `KERAS_BACKEND` before importing Keras)"
        if reason:
            notes[fence.line - 1] = f"*Not run in this notebook: {reason}*"
            continue
        current = _Unit(block, fence.line - 1, fence.last_line)
        units.append(current)
    return units, notes


def _code_cell(block, page: Path) -> nbformat.NotebookNode:
    code = block.code.rstrip("\n")
    if block.syntax == "python":
        source = f"{FRESH_START}\n\n{code}"
    elif block.syntax in SHELL_MAGIC:
        source = f"{SHELL_MAGIC[block.syntax]}\n{code}"
    else:
        raise NotebookError(f"{page}:{block.lineno}: no notebook cell runs a {block.syntax!r} block")
    outputs = []
    # What the page shows for TensorFlow, the backend the notebook runs on; where the
    # backends differ, the page's tabs follow the cell as prose with every backend's output.
    shown = doc_blocks.shown_for(page, block, "tensorflow")
    if shown:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=shown))
    cell = nbformat.v4.new_code_cell(source, metadata={"kcg": {"line": block.lineno}})
    cell.outputs = outputs
    return cell


def _containers(text: str) -> tuple[dict[int, int], set[int]]:
    """For each 0-based line, how many admonitions or tabs hold it; and their opening lines."""
    depth: dict[int, int] = {}
    openings: set[int] = set()
    line_count = len(re.split(r"\r\n?|\n", text))
    counts = [0] * (line_count + 1)
    for token in markdown_fences.tokens(text):
        if token.type == "container_open" and token.map is not None:
            start, stop = token.map
            openings.add(start)
            for line in range(start + 1, stop):
                counts[line] += 1
    for line in range(line_count):
        depth[line] = counts[line]
    return depth, openings


def _dedent(line: str, levels: int) -> str:
    width = 4 * levels
    stripped = len(line) - len(line.lstrip(" "))
    return line[min(width, stripped) :]


def _container_title(opening: str) -> str:
    """`!!! note "Title"` as **Title**, `!!! tip` as **Tip**, `=== "Tab"` as **Tab**."""
    match = _CONTAINER_TITLE.match(opening)
    if match is None:
        return ""
    title = match.group("title")
    if title is None:
        title = match.group("kind").capitalize()
    return f"**{title}**" if title else ""


def _heading(line: str) -> list[str]:
    """A heading with `{ #anchor }` as an HTML anchor and the heading; other lines as they are."""
    match = _HEADING_ATTRS.match(line)
    if not match:
        return [line]
    anchor = _ANCHOR.search(match.group("attrs"))
    heading = match.group("heading")
    return [f'<a id="{anchor.group(1)}"></a>', "", heading] if anchor else [heading]


def _link_rewriter(docs_path: str, resolve: Callable[[str], str | None] | None) -> Callable[[str], str]:
    base = posixpath.dirname(docs_path)

    def rewrite(line: str) -> str:
        if resolve is None or "](" not in line:
            return line

        def one(match: re.Match) -> str:
            target = match.group(2)
            if _EXTERNAL.match(target):
                return match.group(0)
            path, hash_, fragment = target.partition("#")
            resolved = resolve(posixpath.normpath(posixpath.join(base, path)) + hash_ + fragment)
            return match.group(0) if resolved is None else f"{match.group(1)}{resolved}{match.group(3)}"

        return _LINK.sub(one, line)

    return rewrite


def _tidy(lines: list[str]) -> str:
    """Markdown lines as one cell: no blank lines at the ends, none doubled."""
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip("\n")


def _take_title(cells: list[nbformat.NotebookNode], page: Path) -> tuple[str, list]:
    """The page's `# Title` line, taken out of the first cell (the notebook starts with it)."""
    if cells and cells[0].cell_type == "markdown":
        first, _, rest = cells[0].source.partition("\n")
        if first.startswith("# "):
            if rest.strip():
                cells[0].source = rest.strip("\n")
                return first, cells
            return first, cells[1:]
    raise NotebookError(f"{page}: a guide page starts with its `# Title` line")


def notebook_path(docs_path: str) -> str:
    """Where the notebook of the guide page `docs_path` is published, inside the site.

    >>> notebook_path("guide/troubleshooting/saving.md")
    'notebooks/troubleshooting/saving.ipynb'
    """
    if not (docs_path.startswith("guide/") and docs_path.endswith(".md")):
        raise NotebookError(f"{docs_path}: only pages under docs/guide/ get a notebook")
    return "notebooks/" + docs_path[len("guide/") : -len(".md")] + ".ipynb"


def write(notebook: nbformat.NotebookNode) -> str:
    """The notebook as the text of an .ipynb file."""
    return nbformat.writes(notebook) + "\n"
